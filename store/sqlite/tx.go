package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/mfad/mfad/store/internal/column"
	"github.com/mfad/mfad/store/internal/sqlq"

	"github.com/mfad/mfad"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

var _ mfad.Tx = (*tx)(nil)

// tx is one transaction; its methods live in one file per entity.
type tx struct {
	sqlq.Tx // the methods whose SQL both stores share; its Runner is this tx
	ctx     context.Context
	tx      *sql.Tx
	cache   *stmtCache // the pool's prepared statements; nil: none
	stats   *sqlq.Stats
}

// stmt returns the transaction's form of query's prepared statement, or
// nil when it is not prepared yet.
func (t *tx) stmt(query string) *sql.Stmt {
	t.stats.Statement(query)
	if s := t.cache.get(query); s != nil {
		return t.tx.StmtContext(t.ctx, s)
	}
	return nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner = sqlq.Scanner

// newTx returns the store's transaction on sqlTx.
func newTx(ctx context.Context, sqlTx *sql.Tx, cache *stmtCache, stats *sqlq.Stats) *tx {
	t := &tx{ctx: ctx, tx: sqlTx, cache: cache, stats: stats}
	t.Tx = sqlq.Tx{R: t}
	return t
}

// Exec, Row and Each are the hooks of the shared SQL (sqlq.Runner):
// SQLite takes its "?" placeholders as they are.
func (t *tx) Exec(query string, args ...any) (int64, error) { return t.exec(query, args...) }

func (t *tx) Row(query string, args ...any) sqlq.Scanner { return t.row(query, args...) }

func (t *tx) Each(query string, args []any, scan func(sqlq.Scanner) error) error {
	return t.each(query, args, scan)
}

// exec runs a statement and returns the number of rows it changed.
func (t *tx) exec(query string, args ...any) (int64, error) {
	var res sql.Result
	var err error
	if s := t.stmt(query); s != nil {
		res, err = s.ExecContext(t.ctx, args...)
	} else {
		res, err = t.tx.ExecContext(t.ctx, query, args...)
	}
	if err != nil {
		return 0, mapError(err)
	}
	return res.RowsAffected()
}

// execOne runs a statement that must change exactly one row: none is
// ErrNoRows.
func (t *tx) execOne(query string, args ...any) error {
	n, err := t.exec(query, args...)
	if err == nil && n == 0 {
		err = mfad.ErrNoRows
	}
	return err
}

// row runs a query expected to return one row; scan errors go through
// mapError.
func (t *tx) row(query string, args ...any) scanner {
	if s := t.stmt(query); s != nil {
		return mappedRow{s.QueryRowContext(t.ctx, args...)}
	}
	return mappedRow{t.tx.QueryRowContext(t.ctx, query, args...)}
}

type mappedRow struct{ r *sql.Row }

func (m mappedRow) Scan(dest ...any) error { return mapError(m.r.Scan(dest...)) }

// each runs a query and calls scan for each row.
func (t *tx) each(query string, args []any, scan func(scanner) error) error {
	var rows *sql.Rows
	var err error
	if s := t.stmt(query); s != nil {
		rows, err = s.QueryContext(t.ctx, args...)
	} else {
		rows, err = t.tx.QueryContext(t.ctx, query, args...)
	}
	if err != nil {
		return mapError(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return mapError(err)
		}
	}
	return mapError(rows.Err())
}

// count runs a query returning one integer.
func (t *tx) count(query string, args ...any) (int, error) {
	var n int
	err := t.row(query, args...).Scan(&n)
	return n, err
}

// mapError turns driver errors into the store errors of package mfad: a
// missing row or a missing parent row (a foreign key) is ErrNoRows, a broken
// uniqueness rule ErrDuplicate. It reads SQLite's extended result codes,
// never the message text.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return mfad.ErrNoRows
	}
	var se *msqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return mfad.ErrDuplicate
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return mfad.ErrNoRows
		}
	}
	if errors.Is(err, mfad.ErrNoRows) || errors.Is(err, mfad.ErrDuplicate) {
		return err
	}
	return fmt.Errorf("sqlite: %w", err)
}

// isBusy reports whether err is SQLITE_BUSY or one of its extended codes.
func isBusy(err error) bool {
	var se *msqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// The stored forms of times, hashes and optional strings, shared with the
// other SQL store.
var (
	nanos  = column.Nanos
	stored = column.Stored
	blob   = column.Blob
	text   = column.Text
)

type (
	timeDest = column.Time
	blobDest = column.Bytes
	textDest = column.String
)
