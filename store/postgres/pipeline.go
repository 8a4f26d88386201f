package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Pipelining (issue 17).
//
// A transaction of Update costs one network round trip per statement if
// each is sent and answered in turn, and on a busy machine each round trip
// costs far more CPU (a write, a wake-up and a read on both sides) than
// the statement itself. So a tx sends as little as it can on its own:
//
//   - BEGIN is not sent by itself; it goes with the first statement.
//   - Writes whose outcome the caller does not wait for (later: an audit
//     event; the second-factor time of a session, or the deletion of a
//     ticket, that this transaction has locked by reading it for a
//     verification, so the write cannot miss) are queued, and go with the
//     next statement that must be answered, or with the COMMIT.
//
// PostgreSQL runs a pipeline in order and stops at the first error, so a
// transaction behaves as if each statement had been sent alone: a queued
// write that fails makes the call that sent it fail (and the transaction
// roll back), and COMMIT never runs after a failure. A verification is
// then three round trips: BEGIN with the joined read, the step, and the
// audit event and session update with the COMMIT.

// later is a queued write; scan, if set, receives its RETURNING row.
type later struct {
	query string
	args  []any
	scan  func(pgx.Row) error
}

// pending reports whether anything waits to be sent before the next
// statement.
func (t *tx) pending() bool { return t.begin != "" || len(t.later) > 0 }

// queue defers a write until the next statement or the commit.
func (t *tx) queue(query string, scan func(pgx.Row) error, args ...any) {
	t.later = append(t.later, later{query: query, args: args, scan: scan})
}

// send sends what is pending and then b's statements in one round trip and
// returns the results of b's statements, after those of the pending ones
// have been read; the caller must Close them.
func (t *tx) send(b *pgx.Batch) (pgx.BatchResults, error) {
	all := &pgx.Batch{}
	begin, later := t.begin != "", t.later
	durable := begin && t.durable
	if begin {
		all.Queue(t.begin)
	}
	if durable {
		all.Queue(setDurable)
	}
	for _, l := range later {
		all.Queue(l.query, l.args...)
	}
	all.QueuedQueries = append(all.QueuedQueries, b.QueuedQueries...)
	for _, q := range all.QueuedQueries {
		t.db.stats.Statement(q.SQL)
	}
	t.db.stats.RoundTrip()
	t.begin, t.later = "", nil
	br := t.conn.SendBatch(t.ctx, all)
	fail := func(err error) (pgx.BatchResults, error) {
		br.Close()
		return nil, mapError(err)
	}
	if begin {
		if _, err := br.Exec(); err != nil {
			return fail(fmt.Errorf("begin: %w", err))
		}
	}
	if durable {
		if _, err := br.Exec(); err != nil {
			return fail(fmt.Errorf("setting synchronous_commit: %w", err))
		}
	}
	for _, l := range later {
		var err error
		if l.scan != nil {
			err = l.scan(br.QueryRow())
		} else {
			_, err = br.Exec()
		}
		if err != nil {
			return fail(err)
		}
	}
	return br, nil
}

// one sends query (after anything pending) and returns its results.
func (t *tx) one(query string, args ...any) (pgx.BatchResults, error) {
	b := &pgx.Batch{}
	b.Queue(query, args...)
	return t.send(b)
}

// commit sends what is pending and COMMIT in one round trip.
func (t *tx) commit() error {
	if t.begin != "" && len(t.later) == 0 {
		t.begin = "" // nothing was sent: nothing to commit
		return nil
	}
	b := &pgx.Batch{}
	b.Queue("COMMIT")
	br, err := t.send(b)
	if err != nil {
		return err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err == nil && tag.String() != "COMMIT" {
		err = fmt.Errorf("transaction ended with %s", tag)
	}
	return err
}

// rollback ends a transaction that was not committed: ROLLBACK if BEGIN
// was sent. It gets its own context, so a cancelled request still returns
// its connection to the pool cleanly; a connection left inside a
// transaction is closed by the pool instead of reused.
func (t *tx) rollback() {
	if t.begin != "" || t.conn.PgConn().TxStatus() == 'I' {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	t.db.stats.Statement("ROLLBACK")
	t.db.stats.RoundTrip()
	_, _ = t.conn.Exec(ctx, "ROLLBACK")
}

// forget drops what the transaction knows it has locked, after a statement
// that may delete those rows.
func (t *tx) forget(query string) {
	if strings.Contains(query, "DELETE") {
		t.lockedSession, t.lockedTicket = 0, 0
	}
}

// pgxConn is what a tx needs of a connection.
type pgxConn interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	PgConn() *pgconn.PgConn
}
