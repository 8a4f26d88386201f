package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

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

// nanos is the stored form of a time: nanoseconds since the epoch, or NULL
// for the zero time.
func nanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// stored returns t as it comes back from the database.
func stored(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.Unix(0, t.UnixNano()).UTC()
}

// timeDest scans a stored time.
type timeDest struct{ t *time.Time }

func (d timeDest) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d.t = time.Time{}
	case int64:
		*d.t = time.Unix(0, v).UTC()
	default:
		return fmt.Errorf("time column holds %T", src)
	}
	return nil
}

// blob is the stored form of a hash: NULL when empty.
func blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// blobDest scans a hash into a copy; NULL and empty give nil.
type blobDest struct{ b *[]byte }

func (d blobDest) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d.b = nil
	case []byte:
		*d.b = nil
		if len(v) > 0 {
			*d.b = bytes.Clone(v)
		}
	default:
		return fmt.Errorf("bytea column holds %T", src)
	}
	return nil
}

// text is the stored form of an optional string: NULL when empty.
func text(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// textDest scans an optional string; NULL gives "".
type textDest struct{ s *string }

func (d textDest) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d.s = ""
	case string:
		*d.s = v
	default:
		return fmt.Errorf("text column holds %T", src)
	}
	return nil
}
