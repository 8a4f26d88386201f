package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mfad/mfad"
)

var outboxTests = []test{
	{"Outbox/EnqueueClaimFinish", testOutboxLifecycle},
	{"Outbox/RolledBackIsNotQueued", testOutboxRollback},
	{"Outbox/ConcurrentClaimsAreDisjoint", testOutboxConcurrentClaims},
	{"Outbox/ListAndPrune", testOutboxList},
}

func enqueue(t *testing.T, s mfad.Store, kind string, userID int64, when time.Time) mfad.Notification {
	t.Helper()
	n := &mfad.Notification{Kind: kind, Target: mfad.TargetEmail, UserID: userID, Time: when,
		RemoteAddr: "192.0.2.1", Dialect: "rest", Detail: "remaining=3"}
	update(t, s, func(tx mfad.Tx) error { return tx.EnqueueNotification(n) })
	if n.ID == 0 || n.State != mfad.NotifyPending {
		t.Fatalf("EnqueueNotification: id %d state %q", n.ID, n.State)
	}
	return *n
}

func claim(t *testing.T, s mfad.Store, now time.Time, lease time.Duration, limit int) []mfad.Notification {
	t.Helper()
	var ns []mfad.Notification
	update(t, s, func(tx mfad.Tx) (err error) {
		ns, err = tx.ClaimNotifications(now, now.Add(lease), limit)
		return err
	})
	return ns
}

func ids(ns []mfad.Notification) []int64 {
	out := []int64{}
	for _, n := range ns {
		out = append(out, n.ID)
	}
	return out
}

func testOutboxLifecycle(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "alice@example.com")
	n := enqueue(t, s, mfad.NotifyScratchUsed, u.ID, t0)
	equal(t, "claim before due", ids(claim(t, s, at(-time.Second), time.Minute, 10)), []int64{})
	got := claim(t, s, t0, time.Minute, 10)
	if len(got) != 1 {
		t.Fatalf("claim: %d rows, want 1", len(got))
	}
	want := n
	want.Attempts, want.LeaseUntil, want.NextAt = 1, at(time.Minute), t0
	equal(t, "claimed row", got[0], want)
	equal(t, "claim while leased", ids(claim(t, s, at(30*time.Second), time.Minute, 10)), []int64{})
	// The claimer crashed: once its lease runs out the row is claimed again.
	again := claim(t, s, at(time.Minute), time.Minute, 10)
	if len(again) != 1 || again[0].Attempts != 2 {
		t.Fatalf("claim after the lease: %+v", again)
	}
	update(t, s, func(tx mfad.Tx) error {
		return tx.FinishNotification(n.ID, mfad.NotifyPending, "connection refused", at(5*time.Minute), at(time.Minute))
	})
	equal(t, "claim before the retry", ids(claim(t, s, at(4*time.Minute), time.Minute, 10)), []int64{})
	equal(t, "claim at the retry", ids(claim(t, s, at(5*time.Minute), time.Minute, 10)), []int64{n.ID})
	update(t, s, func(tx mfad.Tx) error {
		return tx.FinishNotification(n.ID, mfad.NotifySent, "", time.Time{}, at(6*time.Minute))
	})
	equal(t, "claim after sent", ids(claim(t, s, at(time.Hour), time.Minute, 10)), []int64{})
	var rows []mfad.Notification
	view(t, s, func(tx mfad.Tx) (err error) {
		rows, err = tx.Notifications(mfad.NotificationFilter{})
		return err
	})
	if len(rows) != 1 || rows[0].State != mfad.NotifySent || rows[0].Attempts != 3 ||
		!rows[0].DoneAt.Equal(at(6*time.Minute)) || !rows[0].LeaseUntil.IsZero() || rows[0].LastError != "" {
		t.Errorf("after sent: %+v", rows)
	}
	wantErr(t, "finish unknown", s.Update(t.Context(), func(tx mfad.Tx) error {
		return tx.FinishNotification(n.ID+100, mfad.NotifySent, "", time.Time{}, t0)
	}), mfad.ErrNoRows)
}

// testOutboxRollback: a row written in a transaction that rolls back is
// never delivered: the outbox and the change share their fate.
func testOutboxRollback(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	boom := errors.New("boom")
	err := s.Update(t.Context(), func(tx mfad.Tx) error {
		if err := tx.EnqueueNotification(&mfad.Notification{Kind: mfad.NotifyReplay, Target: mfad.TargetEmail,
			UserID: u.ID, Time: t0}); err != nil {
			return err
		}
		return boom
	})
	wantErr(t, "rolled back", err, boom)
	equal(t, "claim", ids(claim(t, s, at(time.Hour), time.Minute, 10)), []int64{})
}

// testOutboxConcurrentClaims: claimers racing get each row once between
// them while the leases hold.
func testOutboxConcurrentClaims(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	const rows = 40
	for range rows {
		enqueue(t, s, mfad.NotifyReplay, u.ID, t0)
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range rows {
				var ns []mfad.Notification
				err := s.Update(t.Context(), func(tx mfad.Tx) (err error) {
					ns, err = tx.ClaimNotifications(t0, at(time.Hour), 3)
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, n := range ns {
					seen[n.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != rows {
		t.Errorf("claimed %d distinct rows, want %d", len(seen), rows)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("row %d claimed %d times", id, c)
		}
	}
}

func testOutboxList(t *testing.T, s mfad.Store) {
	a := createUser(t, s, "alice", "")
	b := createUser(t, s, "bob", "")
	n1 := enqueue(t, s, mfad.NotifyReplay, a.ID, t0)
	n2 := enqueue(t, s, mfad.NotifyLocked, b.ID, t0)
	n3 := enqueue(t, s, mfad.NotifyDisabled, a.ID, t0)
	update(t, s, func(tx mfad.Tx) error {
		return tx.FinishNotification(n1.ID, mfad.NotifyFailed, "gave up", time.Time{}, at(time.Minute))
	})
	list := func(f mfad.NotificationFilter) []int64 {
		var rows []mfad.Notification
		view(t, s, func(tx mfad.Tx) (err error) {
			rows, err = tx.Notifications(f)
			return err
		})
		return ids(rows)
	}
	equal(t, "all", list(mfad.NotificationFilter{}), []int64{n3.ID, n2.ID, n1.ID})
	equal(t, "alice", list(mfad.NotificationFilter{UserID: a.ID}), []int64{n3.ID, n1.ID})
	equal(t, "failed", list(mfad.NotificationFilter{State: mfad.NotifyFailed}), []int64{n1.ID})
	equal(t, "page", list(mfad.NotificationFilter{BeforeID: n3.ID, Limit: 1}), []int64{n2.ID})
	var n int
	update(t, s, func(tx mfad.Tx) (err error) {
		n, err = tx.DeleteNotificationsBefore(at(time.Hour))
		return err
	})
	equal(t, "pruned", n, 1)
	equal(t, "after prune", list(mfad.NotificationFilter{}), []int64{n3.ID, n2.ID})
}
