package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/mfad/mfad"
)

var txTests = []test{
	{"Tx/Rollback", testRollback},
	{"Tx/ViewIsReadOnly", testViewReadOnly},
	{"Tx/Times", testTimes},
	{"Tx/Ping", testPing},
}

// testRollback: an Update whose fn fails leaves nothing behind and returns
// fn's error as it is.
func testRollback(t *testing.T, s mfad.Store) {
	keep := createUser(t, s, "keep", "")
	boom := errors.New("boom")
	err := s.Update(t.Context(), func(tx mfad.Tx) error {
		u := newUser("alice", "")
		if err := tx.CreateUser(u); err != nil {
			return err
		}
		x := newSession(u.ID, "a")
		if err := tx.CreateSession(x); err != nil {
			return err
		}
		if err := tx.PutSetting("policy", "all"); err != nil {
			return err
		}
		if err := tx.DeleteUser(keep.ID); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Update returned %v; want fn's error itself", err)
	}
	view(t, s, func(tx mfad.Tx) error {
		n, err := tx.CountUsers()
		if err != nil || n != 1 {
			t.Errorf("CountUsers after rollback = %d, %v; want 1", n, err)
		}
		_, err = tx.UserByLogin("alice")
		wantErr(t, "rolled back user", err, mfad.ErrNoRows)
		_, err = tx.SessionByAccess(hash("access-a"))
		wantErr(t, "rolled back session", err, mfad.ErrNoRows)
		_, err = tx.Setting("policy")
		wantErr(t, "rolled back setting", err, mfad.ErrNoRows)
		return nil
	})
	equal(t, "user deleted in the rolled back transaction", getUser(t, s, keep.ID), keep)
	createUser(t, s, "alice", "") // the name was never taken
}

func testViewReadOnly(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	err := s.View(t.Context(), func(tx mfad.Tx) error { return tx.PutSetting("policy", "all") })
	if err == nil {
		t.Errorf("PutSetting in View succeeded")
	}
	err = s.View(t.Context(), func(tx mfad.Tx) error { return tx.DeleteUser(u.ID) })
	if err == nil {
		t.Errorf("DeleteUser in View succeeded")
	}
	if getUser(t, s, u.ID) == nil {
		t.Errorf("a View deleted a user")
	}
}

// testTimes: times keep their nanoseconds and come back in UTC; the zero
// time comes back as time.Time{} itself.
func testTimes(t *testing.T, s mfad.Store) {
	zone := time.FixedZone("UTC-7", -7*3600)
	tests := []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{"zero", time.Time{}, time.Time{}},
		{"utc", t0, t0},
		{"zone", time.Date(2030, 1, 2, 3, 4, 5, 6, zone), time.Date(2030, 1, 2, 10, 4, 5, 6, time.UTC)},
		{"monotonic", time.Now(), time.Now()}, // want is compared with Equal only
	}
	for _, tt := range tests {
		u := newUser(tt.name, "")
		u.CreatedAt, u.PasswordChangedAt = tt.in, tt.in
		update(t, s, func(tx mfad.Tx) error { return tx.CreateUser(u) })
		got := getUser(t, s, u.ID)
		if got.CreatedAt.Location() != time.UTC || !got.CreatedAt.Equal(tt.in) {
			t.Errorf("%s: stored %v, got %v (%v)", tt.name, tt.in, got.CreatedAt, got.CreatedAt.Location())
		}
		if tt.name != "monotonic" && got.CreatedAt != tt.want {
			t.Errorf("%s: got %#v; want %#v", tt.name, got.CreatedAt, tt.want)
		}
	}
}

func testPing(t *testing.T, s mfad.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}
