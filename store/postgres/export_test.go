package postgres

import (
	"context"
	"fmt"

	"github.com/mfad/mfad"
)

// Show returns the value of a run-time setting on a connection of the pool.
func Show(ctx context.Context, db *DB, name string) (string, error) {
	var v string
	err := db.pool.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&v)
	return v, err
}

// ShowInUpdate returns the value of a run-time setting inside a write
// transaction of the store.
func ShowInUpdate(ctx context.Context, db *DB, name string) (string, error) {
	var v string
	err := db.Update(ctx, func(mt mfad.Tx) error {
		return mt.(*tx).Row("SELECT current_setting(?)", name).Scan(&v)
	})
	return v, err
}

// Query runs one query returning one integer, around the store.
func QueryInt(ctx context.Context, db *DB, sql string, args ...any) (int64, error) {
	var n int64
	err := db.pool.QueryRow(ctx, sql, args...).Scan(&n)
	return n, err
}

// FirstSchema is firstSchema, for tests.
var FirstSchema = firstSchema

// ReapplyAll runs the SQL of every embedded migration again, each in a
// transaction of its own: what an engine that committed a migration's DDL
// before its record (and crashed between) would do on the next start.
func ReapplyAll(ctx context.Context, db *DB) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	for _, m := range ms {
		if _, err := db.pool.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("%s: %w", m.Name, err)
		}
	}
	return nil
}

// Exec runs a statement around the store.
func Exec(ctx context.Context, db *DB, sql string, args ...any) error {
	_, err := db.pool.Exec(ctx, sql, args...)
	return err
}

// ExecMode is the pool's statement mode (pgx's names: cache_statement, exec...).
func ExecMode(db *DB) string { return db.pool.Config().ConnConfig.DefaultQueryExecMode.String() }
