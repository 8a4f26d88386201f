package sqlq

import "github.com/mfad/mfad"

// Runner is what the shared SQL needs of a store's transaction: its hooks.
// Queries come with "?" placeholders; a store whose database wants others
// rewrites them (PostgreSQL: Rebind). Errors come back already mapped to
// mfad.ErrNoRows and mfad.ErrDuplicate (the store's error-mapping hook).
type Runner interface {
	// Exec runs a statement and returns the number of rows it changed.
	Exec(query string, args ...any) (int64, error)
	// Row runs a query expected to return one row when Scan is called.
	Row(query string, args ...any) Scanner
	// Each runs a query and calls scan for each row.
	Each(query string, args []any, scan func(Scanner) error) error
}

// Scanner is one row.
type Scanner interface{ Scan(dest ...any) error }

// Tx implements the methods of mfad.Tx whose SQL is the same on every SQL
// store (app passwords, trusted devices, throttles, settings, expiry,
// scratch codes, ...); a store's tx embeds it, so a method the store
// defines itself wins.
type Tx struct{ R Runner }

func (t Tx) exec(query string, args ...any) (int64, error) { return t.R.Exec(query, args...) }

func (t Tx) row(query string, args ...any) Scanner { return t.R.Row(query, args...) }

func (t Tx) each(query string, args []any, scan func(Scanner) error) error {
	return t.R.Each(query, args, scan)
}

// execOne runs a statement that must change exactly one row: none is
// ErrNoRows.
func (t Tx) execOne(query string, args ...any) error {
	n, err := t.exec(query, args...)
	if err == nil && n == 0 {
		err = mfad.ErrNoRows
	}
	return err
}

// count runs a query returning one integer.
func (t Tx) count(query string, args ...any) (int, error) {
	var n int
	err := t.row(query, args...).Scan(&n)
	return n, err
}
