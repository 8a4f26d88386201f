package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/mfad/mfad"
)

// Group commit.
//
// With synchronous=FULL every COMMIT waits for an fsync of the WAL, and an
// fsync costs far more than the statements of one Update. So Update does
// not commit on its own: it queues its fn and waits. One goroutine, the
// committer, takes everything queued (up to maxBatch), opens one write
// transaction (BEGIN IMMEDIATE), runs each fn inside a SAVEPOINT of its
// own, commits once, and only then answers every caller of the batch. The
// fsync is shared; no answer comes before it.
//
// The contract of Update holds for each caller as if it had run alone:
//
//   - fn's error is returned as it is, and nothing fn wrote survives: the
//     committer rolls back to fn's savepoint (ROLLBACK TO), which undoes
//     exactly fn's writes and none of the others'. A panic in fn is
//     handled the same way and then re-raised in the caller's goroutine.
//   - A nil answer means the writes are committed and durable. If the
//     COMMIT fails, every caller whose fn succeeded gets that error, and
//     none of the batch is in the database (SQLite rolls the transaction
//     back; see tx.Commit of the driver).
//   - The fns of a batch run one after another on the one connection, so
//     each sees the writes of those before it, as it would after their own
//     commits: the batch is serializable in its queue order. Readers (View)
//     see none of it until the COMMIT, and no caller learns anything of the
//     batch before the COMMIT either, so a write that a failed COMMIT takes
//     back was never acted upon outside this process.
//   - A context that is done before the committer takes the request ends
//     the Update with the context's error, and fn never runs. Once fn has
//     started the context no longer interrupts it: a cancelled statement
//     makes SQLite roll back the whole transaction, which would take the
//     other callers' writes with it. Statements still see the context's
//     values.
//
// Crash safety. The database is in WAL mode with synchronous=FULL: SQLite
// appends the batch's pages to the WAL, the last frame marked as a commit,
// and fsyncs the WAL before COMMIT returns. Recovery after a crash or a
// power cut replays the WAL only up to its last valid commit frame (each
// frame carries a checksum over the WAL so far and the WAL's salt), so a
// batch is all there or all gone. Every caller is answered after COMMIT
// has returned, hence after the fsync: an answer that says "done" (a code
// accepted, 2FA enabled, a scratch code used) is on disk first (docs/architecture.md §2),
// exactly as with one transaction per Update. A crash before the COMMIT
// returns loses the whole batch, and none of its callers has had an
// answer; that is the same as a crash between a lone COMMIT and its answer,
// which no design avoids. A rolled-back savepoint's writes are undone in
// the page cache before the COMMIT, so they never reach a commit frame.
// Several processes on one file stay safe as before: each has its own
// committer, and BEGIN IMMEDIATE serializes their batches on SQLite's lock.

// maxBatch bounds the Updates committed together, so that one batch does
// not hold the write lock for long; queueSize bounds the Updates waiting.
const (
	maxBatch  = 256
	queueSize = 4096
)

var errClosed = errors.New("sqlite: database closed")

// request is one Update waiting for the committer.
type request struct {
	ctx   context.Context
	fn    func(mfad.Tx) error
	state atomic.Int32 // pending, then taken by the committer or abandoned by the caller
	done  chan answer  // buffered: the committer never waits for a caller
}

const (
	pending int32 = iota
	taken
	abandoned
)

// answer is what the committer tells a caller.
type answer struct {
	err      error
	panicked bool
	panicVal any
}

type committer struct {
	queue   chan *request
	quit    chan struct{} // closed by Close
	stopped chan struct{} // closed when the committer has answered everything it took
	commits atomic.Int64  // transactions committed
}

