package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mfad/mfad"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "mfad.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// hold starts an Update whose fn waits until release is called, so that
// the Updates queued meanwhile form one batch. release returns that
// Update's error.
func hold(t *testing.T, db *DB) (release func() error) {
	t.Helper()
	started, unblock := make(chan struct{}), make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- db.Update(context.Background(), func(tx mfad.Tx) error {
			close(started)
			<-unblock
			return tx.PutSetting("held", "yes")
		})
	}()
	<-started
	return func() error { close(unblock); return <-errc }
}

// waitQueued waits until n Updates are queued behind the held one.
func waitQueued(t *testing.T, db *DB, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute) // a guard against a hang, not a timing assertion
	for len(db.commit.queue) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d Updates queued; want %d", len(db.commit.queue), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func userNamed(t *testing.T, db *DB, name string) bool {
	t.Helper()
	err := db.View(t.Context(), func(tx mfad.Tx) error {
		_, err := tx.UserByLogin(name)
		return err
	})
	if err != nil && !errors.Is(err, mfad.ErrNoRows) {
		t.Fatal(err)
	}
	return err == nil
}

func createIn(tx mfad.Tx, name string) error {
	return tx.CreateUser(&mfad.User{Name: name, Role: mfad.RoleUser, PasswordHash: "h"})
}

// TestGroupCommit: N concurrent Updates are committed with fewer than N
// commits, and every one of them is in the database when its Update
// returns.
func TestGroupCommit(t *testing.T) {
	db := openTest(t)
	const n = 100
	before := db.commit.commits.Load()
	release := hold(t, db)
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = db.Update(t.Context(), func(tx mfad.Tx) error { return createIn(tx, fmt.Sprintf("u%d", i)) })
		})
	}
	waitQueued(t, db, n)
	if err := release(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Update %d: %v", i, err)
		}
		if !userNamed(t, db, fmt.Sprintf("u%d", i)) {
			t.Errorf("user u%d missing after its Update returned", i)
		}
	}
	// The held Update commits alone; the n queued behind it share one commit.
	if got := db.commit.commits.Load() - before; got >= n || got != 2 {
		t.Errorf("%d Updates took %d commits; want 2", n+1, got)
	}
}

// TestGroupCommitConcurrent: Updates racing without any help still share
// commits (fewer commits than Updates) and all land.
func TestGroupCommitConcurrent(t *testing.T) {
	db := openTest(t)
	const n = 200
	before := db.commit.commits.Load()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := db.Update(t.Context(), func(tx mfad.Tx) error { return createIn(tx, fmt.Sprintf("u%d", i)) }); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	var count int
	if err := db.View(t.Context(), func(tx mfad.Tx) (err error) { count, err = tx.CountUsers(); return err }); err != nil {
		t.Fatal(err)
	}
	commits := db.commit.commits.Load() - before
	t.Logf("%d Updates, %d commits", n, commits)
	if count != n || commits > n {
		t.Errorf("%d users, %d commits; want %d users and at most %d commits", count, commits, n, n)
	}
}

