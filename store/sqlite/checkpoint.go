package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// Checkpoints.
//
// A WAL database must now and then copy the WAL back into the database
// file (a checkpoint). SQLite's default does it inside the COMMIT that takes
// the WAL past 1,000 pages, on the committing connection: the single writer
// and every Update queued behind it wait for the copy (11% of the
// committer's CPU in issue 28's profile). The writer runs with
// wal_autocheckpoint=0 instead, and a goroutine of its own checkpoints on a
// connection of its own after commits, at most once per checkpointPause.
//
// The checkpoint is PASSIVE: it copies what no reader still needs and never
// waits for the writer or a reader, so the committer never waits for it.
// Durability does not depend on it: a commit is durable once its WAL frames
// are synced, checkpointed or not. An in-memory database has no WAL and no
// checkpointer.
const checkpointPause = 100 * time.Millisecond

type checkpointer struct {
	pool    *sql.DB       // one read-write connection, used only here
	kick    chan struct{} // capacity 1: "something was committed"
	quit    chan struct{}
	stopped chan struct{}
	once    sync.Once // Close may be called more than once
}

// startCheckpointer opens the checkpointer's connection and starts it.
func (db *DB) startCheckpointer(ctx context.Context) error {
	if db.memory != "" {
		return nil
	}
	pool, err := db.openPool(ctx, false)
	if err != nil {
		return err
	}
	db.checkpoint = &checkpointer{
		pool:    pool,
		kick:    make(chan struct{}, 1),
		quit:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	go db.checkpoint.loop()
	return nil
}

// committed tells the checkpointer that a transaction committed; it never
// blocks the committer.
func (c *checkpointer) committed() {
	if c == nil {
		return
	}
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) loop() {
	defer close(c.stopped)
	for {
		select {
		case <-c.kick:
		case <-c.quit:
			return
		}
		// An error (the file busy with another process's checkpoint, say)
		// leaves the frames for the next round; the WAL only grows meanwhile.
		c.pool.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		select {
		case <-time.After(checkpointPause):
		case <-c.quit:
			return
		}
	}
}

// stop ends the loop and closes the connection; only the first call does
// anything. Closing the last connection of the process checkpoints what is
// left.
func (c *checkpointer) stop() (err error) {
	if c == nil {
		return nil
	}
	c.once.Do(func() {
		close(c.quit)
		<-c.stopped
		err = c.pool.Close()
	})
	return err
}
