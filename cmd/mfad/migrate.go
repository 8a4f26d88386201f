package main

import (
	"context"
	"fmt"

	"github.com/mfad/mfad/store/postgres"
	"github.com/mfad/mfad/store/sqlite"
)

// migrate applies the database's pending schema migrations and reports the
// schema version. It needs no master key: it touches the schema only.
// Several instances may run it (or start serving) at once: with PostgreSQL
// each migration runs under a row lock of schema_migrations, so the second
// waits and then finds nothing to do.
//
//	mfad migrate [--db URL] [--data-dir DIR]
func (e *cmdEnv) migrate(ctx context.Context, args []string) error {
	c, rest, err := e.parse("migrate", args, nil)
	if err != nil {
		return err
	}
	if err := e.wantArgs(rest, 0, "migrate [--db URL] [--data-dir DIR]"); err != nil {
		return err
	}
	if !c.postgres() {
		if err := exists(sqlitePath(c), "database"); err != nil {
			return err
		}
		st, err := openStore(ctx, c) // SQLite migrates as it opens
		if err != nil {
			return err
		}
		defer st.Close()
		v, err := st.(*sqlite.DB).SchemaVersion(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "SQLite database %s: schema version %d, nothing pending\n", st.(*sqlite.DB).Path(), v)
		return nil
	}
	db, err := postgres.Connect(ctx, c.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	pending, err := db.Pending(ctx)
	if err != nil {
		return err
	}
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "PostgreSQL: %d migration(s) were pending; schema version %d, nothing pending\n", pending, v)
	return nil
}
