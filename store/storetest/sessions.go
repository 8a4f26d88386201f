package storetest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/mfad/mfad"
)

var sessionTests = []test{
	{"Sessions/CreateGet", testSession},
	{"Sessions/Set", testSessionSet},
	{"Sessions/Idle", testSessionIdle},
	{"Sessions/Delete", testDeleteSessions},
	{"Sessions/RotateRefresh", testRotateRefresh},
	{"Sessions/RotateExpiredRefresh", testRotateExpiredRefresh},
	{"Sessions/RefreshUsed", testRefreshUsed},
}

func newSession(userID int64, name string) *mfad.Session {
	return &mfad.Session{
		UserID:         userID,
		AccessHash:     hash("access-" + name),
		AccessExpires:  at(time.Hour),
		RefreshHash:    hash("refresh-" + name),
		RefreshExpires: at(14 * 24 * time.Hour),
		Scope:          mfad.ScopeFull,
		Dialect:        "rest",
		RemoteAddr:     "192.0.2.1",
		CreatedAt:      t0,
	}
}

func createSession(t *testing.T, s mfad.Store, userID int64, name string) *mfad.Session {
	t.Helper()
	x := newSession(userID, name)
	update(t, s, func(tx mfad.Tx) error { return tx.CreateSession(x) })
	if x.ID == 0 {
		t.Fatalf("CreateSession set no ID")
	}
	return x
}

func sessionByID(t *testing.T, s mfad.Store, id int64) *mfad.Session {
	t.Helper()
	return find(t, s, func(tx mfad.Tx) (*mfad.Session, error) { return tx.SessionByID(id) })
}

func testSession(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	x := createSession(t, s, u.ID, "a")
	y := createSession(t, s, u.ID, "b")
	if x.ID == y.ID {
		t.Errorf("two sessions got ID %d", x.ID)
	}
	equal(t, "SessionByID", sessionByID(t, s, x.ID), x)
	equal(t, "SessionByAccess", find(t, s, func(tx mfad.Tx) (*mfad.Session, error) {
		return tx.SessionByAccess(hash("access-a"))
	}), x)
	view(t, s, func(tx mfad.Tx) error {
		_, err := tx.SessionByAccess(hash("refresh-a"))
		wantErr(t, "SessionByAccess(a refresh hash)", err, mfad.ErrNoRows)
		_, err = tx.SessionByAccess(nil)
		wantErr(t, "SessionByAccess(nil)", err, mfad.ErrNoRows)
		_, err = tx.SessionByID(999)
		wantErr(t, "SessionByID(unknown)", err, mfad.ErrNoRows)
		return nil
	})
	for name, x := range map[string]*mfad.Session{
		"taken access hash":  newSession(u.ID, "a"),
		"taken refresh hash": {UserID: u.ID, AccessHash: hash("new"), RefreshHash: hash("refresh-b"), Scope: mfad.ScopeFull},
	} {
		err := s.Update(t.Context(), func(tx mfad.Tx) error { return tx.CreateSession(x) })
		wantErr(t, "CreateSession("+name+")", err, mfad.ErrDuplicate)
	}
	err := s.Update(t.Context(), func(tx mfad.Tx) error { return tx.CreateSession(newSession(999, "c")) })
	wantErr(t, "CreateSession(unknown user)", err, mfad.ErrNoRows)
}

func testSessionSet(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	x := createSession(t, s, u.ID, "a")
	x.Scope = mfad.ScopeEnroll
	update(t, s, func(tx mfad.Tx) error { return tx.SetSessionScope(x.ID, mfad.ScopeEnroll) })
	equal(t, "after SetSessionScope", sessionByID(t, s, x.ID), x)
	x.SecondFactorAt = at(5 * time.Minute)
	update(t, s, func(tx mfad.Tx) error { return tx.SetSecondFactorAt(x.ID, x.SecondFactorAt) })
	equal(t, "after SetSecondFactorAt", sessionByID(t, s, x.ID), x)
	calls([]call{
		{"SetSessionScope(unknown)", func(tx mfad.Tx) error { return tx.SetSessionScope(999, mfad.ScopeFull) }, mfad.ErrNoRows},
		{"SetSecondFactorAt(unknown)", func(tx mfad.Tx) error { return tx.SetSecondFactorAt(999, t0) }, mfad.ErrNoRows},
		{"DeleteSession(unknown)", func(tx mfad.Tx) error { return tx.DeleteSession(999) }, mfad.ErrNoRows},
		{"DeleteUserSessions(no user)", func(tx mfad.Tx) error { return tx.DeleteUserSessions(999, 0) }, nil},
	}).run(t, s)
}

