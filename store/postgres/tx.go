package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/mfad/mfad/store/internal/column"
	"github.com/mfad/mfad/store/internal/sqlq"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mfad/mfad"
)

var _ mfad.Tx = (*tx)(nil)

// tx is one transaction; its methods live in one file per entity. What it
// sends goes through pipeline.go.
type tx struct {
	sqlq.Tx // the methods whose SQL both stores share; its Runner is this tx
	ctx     context.Context
	db      *DB
	conn    pgxConn
	begin   string  // the BEGIN not sent yet; "" once sent
	durable bool    // a write transaction: setDurable goes with the BEGIN
	later   []later // writes not sent yet
	// The session and the ticket this transaction has locked by reading
	// them for a verification (0: none), until a DELETE may have removed
	// them.
	lockedSession, lockedTicket int64
}

// scanner is a pgx.Row or pgx.Rows.
type scanner = sqlq.Scanner

// Exec, Row and Each are the hooks of the shared SQL (sqlq.Runner): its
// "?" placeholders become $1, $2, ... (rebound once per query text).
func (t *tx) Exec(query string, args ...any) (int64, error) { return t.exec(rebind(query), args...) }

func (t *tx) Row(query string, args ...any) sqlq.Scanner { return t.row(rebind(query), args...) }

func (t *tx) Each(query string, args []any, scan func(sqlq.Scanner) error) error {
	return t.each(rebind(query), args, scan)
}

// rebound caches the PostgreSQL form of each shared query.
var rebound sync.Map

func rebind(q string) string {
	if v, ok := rebound.Load(q); ok {
		return v.(string)
	}
	r := sqlq.Rebind(q)
	rebound.Store(q, r)
	return r
}

// exec runs a statement and returns the number of rows it changed.
func (t *tx) exec(query string, args ...any) (int64, error) {
	t.forget(query)
	br, err := t.one(query, args...)
	if err != nil {
		return 0, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, mapError(err)
	}
	return tag.RowsAffected(), nil
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

// row runs a query expected to return one row when its Scan is called;
// scan errors go through mapError.
func (t *tx) row(query string, args ...any) scanner {
	return lazyRow{t: t, query: query, args: args}
}

type lazyRow struct {
	t     *tx
	query string
	args  []any
}

func (r lazyRow) Scan(dest ...any) error {
	r.t.forget(r.query)
	br, err := r.t.one(r.query, r.args...)
	if err != nil {
		return err
	}
	err = br.QueryRow().Scan(dest...)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return mapError(err)
}

// each runs a query and calls scan for each row.
func (t *tx) each(query string, args []any, scan func(scanner) error) error {
	t.forget(query)
	br, err := t.one(query, args...)
	if err != nil {
		return err
	}
	defer br.Close()
	rows, err := br.Query()
	if err != nil {
		return mapError(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return mapError(err)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return mapError(err)
	}
	return mapError(br.Close())
}

// count runs a query returning one integer.
func (t *tx) count(query string, args ...any) (int, error) {
	var n int
	err := t.row(query, args...).Scan(&n)
	return n, err
}

// mapError turns driver errors into the store errors of package mfad: a
// missing row or a missing parent row (a foreign key) is ErrNoRows, a broken
// uniqueness rule ErrDuplicate. It reads SQLSTATE codes, never the message
// text.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return mfad.ErrNoRows
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%w (%s)", mfad.ErrDuplicate, pe.ConstraintName)
		case "23503": // foreign_key_violation: the user (or session) is gone
			return fmt.Errorf("%w (%s)", mfad.ErrNoRows, pe.ConstraintName)
		}
	}
	if errors.Is(err, mfad.ErrNoRows) || errors.Is(err, mfad.ErrDuplicate) {
		return err
	}
	return fmt.Errorf("postgres: %w", err)
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
