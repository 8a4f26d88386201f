package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/mfad/mfad"
)

var throttleTests = []test{
	{"Throttles/ChangeGetDelete", testThrottles},
	{"Throttles/Race", testRaceThrottle},
	{"KnownAddresses", testKnownAddresses},
}

func throttle(t *testing.T, s mfad.Store, key string) *mfad.Throttle {
	t.Helper()
	return find(t, s, func(tx mfad.Tx) (*mfad.Throttle, error) { return tx.Throttle(key) })
}

// failThrottle counts one failure on key at t0.
func failThrottle(tx mfad.Tx, key string) error {
	_, err := tx.ChangeThrottle(key, func(th *mfad.Throttle) error {
		th.Failures++
		th.Updated = t0
		return nil
	})
	return err
}

func changeThrottle(t *testing.T, s mfad.Store, key string, fn func(*mfad.Throttle) error) (*mfad.Throttle, error) {
	t.Helper()
	var got *mfad.Throttle
	err := s.Update(t.Context(), func(tx mfad.Tx) (err error) {
		got, err = tx.ChangeThrottle(key, fn)
		return err
	})
	return got, err
}

func testThrottles(t *testing.T, s mfad.Store) {
	if th := throttle(t, s, "user:1"); th != nil {
		t.Fatalf("empty store has throttle %+v", th)
	}
	// A missing key is handed to fn empty, and what fn makes of it is stored.
	var seen mfad.Throttle
	a := &mfad.Throttle{Key: "user:1", Failures: 3, Until: at(time.Second), Updated: t0, Pending: 2}
	got, err := changeThrottle(t, s, "user:1", func(th *mfad.Throttle) error {
		seen = *th
		*th = *a
		return nil
	})
	if err != nil {
		t.Fatalf("ChangeThrottle: %v", err)
	}
	equal(t, "throttle handed to fn for a new key", seen, mfad.Throttle{Key: "user:1"})
	equal(t, "ChangeThrottle result", got, a)
	equal(t, "Throttle", throttle(t, s, "user:1"), a)
	b := &mfad.Throttle{Key: "addr:x", Failures: 1, Updated: t0}
	update(t, s, func(tx mfad.Tx) error { return failThrottle(tx, "addr:x") })
	equal(t, "other Throttle", throttle(t, s, "addr:x"), b)

	// fn sees the stored row; a failing fn changes nothing.
	boom := errors.New("refused")
	_, err = changeThrottle(t, s, "user:1", func(th *mfad.Throttle) error {
		seen = *th
		th.Failures = 99
		return boom
	})
	wantErr(t, "ChangeThrottle with a failing fn", err, boom)
	equal(t, "throttle handed to fn", seen, *a)
	equal(t, "Throttle after a failing fn", throttle(t, s, "user:1"), a)
	_, err = changeThrottle(t, s, "user:new", func(*mfad.Throttle) error { return boom })
	wantErr(t, "ChangeThrottle of a new key with a failing fn", err, boom)
	if th := throttle(t, s, "user:new"); th != nil {
		t.Errorf("a failing fn left a row: %+v", th)
	}

	// Changed times keep their nanoseconds; an emptied row is deleted.
	a2 := &mfad.Throttle{Key: "user:1", Failures: 4, Until: at(2 * time.Second), Updated: at(time.Second)}
	if _, err := changeThrottle(t, s, "user:1", func(th *mfad.Throttle) error { *th = *a2; return nil }); err != nil {
		t.Fatal(err)
	}
	equal(t, "changed Throttle", throttle(t, s, "user:1"), a2)
	if _, err := changeThrottle(t, s, "user:1", func(th *mfad.Throttle) error { *th = mfad.Throttle{}; return nil }); err != nil {
		t.Fatal(err)
	}
	if th := throttle(t, s, "user:1"); th != nil {
		t.Errorf("emptied throttle still there: %+v", th)
	}
	for _, k := range []string{"user:1", "user:1:a", "user:1:dev:b", "user:12", "user:1x"} {
		update(t, s, func(tx mfad.Tx) error { return failThrottle(tx, k) })
	}
	calls([]call{
		{"DeleteThrottle", func(tx mfad.Tx) error { return tx.DeleteThrottle("user:1") }, nil},
		{"DeleteThrottle again", func(tx mfad.Tx) error { return tx.DeleteThrottle("user:1") }, mfad.ErrNoRows},
	}).run(t, s)
	for k, kept := range map[string]bool{"user:1": false, "user:1:a": false, "user:1:dev:b": false, "user:12": true, "user:1x": true} {
		if th := throttle(t, s, k); (th != nil) != kept {
			t.Errorf("after DeleteThrottle(user:1): %s = %+v; want kept %v", k, th, kept)
		}
	}
	equal(t, "other Throttle", throttle(t, s, "addr:x"), b)
}

