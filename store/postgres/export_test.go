package postgres

import "context"

// Show returns the value of a run-time setting on a connection of the pool.
func Show(ctx context.Context, db *DB, name string) (string, error) {
	var v string
	err := db.pool.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&v)
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
