package sqlite

import (
	"context"
	"database/sql"
)

// Pragma returns the value of a pragma on a connection of each pool, by
// pool name ("writer", "reader").
func Pragma(ctx context.Context, db *DB, name string) (map[string]string, error) {
	got := map[string]string{}
	for pool, p := range map[string]*sql.DB{"writer": db.writer, "reader": db.reader} {
		var v string
		if err := p.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v); err != nil {
			return nil, err
		}
		got[pool] = v
	}
	return got, nil
}
