package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
)

// stmtCache keeps the statements a pool has run prepared, so they are
// compiled once per connection instead of at every call: for the short
// statements of a typical transaction, SQLite's compiling costs about as
// much as the running. A statement seen for the first time runs unprepared
// and is prepared after its transaction, by prepare: preparing takes a
// connection of the pool, which the transaction itself may be holding (the
// writer pool has only one). database/sql then prepares a cached statement
// on each connection it is used on (Tx.StmtContext).
type stmtCache struct {
	pool    *sql.DB
	mu      sync.Mutex
	m       map[string]*sql.Stmt // nil: seen, waiting for prepare
	want    []string
	pending atomic.Bool // want is not empty
}

// maxCached bounds the cache; the statements of mfad are a fixed set, but
// a few build their WHERE clause from a filter.
const maxCached = 512

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, m: map[string]*sql.Stmt{}}
}

// get returns the prepared statement of query, or nil if it is not
// prepared yet (the next prepare will).
func (c *stmtCache) get(query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s, seen := c.m[query]
	if !seen && len(c.m) < maxCached {
		c.m[query] = nil
		c.want = append(c.want, query)
		c.pending.Store(true)
	}
	return s
}

// prepare prepares the statements seen since it last ran. The caller must
// hold no connection of the pool. A statement that fails to prepare is
// forgotten, and runs unprepared (and fails there) as before.
func (c *stmtCache) prepare(ctx context.Context) {
	if c == nil || !c.pending.Load() {
		return
	}
	c.mu.Lock()
	want := c.want
	c.want = nil
	c.pending.Store(false)
	c.mu.Unlock()
	for _, q := range want {
		s, err := c.pool.PrepareContext(ctx, q)
		c.mu.Lock()
		if err != nil {
			delete(c.m, q)
		} else {
			c.m[q] = s
		}
		c.mu.Unlock()
	}
}

func (c *stmtCache) close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, s := range c.m {
		if s != nil {
			errs = append(errs, s.Close())
		}
		delete(c.m, q)
	}
	return errors.Join(errs...)
}
