package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/mfad/mfad"
	"github.com/mfad/mfad/store/internal/sqlq"
)

var _ mfad.Store = (*DB)(nil)

// Options change how Open opens a database.
type Options struct {
	// NoMigrate leaves the schema alone: Open fails if a migration is
	// pending, instead of applying it.
	NoMigrate bool
	// Wall is this machine's clock (nil: time.Now). The times the core
	// passes are compared with it to find how far a test's clock has
	// travelled; what the store judges on the database server's clock
	// (the refresh reuse interval) moves that far too.
	Wall func() time.Time
}

// DB is an open mfad database on PostgreSQL. It implements mfad.Store.
type DB struct {
	pool  *pgxpool.Pool
	stats sqlq.Stats
	wall  func() time.Time
}

// Open connects to the database at url (postgres://... with any of pgx's
// and pgxpool's parameters, such as search_path and pool_max_conns) and
// migrates it to the current schema; with o.NoMigrate it checks instead
// that no migration is pending.
func Open(ctx context.Context, url string, o Options) (*DB, error) {
	db, err := Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	if o.Wall != nil {
		db.wall = o.Wall
	}
	if o.NoMigrate {
		err = db.checkSchema(ctx)
	} else {
		err = db.Migrate(ctx)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Connect connects to the database at url and checks that it answers,
// leaving the schema as it is: for mfad migrate, which reports what is
// pending before it migrates. Stores for serving come from Open.
func Connect(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if !strings.Contains(url, "default_query_exec_mode") && behindPooler(ctx, cfg.ConnConfig) {
		// A transaction pooler hands server connections out a transaction
		// at a time: no prepared statement may be named across them.
		cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	return &DB{pool: pool}, nil
}

// behindPooler reports whether the server at cc is a transaction pooler
// (PgBouncer) rather than PostgreSQL: one connection is opened with a
// startup parameter PostgreSQL takes (a custom setting, "mfad.probe") and
// a pooler refuses ("unsupported startup parameter"). Any other failure
// says nothing: the pool's own connect reports it.
func behindPooler(ctx context.Context, cc *pgx.ConnConfig) bool {
	probe := cc.Copy()
	probe.RuntimeParams["mfad.probe"] = "1"
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, probe)
	if err != nil {
		return strings.Contains(err.Error(), "unsupported startup parameter")
	}
	conn.Close(ctx)
	return false
}

// MaxConns returns the size of the connection pool.
func (db *DB) MaxConns() int { return int(db.pool.Config().MaxConns) }

// Update runs fn in a READ COMMITTED read-write transaction and commits it;
// the commit is flushed before Update returns. If fn returns an error, the
// transaction is rolled back and that error returned as is.
//
// A transaction the database aborts for a conflict with another one (a
// serialization failure, 40001, which PostgreSQL-compatible distributed
// databases raise at any isolation level, or a deadlock, 40P01) is rolled
// back and run again, fn included, up to maxAttempts times with a short
// random pause: fn must leave no trace outside tx but its results (the
// core's observations are kept per attempt).
func (db *DB) Update(ctx context.Context, fn func(mfad.Tx) error) error {
	return db.retry(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted, AccessMode: pgx.ReadWrite}, fn)
}

// retry runs fn in a transaction of opts, again after a conflict (see
// Update), up to maxAttempts times.
func (db *DB) retry(ctx context.Context, opts pgx.TxOptions, fn func(mfad.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := db.run(ctx, opts, fn)
		if err == nil || attempt == maxAttempts || !retryable(err) {
			return err
		}
		db.stats.Retry()
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(1+rand.IntN(attempt*5)) * time.Millisecond):
		}
	}
}

// maxAttempts bounds the runs of one Update that conflicts again and again.
const maxAttempts = 8

// retryable reports whether err is a conflict that running the
// transaction again resolves.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// View runs fn in a read-only transaction on one snapshot of the committed
// state. PostgreSQL never aborts one for a conflict, but a distributed
// PostgreSQL-compatible engine (CockroachDB, YugabyteDB) may (40001, a
// read that met a write in its uncertainty window), so it is run again as
// Update's transactions are.
func (db *DB) View(ctx context.Context, fn func(mfad.Tx) error) error {
	return db.retry(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

func (db *DB) run(ctx context.Context, opts pgx.TxOptions, fn func(mfad.Tx) error) error {
	db.stats.Tx(opts.AccessMode == pgx.ReadWrite)
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return unreachable(fmt.Errorf("postgres: begin: %w", err))
	}
	defer conn.Release() // a connection still in a transaction is closed, not reused
	t := &tx{ctx: ctx, db: db, conn: conn.Conn(), begin: beginOf(opts), durable: opts.AccessMode == pgx.ReadWrite}
	t.Tx = sqlq.Tx{R: t}
	defer t.rollback()
	if err := fn(t); err != nil {
		return unreachable(err)
	}
	if err := t.commit(); err != nil {
		// Also an error earlier in the transaction that fn did not
		// return (PostgreSQL refused the rest).
		return unreachable(fmt.Errorf("postgres: commit: %w", err))
	}
	return nil
}

// unreachable marks err as mfad.ErrUnavailable when it says the database
// cannot be reached: a refused or lost connection, a server (or pooler)
// shutting down or refusing connections. Nothing else is.
func unreachable(err error) error {
	if err == nil || errors.Is(err, mfad.ErrUnavailable) {
		return err
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &ce), errors.As(err, &ne), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.As(err, &pe) && (strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03" || pe.Code == "53300"),
		strings.Contains(err.Error(), "conn closed"):
		return fmt.Errorf("%w: %w", mfad.ErrUnavailable, err)
	}
	return err
}

// setDurable follows the BEGIN of every write transaction, in its round
// trip: durable answers (docs/architecture.md §2) whatever the server's
// default or the URL say, and set where a transaction pooler keeps it (a
// pooler refuses it as a connection parameter, and would not keep it
// across the server connections it hands out).
const setDurable = "SET LOCAL synchronous_commit TO on"

// beginOf is the BEGIN statement of opts.
func beginOf(opts pgx.TxOptions) string {
	b := "BEGIN ISOLATION LEVEL " + strings.ToUpper(string(opts.IsoLevel))
	if opts.AccessMode == pgx.ReadOnly {
		b += " READ ONLY"
	}
	return b
}

// StoreCounts returns what the store has sent PostgreSQL since it opened.
func (db *DB) StoreCounts() mfad.StoreCounts { return db.stats.Counts() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.pool.Ping(ctx) }

// Close closes every connection of the pool.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// ServerTime returns the database server's clock (SELECT now()), for
// mfad selftest and the check at start: TOTP needs this machine's clock
// and the other instances' to agree, and the server is the common witness.
func (db *DB) ServerTime(ctx context.Context) (time.Time, error) {
	var t time.Time
	err := db.pool.QueryRow(ctx, `SELECT now()`).Scan(&t)
	return t, err
}
