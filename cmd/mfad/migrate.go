package main

import (
	"context"
	"fmt"
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
	st := c.store()
	if f := st.File(c.spec(nil)); f != "" {
		if err := exists(f, "database"); err != nil {
			return err
		}
	}
	report, err := st.Migrate(ctx, c.spec(nil))
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, report)
	return nil
}
