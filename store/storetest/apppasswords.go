package storetest

import (
	"testing"
	"time"

	"github.com/mfad/mfad"
)

var appPasswordTests = []test{
	{"AppPasswords/CreateListTouchDelete", testAppPasswords},
	{"AppPasswords/Errors", testAppPasswordErrors},
}

func newAppPassword(userID int64, name string) *mfad.AppPassword {
	return &mfad.AppPassword{UserID: userID, Name: name, Hash: hash("app-" + name), CreatedAt: t0}
}

func createAppPassword(t *testing.T, s mfad.Store, userID int64, name string) mfad.AppPassword {
	t.Helper()
	p := newAppPassword(userID, name)
	update(t, s, func(tx mfad.Tx) error { return tx.CreateAppPassword(p) })
	if p.ID == 0 {
		t.Fatalf("CreateAppPassword set no ID")
	}
	return *p
}

func appPasswords(t *testing.T, s mfad.Store, userID int64) []mfad.AppPassword {
	t.Helper()
	var ps []mfad.AppPassword
	view(t, s, func(tx mfad.Tx) (err error) {
		ps, err = tx.AppPasswords(userID)
		return err
	})
	return ps
}

func testAppPasswords(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	other := createUser(t, s, "bob", "")
	a := createAppPassword(t, s, u.ID, "mail")
	b := createAppPassword(t, s, u.ID, "calendar")
	o := createAppPassword(t, s, other.ID, "mail") // names are per user
	equal(t, "AppPasswords", appPasswords(t, s, u.ID), []mfad.AppPassword{a, b})
	b.LastUsedAt = at(time.Hour)
	update(t, s, func(tx mfad.Tx) error { return tx.TouchAppPassword(b.ID, b.LastUsedAt) })
	equal(t, "after TouchAppPassword", appPasswords(t, s, u.ID), []mfad.AppPassword{a, b})
	calls([]call{
		{"DeleteAppPassword", func(tx mfad.Tx) error { return tx.DeleteAppPassword(u.ID, "mail") }, nil},
		{"DeleteAppPassword again", func(tx mfad.Tx) error { return tx.DeleteAppPassword(u.ID, "mail") }, mfad.ErrNoRows},
	}).run(t, s)
	equal(t, "after DeleteAppPassword", appPasswords(t, s, u.ID), []mfad.AppPassword{b})
	createAppPassword(t, s, u.ID, "mail") // the name is free again
	update(t, s, func(tx mfad.Tx) error { return tx.DeleteUserAppPasswords(u.ID) })
	if ps := appPasswords(t, s, u.ID); len(ps) != 0 {
		t.Errorf("DeleteUserAppPasswords left %+v", ps)
	}
	equal(t, "other user's app passwords", appPasswords(t, s, other.ID), []mfad.AppPassword{o})
}

func testAppPasswordErrors(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	createAppPassword(t, s, u.ID, "mail")
	calls([]call{
		{"CreateAppPassword(taken name)", func(tx mfad.Tx) error { return tx.CreateAppPassword(newAppPassword(u.ID, "mail")) }, mfad.ErrDuplicate},
		{"CreateAppPassword(unknown user)", func(tx mfad.Tx) error { return tx.CreateAppPassword(newAppPassword(999, "x")) }, mfad.ErrNoRows},
		{"TouchAppPassword(unknown)", func(tx mfad.Tx) error { return tx.TouchAppPassword(999, t0) }, mfad.ErrNoRows},
		{"DeleteAppPassword(unknown)", func(tx mfad.Tx) error { return tx.DeleteAppPassword(u.ID, "x") }, mfad.ErrNoRows},
		{"DeleteUserAppPasswords(no user)", func(tx mfad.Tx) error { return tx.DeleteUserAppPasswords(999) }, nil},
	}).run(t, s)
}