// An idle session keeps its idle timeout; ExtendSession moves both expiries
// later, never earlier.
func testSessionIdle(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	x := newSession(u.ID, "idle")
	x.IdleTimeout = 30 * time.Minute
	x.RefreshExpires = x.AccessExpires
	update(t, s, func(tx mfad.Tx) error { return tx.CreateSession(x) })
	equal(t, "idle session", sessionByID(t, s, x.ID), x)
	fixed := createSession(t, s, u.ID, "fixed")
	if got := sessionByID(t, s, fixed.ID); got.IdleTimeout != 0 {
		t.Errorf("a fixed session reads IdleTimeout %v", got.IdleTimeout)
	}

	later := at(2 * time.Hour)
	update(t, s, func(tx mfad.Tx) error { return tx.ExtendSession(x.ID, later) })
	x.AccessExpires, x.RefreshExpires = later, later
	equal(t, "after ExtendSession(later)", sessionByID(t, s, x.ID), x)
	update(t, s, func(tx mfad.Tx) error { return tx.ExtendSession(x.ID, at(time.Minute)) })
	equal(t, "after ExtendSession(earlier)", sessionByID(t, s, x.ID), x)
	// The refresh expiry of a fixed session is later than the access
	// expiry: extending moves only what is earlier.
	update(t, s, func(tx mfad.Tx) error { return tx.ExtendSession(fixed.ID, at(3*time.Hour)) })
	fixed.AccessExpires = at(3 * time.Hour)
	equal(t, "fixed session after ExtendSession", sessionByID(t, s, fixed.ID), fixed)
	update(t, s, func(tx mfad.Tx) error { return tx.ExtendSession(999, later) }) // no such session: nothing
}

func testDeleteSessions(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	other := createUser(t, s, "bob", "")
	a := createSession(t, s, u.ID, "a")
	b := createSession(t, s, u.ID, "b")
	c := createSession(t, s, u.ID, "c")
	o := createSession(t, s, other.ID, "o")
	update(t, s, func(tx mfad.Tx) error { return tx.DeleteSession(a.ID) })
	if sessionByID(t, s, a.ID) != nil {
		t.Errorf("DeleteSession left the session")
	}
	update(t, s, func(tx mfad.Tx) error { return tx.DeleteUserSessions(u.ID, c.ID) })
	if sessionByID(t, s, b.ID) != nil || sessionByID(t, s, c.ID) == nil {
		t.Errorf("DeleteUserSessions(except %d) deleted the wrong sessions", c.ID)
	}
	update(t, s, func(tx mfad.Tx) error { return tx.DeleteUserSessions(u.ID, 0) })
	if sessionByID(t, s, c.ID) != nil {
		t.Errorf("DeleteUserSessions(0) left a session")
	}
	equal(t, "other user's session", sessionByID(t, s, o.ID), o)
}

// rotate calls RotateRefresh at t0 with a key named after next, and commits.
func rotate(t *testing.T, s mfad.Store, old []byte, next *mfad.Session) (*mfad.Session, error) {
	t.Helper()
	var got *mfad.Session
	var rotateErr error
	err := s.Update(t.Context(), func(tx mfad.Tx) error {
		got, rotateErr = tx.RotateRefresh(old, t0, next, keyOf(next))
		return rotateErr
	})
	if err != nil && !errors.Is(err, rotateErr) {
		t.Fatalf("Update: %v", err)
	}
	return got, rotateErr
}

// keyOf is the key rotate records with the tokens of next.
func keyOf(next *mfad.Session) []byte { return append([]byte("key-"), next.RefreshHash...) }

func usedRefresh(t *testing.T, s mfad.Store, h []byte, now time.Time) *mfad.UsedRefresh {
	t.Helper()
	return find(t, s, func(tx mfad.Tx) (*mfad.UsedRefresh, error) { return tx.UsedRefresh(h, now) })
}

// wantUsed checks a used refresh token's session, key and age. The age is
// on the store's clock (PostgreSQL: the server's, moved by the test's
// clock), so it is checked to within a second of the test clock's.
func wantUsed(t *testing.T, name string, got *mfad.UsedRefresh, sessionID int64, key []byte, age time.Duration) {
	t.Helper()
	if got == nil || got.SessionID != sessionID || !bytes.Equal(got.Key, key) || (got.Age-age).Abs() > time.Second {
		t.Errorf("%s = %+v; want session %d, key %q, age %v", name, got, sessionID, key, age)
	}
}

// tokens returns a session carrying only new tokens, as RotateRefresh takes.
func tokens(name string) *mfad.Session {
	return &mfad.Session{
		AccessHash:     hash("access-" + name),
		AccessExpires:  at(2 * time.Hour),
		RefreshHash:    hash("refresh-" + name),
		RefreshExpires: at(15 * 24 * time.Hour),
	}
}