func (db *DB) startCommitter() {
	db.commit = &committer{
		queue:   make(chan *request, queueSize),
		quit:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	go db.commitLoop()
}

// stopCommitter answers what is still queued with errClosed and waits for
// the committer to finish its batch.
func (db *DB) stopCommitter() {
	if db.commit == nil {
		return
	}
	select {
	case <-db.commit.quit:
	default:
		close(db.commit.quit)
	}
	<-db.commit.stopped
}

// update queues fn for the committer and waits for its answer.
func (db *DB) update(ctx context.Context, fn func(mfad.Tx) error) error {
	c := db.commit
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	r := &request{ctx: ctx, fn: fn, done: make(chan answer, 1)}
	select {
	case c.queue <- r:
	case <-ctx.Done():
		return fmt.Errorf("sqlite: begin: %w", ctx.Err())
	case <-c.quit:
		return errClosed
	}
	var a answer
	select {
	case a = <-r.done:
	case <-ctx.Done():
		if r.state.CompareAndSwap(pending, abandoned) {
			return fmt.Errorf("sqlite: begin: %w", ctx.Err())
		}
		a = <-r.done // fn has run or is running: its outcome is the answer
	case <-c.stopped:
		if r.state.CompareAndSwap(pending, abandoned) {
			return errClosed
		}
		a = <-r.done
	}
	if a.panicked {
		panic(a.panicVal)
	}
	return a.err
}

func (db *DB) commitLoop() {
	c := db.commit
	defer close(c.stopped)
	batch := make([]*request, 0, maxBatch)
	for {
		var first *request
		select {
		case first = <-c.queue:
		case <-c.quit:
			for {
				select {
				case r := <-c.queue:
					if r.state.CompareAndSwap(pending, taken) {
						r.done <- answer{err: errClosed}
					}
				default:
					return
				}
			}
		}
		// Everything that queued while the last batch was committing.
		batch = append(batch[:0], first)
	collect:
		for len(batch) < maxBatch {
			select {
			case r := <-c.queue:
				batch = append(batch, r)
			default:
				break collect
			}
		}
		db.commitBatch(batch)
		clear(batch)
	}
}

// commitBatch runs the batch in one transaction and answers every request
// in it.
func (db *DB) commitBatch(batch []*request) {
	live := batch[:0:0]
	for _, r := range batch {
		if !r.state.CompareAndSwap(pending, taken) {
			continue // its caller gave up before it started
		}
		if err := r.ctx.Err(); err != nil {
			r.done <- answer{err: fmt.Errorf("sqlite: begin: %w", err)}
			continue
		}
		live = append(live, r)
		db.stats.Tx(true)
	}
	if len(live) == 0 {
		return
	}
	ctx := context.Background() // see "Once fn has started" above
	sqlTx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		for _, r := range live {
			r.done <- answer{err: fmt.Errorf("sqlite: begin: %w", err)}
		}
		return
	}
	db.stats.Statement("BEGIN")
	bt := newTx(ctx, sqlTx, db.writeStmts, &db.stats)
	answers := make([]answer, len(live))
	ok := 0 // fns that succeeded
	// A lone Update needs no savepoint: its rollback is the transaction's.
	savepoints := len(live) > 1
	for i, r := range live {
		if savepoints {
			if _, err := bt.exec("SAVEPOINT u"); err != nil {
				db.abort(sqlTx, live, answers[:i], fmt.Errorf("sqlite: savepoint: %w", err))
				return
			}
		}
		answers[i] = db.runFn(sqlTx, r)
		failed := answers[i].err != nil || answers[i].panicked
		if failed && savepoints {
			// Undo fn's writes only. If that fails the transaction is in
			// an unknown state: nothing of the batch may commit.
			if _, err := bt.exec("ROLLBACK TO u"); err != nil {
				db.abort(sqlTx, live, answers[:i+1], fmt.Errorf("sqlite: rollback to savepoint: %w", err))
				return
			}
		}
		if savepoints {
			if _, err := bt.exec("RELEASE u"); err != nil {
				db.abort(sqlTx, live, answers[:i+1], fmt.Errorf("sqlite: release savepoint: %w", err))
				return
			}
		}
		if !failed {
			ok++
		}
	}
	if ok == 0 {
		// Nothing to keep: no COMMIT, no fsync.
		db.stats.Statement("ROLLBACK")
		sqlTx.Rollback()
	} else if err := db.commitTx(sqlTx); err != nil {
		err = fmt.Errorf("sqlite: commit: %w", err)
		for i := range answers {
			if answers[i].err == nil && !answers[i].panicked {
				answers[i].err = err
			}
		}
	} else {
		db.commit.commits.Add(1)
		db.checkpoint.committed()
	}
	for i, r := range live {
		r.done <- answers[i]
	}
	db.writeStmts.prepare(ctx) // now that the batch holds no connection
}

// abort rolls back the whole batch after a failure of its transaction
// itself. The callers whose fn ran and failed keep their fn's error (it
// was undone either way); every other caller gets err.
func (db *DB) abort(sqlTx *sql.Tx, live []*request, ran []answer, err error) {
	sqlTx.Rollback()
	for i, r := range live {
		a := answer{err: err}
		if i < len(ran) && (ran[i].err != nil || ran[i].panicked) {
			a = ran[i]
		}
		r.done <- a
	}
}

// runFn runs one caller's fn in the batch's transaction, catching a panic
// so that it reaches the caller rather than ending the committer.
func (db *DB) runFn(sqlTx *sql.Tx, r *request) (a answer) {
	defer func() {
		if p := recover(); p != nil {
			a = answer{panicked: true, panicVal: p}
		}
	}()
	return answer{err: r.fn(newTx(context.WithoutCancel(r.ctx), sqlTx, db.writeStmts, &db.stats))}
}

// commitTx commits the batch's transaction, counted.
func (db *DB) commitTx(sqlTx *sql.Tx) error {
	db.stats.Statement("COMMIT")
	return sqlTx.Commit()
}
