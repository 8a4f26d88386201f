package sqlq

import (
	"strings"
	"time"

	"github.com/mfad/mfad"
)

// Outbox page sizes: the default when NotificationFilter.Limit is 0, and
// the most one call returns.
const (
	DefaultOutboxLimit = 100
	MaxOutboxLimit     = 1000
)

const outboxColumns = `id, kind, target, user_id, time, remote_addr, dialect, detail, state,
	attempts, next_at, lease_until, last_error, done_at`

// ns is the stored form of an outbox time: nanoseconds, 0 for none.
func ns(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNS(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// EnqueueNotification inserts n as pending, due at once (or at n.NextAt),
// and sets its ID and State.
func (t Tx) EnqueueNotification(n *mfad.Notification) error {
	n.State = mfad.NotifyPending
	if n.NextAt.IsZero() {
		n.NextAt = n.Time
	}
	return t.row(`INSERT INTO outbox (kind, target, user_id, time, remote_addr, dialect, detail, state, next_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		n.Kind, n.Target, n.UserID, ns(n.Time), n.RemoteAddr, n.Dialect, n.Detail, n.State, ns(n.NextAt),
	).Scan(&n.ID)
}

// ClaimOutbox claims up to limit pending rows due at now whose lease has
// run out, oldest first: it leases them until leaseUntil, counts the
// attempt and returns them. lock is appended to the inner select
// (PostgreSQL: " FOR UPDATE SKIP LOCKED", so instances claiming at once
// take different rows without waiting; SQLite: "", one writer at a time).
func (t Tx) ClaimOutbox(lock string, now, leaseUntil time.Time, limit int) ([]mfad.Notification, error) {
	var out []mfad.Notification
	err := t.each(`UPDATE outbox SET lease_until = ?, attempts = attempts + 1
		WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' AND next_at <= ? AND lease_until <= ?
			ORDER BY id LIMIT ?`+lock+`)
		RETURNING `+outboxColumns, []any{ns(leaseUntil), ns(now), ns(now), limit}, func(s Scanner) error {
		n, err := scanNotification(s)
		out = append(out, n)
		return err
	})
	return out, err
}

// FinishNotification records the outcome of a delivery of row id and frees
// its lease: state pending (again at next), sent or failed, at at.
func (t Tx) FinishNotification(id int64, state, lastError string, next, at time.Time) error {
	done := int64(0)
	if state != mfad.NotifyPending {
		done = ns(at)
	}
	return t.execOne(`UPDATE outbox SET state = ?, last_error = ?, next_at = ?, lease_until = 0, done_at = ?
		WHERE id = ?`, state, lastError, ns(next), done, id)
}

// Notifications returns the rows f selects, newest (highest id) first.
func (t Tx) Notifications(f mfad.NotificationFilter) ([]mfad.Notification, error) {
	var conds []string
	var args []any
	if f.UserID != 0 {
		conds, args = append(conds, "user_id = ?"), append(args, f.UserID)
	}
	if f.State != "" {
		conds, args = append(conds, "state = ?"), append(args, f.State)
	}
	if f.BeforeID != 0 {
		conds, args = append(conds, "id < ?"), append(args, f.BeforeID)
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultOutboxLimit
	}
	args = append(args, min(limit, MaxOutboxLimit))
	var out []mfad.Notification
	err := t.each(`SELECT `+outboxColumns+` FROM outbox`+where+` ORDER BY id DESC LIMIT ?`, args,
		func(s Scanner) error {
			n, err := scanNotification(s)
			out = append(out, n)
			return err
		})
	return out, err
}

// DeleteNotificationsBefore deletes the sent and failed rows done before
// before, and returns how many.
func (t Tx) DeleteNotificationsBefore(before time.Time) (int, error) {
	n, err := t.exec(`DELETE FROM outbox WHERE state <> 'pending' AND done_at < ?`, ns(before))
	return int(n), err
}

func scanNotification(s Scanner) (mfad.Notification, error) {
	var n mfad.Notification
	var tm, next, lease, done int64
	err := s.Scan(&n.ID, &n.Kind, &n.Target, &n.UserID, &tm, &n.RemoteAddr, &n.Dialect, &n.Detail, &n.State,
		&n.Attempts, &next, &lease, &n.LastError, &done)
	n.Time, n.NextAt, n.LeaseUntil, n.DoneAt = fromNS(tm), fromNS(next), fromNS(lease), fromNS(done)
	return n, err
}
