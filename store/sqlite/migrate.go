package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

	migrationpkg "github.com/mfad/mfad/store/internal/migration"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// A migration is one embedded file, "NNNN_name.sql"; NNNN is its version.
type migration = migrationpkg.Migration

// migrations returns the embedded migrations by version.
func migrations() ([]migration, error) {
	ms, err := migrationpkg.Load(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return ms, nil
}

// Migrate applies the embedded migrations not yet recorded in
// schema_migrations, in order, each in its own transaction. Open calls it;
// it is safe to call again, and from several processes at once.
func (db *DB) Migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	if _, err := db.writer.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	if err := db.checkNotNewer(ctx, ms); err != nil {
		return err
	}
	for _, m := range ms {
		if err := db.apply(ctx, m); err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", m.Name, err)
		}
	}
	return nil
}

// checkNotNewer refuses a database migrated by a newer mfad.
func (db *DB) checkNotNewer(ctx context.Context, ms []migration) error {
	v, err := schemaVersion(ctx, db.writer)
	if err != nil {
		return err
	}
	if latest := ms[len(ms)-1].Version; v > latest {
		return fmt.Errorf("sqlite: database schema version %d is newer than this mfad's %d", v, latest)
	}
	return nil
}

// apply runs m unless it is recorded already. The write transaction begins
// IMMEDIATE, so a second process waits and then sees the record.
func (db *DB) apply(ctx context.Context, m migration) error {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n)
	if err != nil || n > 0 {
		return err
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, time.Now().UnixNano())
	if err != nil {
		return err
	}
	return tx.Commit()
}

// SchemaVersion returns the version of the last applied migration, 0 for
// none.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	return schemaVersion(ctx, db.reader)
}

func schemaVersion(ctx context.Context, q *sql.DB) (int, error) {
	var v int
	err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("sqlite: schema version: %w", err)
	}
	return v, nil
}

// Pending returns how many embedded migrations the database lacks: 0 when
// it is ready.
func (db *DB) Pending(ctx context.Context) (int, error) {
	ms, err := migrations()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range ms {
		var c int
		err := db.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&c)
		if err != nil {
			return 0, fmt.Errorf("sqlite: pending migrations: %w", err)
		}
		if c == 0 {
			n++
		}
	}
	return n, nil
}