// testRaceThrottle: racing changes of one key (a new one) queue on its row:
// none is lost, and a rule that admits at most 5 admits exactly 5, the way
// the core reserves password attempts before hashing them.
func testRaceThrottle(t *testing.T, s mfad.Store) {
	const n, free = 40, 5
	refused := errors.New("throttled")
	errs := race(t, s, n, func(_ int, tx mfad.Tx) error {
		_, err := tx.ChangeThrottle("user:race", func(th *mfad.Throttle) error {
			if th.Failures >= free {
				return refused
			}
			th.Failures++
			th.Updated = t0
			return nil
		})
		return err
	})
	if ok := tally(t, errs, refused); ok != free {
		t.Errorf("%d of %d racing reservations admitted; want %d", ok, n, free)
	}
	if th := throttle(t, s, "user:race"); th == nil || th.Failures != free {
		t.Errorf("throttle after the race = %+v; want %d failures", th, free)
	}
	errs = race(t, s, n, func(_ int, tx mfad.Tx) error { return failThrottle(tx, "addr:race") })
	tally(t, errs)
	if th := throttle(t, s, "addr:race"); th == nil || th.Failures != n {
		t.Errorf("throttle after %d racing failures = %+v", n, th)
	}
}

func testKnownAddresses(t *testing.T, s mfad.Store) {
	a := createUser(t, s, "alice", "")
	b := createUser(t, s, "bob", "")
	known := func(userID int64, h []byte, now time.Time) bool {
		t.Helper()
		var ok bool
		view(t, s, func(tx mfad.Tx) (err error) { ok, err = tx.KnownAddress(userID, h, now); return err })
		return ok
	}
	if known(a.ID, hash("x"), t0) {
		t.Fatal("an empty store knows an address")
	}
	update(t, s, func(tx mfad.Tx) error { return tx.RememberAddress(a.ID, hash("x"), at(time.Hour)) })
	for _, c := range []struct {
		name string
		user int64
		h    []byte
		now  time.Time
		want bool
	}{
		{"remembered", a.ID, hash("x"), t0, true},
		{"until its expiry", a.ID, hash("x"), at(time.Hour), true},
		{"after its expiry", a.ID, hash("x"), at(time.Hour + 1), false},
		{"another address", a.ID, hash("y"), t0, false},
		{"another user", b.ID, hash("x"), t0, false},
	} {
		if got := known(c.user, c.h, c.now); got != c.want {
			t.Errorf("KnownAddress %s = %v; want %v", c.name, got, c.want)
		}
	}
	// Remembering again moves the expiry; DeleteExpired drops expired ones.
	update(t, s, func(tx mfad.Tx) error { return tx.RememberAddress(a.ID, hash("x"), at(3*time.Hour)) })
	update(t, s, func(tx mfad.Tx) error { return tx.RememberAddress(a.ID, hash("old"), at(time.Hour)) })
	update(t, s, func(tx mfad.Tx) error { return tx.DeleteExpired(at(2 * time.Hour)) })
	if !known(a.ID, hash("x"), at(2*time.Hour)) {
		t.Error("a refreshed address was forgotten")
	}
	if known(a.ID, hash("old"), t0) {
		t.Error("DeleteExpired kept an expired address")
	}
	err := s.Update(t.Context(), func(tx mfad.Tx) error { return tx.RememberAddress(999, hash("x"), t0) })
	wantErr(t, "RememberAddress(unknown user)", err, mfad.ErrNoRows)
}
