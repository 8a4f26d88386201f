package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/mfad/mfad/store/internal/column"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mfad/mfad"
)

var _ mfad.Tx = (*tx)(nil)

// tx is one transaction; its methods live in one file per entity.
type tx struct {
	ctx context.Context
	tx  pgx.Tx
}

// scanner is a pgx.Row or pgx.Rows.
type scanner interface{ Scan(dest ...any) error }

// exec runs a statement and returns the number of rows it changed.
func (t *tx) exec(query string, args ...any) (int64, error) {
	tag, err := t.tx.Exec(t.ctx, query, args...)
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

// row runs a query expected to return one row; scan errors go through
// mapError.
func (t *tx) row(query string, args ...any) scanner {
	return mappedRow{t.tx.QueryRow(t.ctx, query, args...)}
}

type mappedRow struct{ r pgx.Row }

func (m mappedRow) Scan(dest ...any) error { return mapError(m.r.Scan(dest...)) }

// each runs a query and calls scan for each row.
func (t *tx) each(query string, args []any, scan func(scanner) error) error {
	rows, err := t.tx.Query(t.ctx, query, args...)
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
