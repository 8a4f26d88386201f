package postgres_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/store/postgres/pgtest"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestUpdateRetriesConflicts provokes a conflict PostgreSQL resolves by
// aborting one transaction (a deadlock, 40P01: two Updates lock two users
// in opposite orders) and checks that Update runs the aborted one again:
// both succeed, each counted failure lands exactly once, and the store
// counts the retry. Without the retry one Update fails.
func TestUpdateRetriesConflicts(t *testing.T) {
	pgtest.URL(t)
	db, _ := mustOpen(t, "pool_max_conns", "4")
	var ids [2]int64
	if err := db.Update(t.Context(), func(tx mfad.Tx) error {
		for i, name := range []string{"alice", "bob"} {
			u := &mfad.User{Name: name, Role: mfad.RoleUser, PasswordHash: "x", CreatedAt: time.Now()}
			if err := tx.CreateUser(u); err != nil {
				return err
			}
			ids[i] = u.ID
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	noLock := func(int) (time.Time, bool) { return time.Time{}, false }
	var runs atomic.Int32
	var holding sync.WaitGroup // each first attempt holds its first row
	holding.Add(2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			first := true
			errs[i] = db.Update(t.Context(), func(tx mfad.Tx) error {
				runs.Add(1)
				if _, err := tx.RecordMFAFailure(ids[i], noLock); err != nil {
					return err
				}
				if first {
					first = false
					holding.Done()
					holding.Wait() // now each waits for the other's row: a deadlock
				}
				_, err := tx.RecordMFAFailure(ids[1-i], noLock)
				return err
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Update %d: %v", i, err)
		}
	}
	if err := db.View(t.Context(), func(tx mfad.Tx) error {
		for _, id := range ids {
			u, err := tx.UserByID(id)
			if err != nil {
				return err
			}
			if u.MFAFailures != 2 {
				t.Errorf("user %d has %d failures; want 2 (one per successful Update)", id, u.MFAFailures)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The victim's next run may deadlock again with the other's first
	// (it can take its first row back before the other wakes up), so the
	// retries are at least one, and every run but two was one.
	r := db.StoreCounts().Transactions["retry"]
	if n := runs.Load(); r < 1 || uint64(n) != 2+r {
		t.Errorf("fn ran %d times with %d retries counted; want at least 1 retry and 2 runs more than retries", n, r)
	}
}

// TestViewRetriesConflicts: a read-only transaction aborted for a conflict
// (40001, as a distributed PostgreSQL-compatible engine may abort one) is
// run again, as Update's are; another error is not.
func TestViewRetriesConflicts(t *testing.T) {
	pgtest.URL(t)
	db, _ := mustOpen(t)
	runs := 0
	err := db.View(t.Context(), func(tx mfad.Tx) error {
		runs++
		if runs == 1 {
			return &pgconn.PgError{Code: "40001", Message: "restart transaction"}
		}
		_, err := tx.CountUsers()
		return err
	})
	if err != nil || runs != 2 {
		t.Fatalf("View after a conflict: %v after %d runs, want success after 2", err, runs)
	}
	runs = 0
	err = db.View(t.Context(), func(tx mfad.Tx) error {
		runs++
		return &pgconn.PgError{Code: "42P01"}
	})
	if err == nil || runs != 1 {
		t.Fatalf("View with another error: %v after %d runs, want that error after 1", err, runs)
	}
}
