// Package notify delivers the notifications the core writes to the
// transactional outbox (mfad.Notification): a Worker, run by every
// instance, claims due rows with a lease, hands each to the Sender of its
// target (a webhook, the user's email) and records the outcome, retrying
// with exponential back-off. Delivery is at least once: a claimer that dies
// after sending but before recording sends again once its lease runs out.
package notify

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/mfad/mfad"
)

// Sender delivers one notification. u is its user, nil if deleted since.
type Sender interface {
	Send(ctx context.Context, n mfad.Notification, u *mfad.User) error
}

// permanent marks an error no retry can mend (no address, no such target).
type permanent struct{ error }

// Permanent wraps err so the worker gives up on the row at once.
func Permanent(err error) error { return permanent{err} }

// Worker delivers outbox rows. Zero fields take the defaults noted.
type Worker struct {
	Store       mfad.Store
	Senders     map[string]Sender // by target (mfad.TargetEmail, "webhook:NAME")
	Lease       time.Duration     // how long a claim holds its rows: 2 min
	Interval    time.Duration     // between polls when idle: 2 s
	Backoff     time.Duration     // first retry delay, doubling: 10 s
	MaxBackoff  time.Duration     // 1 h
	MaxAttempts int               // then the row fails: 10
	Batch       int               // rows per claim: 20
	Now         func() time.Time
	Log         *slog.Logger
	// Delivered, when set, is told of each attempt's outcome (metrics).
	Delivered func(target, state string)
	// CrashPoint, when set, is called at "notify.claimed" (rows claimed
	// and committed, nothing sent yet): the test build crashes there.
	CrashPoint func(name string)
}

func (w *Worker) defaults() {
	set := func(p *time.Duration, d time.Duration) {
		if *p <= 0 {
			*p = d
		}
	}
	set(&w.Lease, 2*time.Minute)
	set(&w.Interval, 2*time.Second)
	set(&w.Backoff, 10*time.Second)
	set(&w.MaxBackoff, time.Hour)
	if w.MaxAttempts <= 0 {
		w.MaxAttempts = 10
	}
	if w.Batch <= 0 {
		w.Batch = 20
	}
	if w.Now == nil {
		w.Now = time.Now
	}
	if w.Log == nil {
		w.Log = slog.Default()
	}
}

// Run delivers until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	w.defaults()
	for {
		n, err := w.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			w.Log.Warn("notification delivery", "err", err)
		}
		if n > 0 && err == nil {
			continue // there may be more due
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(w.Interval):
		}
	}
}

// RunOnce claims one batch of due rows, delivers them and records the
// outcomes; it returns how many it claimed.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	w.defaults()
	now := w.Now().UTC()
	var rows []mfad.Notification
	err := w.Store.Update(ctx, func(tx mfad.Tx) (err error) {
		rows, err = tx.ClaimNotifications(now, now.Add(w.Lease), w.Batch)
		return err
	})
	if err != nil {
		return 0, err
	}
	if len(rows) > 0 && w.CrashPoint != nil {
		w.CrashPoint("notify.claimed")
	}
	for _, n := range rows {
		if err := w.deliver(ctx, n); err != nil {
			return len(rows), err
		}
	}
	return len(rows), nil
}

// deliver sends one claimed row and records the outcome.
func (w *Worker) deliver(ctx context.Context, n mfad.Notification) error {
	err := w.send(ctx, n)
	now := w.Now().UTC()
	state, msg, next := mfad.NotifySent, "", time.Time{}
	var p permanent
	switch {
	case err == nil:
	case errors.As(err, &p) || n.Attempts >= w.MaxAttempts:
		state, msg = mfad.NotifyFailed, errText(err)
	default:
		state, msg, next = mfad.NotifyPending, errText(err), now.Add(w.backoff(n.Attempts))
	}
	if err != nil {
		w.Log.Warn("notification not delivered", "id", n.ID, "kind", n.Kind, "target", n.Target,
			"attempt", n.Attempts, "state", state, "err", msg)
	}
	if w.Delivered != nil {
		w.Delivered(n.Target, state)
	}
	return w.Store.Update(ctx, func(tx mfad.Tx) error {
		return tx.FinishNotification(n.ID, state, msg, next, now)
	})
}

func (w *Worker) send(ctx context.Context, n mfad.Notification) error {
	s := w.Senders[n.Target]
	if s == nil {
		return Permanent(errors.New("target not configured"))
	}
	var u *mfad.User
	err := w.Store.View(ctx, func(tx mfad.Tx) (err error) {
		u, err = tx.UserByID(n.UserID)
		return err
	})
	if errors.Is(err, mfad.ErrNoRows) {
		u, err = nil, nil
	}
	if err != nil {
		return err
	}
	return s.Send(ctx, n, u)
}

// backoff is the delay before the attempt after attempt: Backoff doubled
// per attempt, at most MaxBackoff.
func (w *Worker) backoff(attempt int) time.Duration {
	d := w.Backoff << min(max(attempt-1, 0), 20)
	return min(d, w.MaxBackoff)
}

// errText keeps a delivery error short for the log column.
func errText(err error) string {
	s := err.Error()
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}
