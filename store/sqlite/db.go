package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/store/internal/sqlq"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

var _ mfad.Store = (*DB)(nil)

// readers is the size of the reader pool.
const readers = 4

// Pragmas set on every connection as it opens. Readers skip journal_mode,
// which a read-only connection may not change, and synchronous, which only
// matters to writes; an in-memory database has neither.
//
// The writer also keeps its statement journal in memory (temp_store): each
// request of a group commit runs in its own SAVEPOINT, and with the default
// the journal of every savepoint spilled to a temporary file, 18% of the
// committer's CPU in pwrite (issue 28's profile). It holds only the pages a
// request touched, and a crash loses nothing by it: durability is the WAL's.
// It never checkpoints; checkpoint.go does, on a connection of its own.
// Its page cache is 16 MiB instead of 2: the session and ticket indexes
// are keyed by random token hashes, so inserts land on cold pages.
var (
	readerPragmas = []string{fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()), "foreign_keys(1)"}
	writerPragmas = append(readerPragmas[:2:2], "journal_mode(WAL)", "synchronous(FULL)",
		"temp_store(MEMORY)", fmt.Sprintf("cache_size(%d)", -writerCacheKiB), "wal_autocheckpoint(0)")
)

// writerCacheKiB is the writer's page cache (a negative cache_size is KiB).
const writerCacheKiB = 16 << 10

// busyTimeout is how long a connection waits for a lock (busy_timeout).
const busyTimeout = 10 * time.Second

// DB is an open mfad database. It implements mfad.Store.
type DB struct {
	path   string
	memory string  // the memdb name of an in-memory database
	writer *sql.DB // one connection, BEGIN IMMEDIATE: Update
	reader *sql.DB // read-only connections: View
	commit *committer
	// checkpoint copies the WAL into the file off the writer (checkpoint.go).
	checkpoint *checkpointer
	// The prepared statements of each pool (stmtcache.go).
	writeStmts, readStmts *stmtCache
	stats                 sqlq.Stats
}

// Open opens the SQLite database at path, creating it with mode 0600 if it
// is missing, and migrates it to the current schema.
//
// The path ":memory:" opens a new in-memory database instead (SQLite's
// memdb, no WAL, gone when closed), with the same two pools, for tests
// that need no file.
func Open(ctx context.Context, path string) (*DB, error) {
	db := &DB{path: path}
	if path == ":memory:" {
		db.memory = "/mfad-" + rand.Text()
	} else if err := createFile(path); err != nil {
		return nil, err
	}
	var err error
	if db.writer, err = db.openPool(ctx, false); err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.writer.Close()
		return nil, err
	}
	if db.reader, err = db.openPool(ctx, true); err != nil {
		db.writer.Close()
		return nil, err
	}
	if db.memory == "" {
		if err := restrictSidecars(path); err != nil {
			db.Close()
			return nil, err
		}
	}
	if err := db.startCheckpointer(ctx); err != nil {
		db.Close()
		return nil, err
	}
	db.writeStmts, db.readStmts = newStmtCache(db.writer), newStmtCache(db.reader)
	db.startCommitter()
	return db, nil
}

// dsn returns the driver's name for the database: a file: URI with the
// pool's pragmas and mode.
func (db *DB) dsn(readOnly bool) (string, error) {
	u := url.URL{Scheme: "file", Path: db.memory}
	q := url.Values{"_pragma": readerPragmas}
	if db.memory != "" {
		q.Set("vfs", "memdb")
	} else {
		abs, err := filepath.Abs(db.path)
		if err != nil {
			return "", err
		}
		u.Path = filepath.ToSlash(abs)
		if !readOnly {
			q["_pragma"] = writerPragmas
		}
	}
	if readOnly {
		q.Set("mode", "ro")
	} else {
		q.Set("_txlock", "immediate")
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// openPool opens the writer pool or the reader pool and checks that it works.
func (db *DB) openPool(ctx context.Context, readOnly bool) (*sql.DB, error) {
	dsn, err := db.dsn(readOnly)
	if err != nil {
		return nil, err
	}
	pool, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	n := 1
	if readOnly {
		n = readers
	}
	pool.SetMaxOpenConns(n)
	pool.SetMaxIdleConns(n)
	if err := ping(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", db.path, err)
	}
	return pool, nil
}

// ping opens the pool's first connection. Its pragmas may find the file
// busy without waiting (a second process switching a new file to WAL at
// the same moment), so it tries again for as long as busy_timeout.
func ping(ctx context.Context, pool *sql.DB) error {
	deadline := time.Now().Add(busyTimeout)
	for {
		err := pool.PingContext(ctx)
		if !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// createFile creates the database file with mode 0600 if it does not exist,
// so that SQLite never creates it with the umask's wider default.
func createFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	return f.Close()
}

// restrictSidecars sets the WAL and shared-memory files to mode 0600.
func restrictSidecars(path string) error {
	for _, suffix := range []string{"-wal", "-shm"} {
		err := os.Chmod(path+suffix, 0o600)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("sqlite: %w", err)
		}
	}
	return nil
}

// Path returns the path the database was opened with.
func (db *DB) Path() string { return db.path }

// Update runs fn in a read-write transaction and commits it durably before
// returning. If fn returns an error, its writes are rolled back and that
// error returned as is. Concurrent Updates share one commit (see
// commit.go): each still returns only once its writes are on disk.
func (db *DB) Update(ctx context.Context, fn func(mfad.Tx) error) error {
	return db.update(ctx, fn)
}

// View runs fn in a read-only transaction on the last committed state.
// A View must not be nested in an Update.
func (db *DB) View(ctx context.Context, fn func(mfad.Tx) error) error {
	err := run(ctx, db.reader, db.readStmts, &db.stats, &sql.TxOptions{ReadOnly: true}, fn)
	db.readStmts.prepare(ctx) // now that this View holds no connection
	return err
}

func run(ctx context.Context, pool *sql.DB, cache *stmtCache, stats *sqlq.Stats, opts *sql.TxOptions, fn func(mfad.Tx) error) error {
	stats.Tx(opts == nil || !opts.ReadOnly)
	stats.Statement("BEGIN")
	sqlTx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	defer sqlTx.Rollback()
	if err := fn(newTx(ctx, sqlTx, cache, stats)); err != nil {
		stats.Statement("ROLLBACK")
		return err
	}
	stats.Statement("COMMIT")
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// StoreCounts returns the statements the store has run since it opened.
func (db *DB) StoreCounts() mfad.StoreCounts { return db.stats.Counts() }

// Ping checks that both pools reach the database.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.writer.PingContext(ctx); err != nil {
		return err
	}
	return db.reader.PingContext(ctx)
}

// Close closes both pools. The last connection to close checkpoints the
// WAL into the database file.
func (db *DB) Close() error {
	db.stopCommitter()
	return errors.Join(db.checkpoint.stop(), db.writeStmts.close(), db.readStmts.close(), db.reader.Close(), db.writer.Close())
}