// TestGroupCommitIsolation: in one batch, a failing fn and a panicking fn
// lose their own writes and nothing else; the failing caller gets its own
// error value, the panicking caller its panic.
func TestGroupCommitIsolation(t *testing.T) {
	db := openTest(t)
	boom := errors.New("boom")
	before := db.commit.commits.Load()
	release := hold(t, db)
	var wg sync.WaitGroup
	var okErr1, okErr2, failErr error
	var panicked any
	wg.Go(func() {
		okErr1 = db.Update(t.Context(), func(tx mfad.Tx) error { return createIn(tx, "ok1") })
	})
	waitQueued(t, db, 1)
	wg.Go(func() {
		failErr = db.Update(t.Context(), func(tx mfad.Tx) error {
			if err := createIn(tx, "failed"); err != nil {
				return err
			}
			if err := tx.PutSetting("held", "overwritten"); err != nil {
				return err
			}
			return boom
		})
	})
	waitQueued(t, db, 2)
	wg.Go(func() {
		defer func() { panicked = recover() }()
		db.Update(t.Context(), func(tx mfad.Tx) error {
			if err := createIn(tx, "panicked"); err != nil {
				return err
			}
			panic("fn panicked")
		})
	})
	waitQueued(t, db, 3)
	wg.Go(func() {
		okErr2 = db.Update(t.Context(), func(tx mfad.Tx) error {
			// Sees ok1, written earlier in the same batch, and not failed.
			u, err := tx.UserByLogin("ok1")
			if err != nil {
				return err
			}
			if _, err := tx.UserByLogin("failed"); !errors.Is(err, mfad.ErrNoRows) {
				return fmt.Errorf("a rolled-back write is visible: %v", err)
			}
			return createIn(tx, fmt.Sprintf("ok2-after-%d", u.ID))
		})
	})
	waitQueued(t, db, 4)
	if err := release(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if okErr1 != nil || okErr2 != nil {
		t.Errorf("succeeding Updates returned %v, %v", okErr1, okErr2)
	}
	if failErr != boom {
		t.Errorf("failing Update returned %v; want fn's error itself", failErr)
	}
	if panicked != "fn panicked" {
		t.Errorf("panicking Update: recovered %v", panicked)
	}
	for name, want := range map[string]bool{"ok1": true, "failed": false, "panicked": false} {
		if got := userNamed(t, db, name); got != want {
			t.Errorf("user %s present: %v; want %v", name, got, want)
		}
	}
	err := db.View(t.Context(), func(tx mfad.Tx) error {
		v, err := tx.Setting("held")
		if err == nil && v != "yes" {
			err = fmt.Errorf("setting held = %q: a failed fn's write survived", v)
		}
		n, cerr := tx.CountUsers()
		if err == nil && (cerr != nil || n != 2) {
			err = fmt.Errorf("%d users, %v; want 2", n, cerr)
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
	if got := db.commit.commits.Load() - before; got != 2 {
		t.Errorf("%d commits; want 2 (the held Update, then the batch)", got)
	}
}

// TestGroupCommitFailure: when the batch's COMMIT fails, every caller
// whose fn succeeded gets the error and none of the batch is kept; the
// next Update works.
func TestGroupCommitFailure(t *testing.T) {
	db := openTest(t)
	release := hold(t, db)
	const n = 5
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = db.Update(t.Context(), func(tx mfad.Tx) error { return createIn(tx, fmt.Sprintf("u%d", i)) })
		})
	}
	waitQueued(t, db, n)
	// A deferred foreign key violation passes every statement and fails
	// only the COMMIT.
	wg.Go(func() {
		err := db.Update(t.Context(), func(mtx mfad.Tx) error {
			raw := mtx.(*tx)
			if _, err := raw.exec(`PRAGMA defer_foreign_keys = ON`); err != nil {
				return err
			}
			_, err := raw.exec(`INSERT INTO scratch_codes (user_id, code) VALUES (424242, 'x')`)
			return err
		})
		if err == nil {
			panic("the violating Update committed")
		}
	})
	waitQueued(t, db, n+1)
	if err := release(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i := range n {
		if errs[i] == nil || !strings.Contains(errs[i].Error(), "commit") {
			t.Errorf("Update %d returned %v; want the failed COMMIT's error", i, errs[i])
		}
		if userNamed(t, db, fmt.Sprintf("u%d", i)) {
			t.Errorf("user u%d kept from a failed COMMIT", i)
		}
	}
	if err := db.Update(t.Context(), func(tx mfad.Tx) error { return createIn(tx, "after") }); err != nil {
		t.Fatalf("Update after a failed COMMIT: %v", err)
	}
	if !userNamed(t, db, "after") {
		t.Error("user after missing")
	}
}

// TestUpdateContext: an Update whose context ends before its fn starts
// returns the context's error and never runs fn.
func TestUpdateContext(t *testing.T) {
	db := openTest(t)
	done, cancel := context.WithCancel(t.Context())
	cancel()
	ran := false
	if err := db.Update(done, func(tx mfad.Tx) error { ran = true; return nil }); !errors.Is(err, context.Canceled) || ran {
		t.Errorf("Update with a done context: %v, ran %v", err, ran)
	}

	release := hold(t, db)
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		errc <- db.Update(ctx, func(tx mfad.Tx) error { ran = true; return createIn(tx, "late") })
	}()
	waitQueued(t, db, 1)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Update cancelled while queued: %v", err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(t.Context(), func(tx mfad.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if ran || userNamed(t, db, "late") {
		t.Error("the fn of a cancelled Update ran")
	}
}

func TestUpdateAfterClose(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "mfad.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(t.Context(), func(tx mfad.Tx) error { return nil }); err == nil {
		t.Error("Update on a closed database succeeded")
	}
}
