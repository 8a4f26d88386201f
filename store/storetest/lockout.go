package storetest

import (
	"testing"
	"time"

	"github.com/mfad/mfad"
)

var lockoutTests = []test{
	{"Lockout/RecordMFAFailure", testRecordMFAFailure},
	{"Lockout/KeepsLaterLock", testKeepsLaterLock},
	{"Lockout/Reset", testResetMFAFailures},
}

// record records one failure with the given lock answer and returns the
// count lock was asked with and the updated user.
func record(t *testing.T, s mfad.Store, id int64, until time.Time, hard bool) (int, *mfad.User) {
	t.Helper()
	asked := -1
	var u *mfad.User
	update(t, s, func(tx mfad.Tx) (err error) {
		u, err = tx.RecordMFAFailure(id, func(n int) (time.Time, bool) {
			asked = n
			return until, hard
		})
		return err
	})
	return asked, u
}

func testRecordMFAFailure(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	for i := 1; i <= 3; i++ {
		asked, got := record(t, s, u.ID, time.Time{}, false)
		if asked != i || got.MFAFailures != i {
			t.Errorf("failure %d: lock asked with %d, user has %d", i, asked, got.MFAFailures)
		}
	}
	berlin := time.FixedZone("CEST", 2*3600)
	_, got := record(t, s, u.ID, at(30*time.Second).In(berlin), false)
	want := *u
	want.MFAFailures, want.MFALockedUntil = 4, at(30*time.Second)
	equal(t, "returned user", got, &want)
	equal(t, "stored user", getUser(t, s, u.ID), &want)
}

// testKeepsLaterLock: an earlier or zero lock never shortens the one in
// place, and a hard lock stays until reset.
func testKeepsLaterLock(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	steps := []struct {
		until     time.Time
		hard      bool
		wantUntil time.Time
		wantHard  bool
	}{
		{at(time.Minute), false, at(time.Minute), false},
		{at(time.Second), false, at(time.Minute), false},
		{time.Time{}, false, at(time.Minute), false},
		{at(time.Hour), true, at(time.Hour), true},
		{time.Time{}, false, at(time.Hour), true},
		{at(2 * time.Hour), false, at(2 * time.Hour), true},
	}
	for i, st := range steps {
		_, got := record(t, s, u.ID, st.until, st.hard)
		stored := getUser(t, s, u.ID)
		for _, x := range []*mfad.User{got, stored} {
			if !x.MFALockedUntil.Equal(st.wantUntil) || x.MFAHardLocked != st.wantHard || x.MFAFailures != i+1 {
				t.Errorf("step %d: failures %d, until %v, hard %v; want %d, %v, %v",
					i, x.MFAFailures, x.MFALockedUntil, x.MFAHardLocked, i+1, st.wantUntil, st.wantHard)
			}
		}
	}
}

func testResetMFAFailures(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	other := createUser(t, s, "bob", "")
	record(t, s, u.ID, at(time.Hour), true)
	record(t, s, other.ID, at(time.Hour), true)
	update(t, s, func(tx mfad.Tx) error { return tx.ResetMFAFailures(u.ID) })
	equal(t, "reset user", getUser(t, s, u.ID), u)
	if o := getUser(t, s, other.ID); o.MFAFailures != 1 || !o.MFAHardLocked {
		t.Errorf("other user changed: %+v", o)
	}
	asked, _ := record(t, s, u.ID, time.Time{}, false)
	if asked != 1 {
		t.Errorf("after reset, lock asked with %d; want 1", asked)
	}
}