func testRotateRefresh(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	x := createSession(t, s, u.ID, "a")
	x.SecondFactorAt, x.Scope = at(time.Second), mfad.ScopeEnroll
	update(t, s, func(tx mfad.Tx) error {
		return errors.Join(tx.SetSecondFactorAt(x.ID, x.SecondFactorAt), tx.SetSessionScope(x.ID, x.Scope))
	})
	got, err := rotate(t, s, hash("refresh-a"), tokens("a2"))
	wantErr(t, "RotateRefresh", err, nil)
	want := *x
	n := tokens("a2")
	want.AccessHash, want.AccessExpires, want.RefreshHash, want.RefreshExpires =
		n.AccessHash, n.AccessExpires, n.RefreshHash, n.RefreshExpires
	equal(t, "rotated session", got, &want)
	equal(t, "stored session", sessionByID(t, s, x.ID), &want)
	view(t, s, func(tx mfad.Tx) error {
		_, err := tx.SessionByAccess(hash("access-a"))
		wantErr(t, "old access token", err, mfad.ErrNoRows)
		return nil
	})
	if _, err := rotate(t, s, hash("refresh-a2"), tokens("a3")); err != nil {
		t.Errorf("second rotation: %v", err)
	}
	for _, old := range [][]byte{hash("unknown"), nil} {
		_, err := rotate(t, s, old, tokens("x"))
		wantErr(t, "RotateRefresh(unknown)", err, mfad.ErrNoRows)
	}
}

// testRotateExpiredRefresh: an expired refresh token rotates nothing, and
// is not mistaken for a reused one.
func testRotateExpiredRefresh(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	x := createSession(t, s, u.ID, "a")
	var rotateErr error
	update(t, s, func(tx mfad.Tx) error {
		_, rotateErr = tx.RotateRefresh(hash("refresh-a"), x.RefreshExpires, tokens("late"), []byte("k"))
		return nil
	})
	wantErr(t, "RotateRefresh(expired)", rotateErr, mfad.ErrNoRows)
	equal(t, "session after an expired rotation", sessionByID(t, s, x.ID), x)
	if _, err := rotate(t, s, hash("refresh-a"), tokens("a2")); err != nil {
		t.Errorf("rotation before expiry: %v", err)
	}
}

// testRefreshUsed: a rotated refresh token rotates nothing again; the
// store remembers when it was rotated, with which key and for which
// session, until the session ends. Revoking is the core's decision.
func testRefreshUsed(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	x := createSession(t, s, u.ID, "a")
	other := createSession(t, s, u.ID, "b")
	if _, err := rotate(t, s, hash("refresh-a"), tokens("a2")); err != nil {
		t.Fatalf("first rotation: %v", err)
	}
	var later mfad.Session
	err := s.Update(t.Context(), func(tx mfad.Tx) error {
		got, err := tx.RotateRefresh(hash("refresh-a2"), at(time.Minute), tokens("a3"), nil)
		if got != nil {
			later = *got
		}
		return err
	})
	wantErr(t, "second rotation (no key)", err, nil)

	for _, old := range []string{"refresh-a", "refresh-a2"} {
		_, err := rotate(t, s, hash(old), tokens("evil"))
		wantErr(t, "RotateRefresh("+old+") again", err, mfad.ErrNoRows)
	}
	equal(t, "session after reuse attempts", sessionByID(t, s, x.ID), &later)
	wantUsed(t, "UsedRefresh(refresh-a)", usedRefresh(t, s, hash("refresh-a"), at(2*time.Minute)), x.ID, keyOf(tokens("a2")), 2*time.Minute)
	wantUsed(t, "UsedRefresh(refresh-a2)", usedRefresh(t, s, hash("refresh-a2"), at(2*time.Minute)), x.ID, nil, time.Minute)
	view(t, s, func(tx mfad.Tx) error {
		for name, h := range map[string][]byte{"current": hash("refresh-a3"), "unknown": hash("x"), "nil": nil} {
			_, err := tx.UsedRefresh(h, t0)
			wantErr(t, "UsedRefresh("+name+")", err, mfad.ErrNoRows)
		}
		return nil
	})

	update(t, s, func(tx mfad.Tx) error { return tx.DeleteSession(x.ID) })
	if usedRefresh(t, s, hash("refresh-a"), t0) != nil {
		t.Errorf("used refresh token outlived its session")
	}
	for _, old := range []string{"refresh-a3", "refresh-a", "refresh-a2"} {
		_, err := rotate(t, s, hash(old), tokens("y"))
		wantErr(t, "RotateRefresh("+old+") after the session ended", err, mfad.ErrNoRows)
	}
	if sessionByID(t, s, other.ID) == nil {
		t.Errorf("ending one session deleted another")
	}
}
