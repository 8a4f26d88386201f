package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mfad/mfad"
)

// owned gives the user one row of every kind that belongs to it, and an
// audit event; name keeps the tokens of two users apart.
func owned(t *testing.T, s mfad.Store, u *mfad.User, name string) {
	t.Helper()
	putFactor(t, s, u.ID)
	replaceCodes(t, s, u.ID, 3, name)
	putEnrollment(t, s, newEnrollment(u.ID, name))
	createSession(t, s, u.ID, name)
	rotate(t, s, hash("refresh-"+name), tokens(name+"2")) // a used refresh token
	createTicket(t, s, u.ID, name)
	createDevice(t, s, u.ID, name)
	createAppPassword(t, s, u.ID, name)
	update(t, s, func(tx mfad.Tx) error {
		return errors.Join(
			failThrottle(tx, fmt.Sprintf("user:%d", u.ID)),
			failThrottle(tx, fmt.Sprintf("user:%d:addr", u.ID)),
			tx.RememberAddress(u.ID, hash("addr-"+name), at(time.Hour)),
			tx.AppendEvent(&mfad.Event{Time: t0, UserID: u.ID, Action: "create", Result: "ok"}))
	})
}

// ownedRows counts what owned created, as found through the store.
func ownedRows(t *testing.T, s mfad.Store, u *mfad.User, name string) (rows, events int) {
	t.Helper()
	view(t, s, func(tx mfad.Tx) error {
		for _, err := range []error{
			errOf(tx.Factor(u.ID)),
			errOf(tx.Enrollment(u.ID)),
			errOf(tx.SessionByAccess(hash("access-" + name + "2"))),
			errOf(tx.TicketByHash(hash("ticket-" + name))),
			errOf(tx.TrustedDeviceByHash(hash("device-" + name))),
			errOf(tx.Throttle(fmt.Sprintf("user:%d", u.ID))),
			errOf(tx.Throttle(fmt.Sprintf("user:%d:addr", u.ID))),
			errOf(knownAddress(tx, u.ID, hash("addr-"+name))),
		} {
			if err == nil {
				rows++
			} else if !errors.Is(err, mfad.ErrNoRows) {
				return err
			}
		}
		codes, err1 := tx.ScratchCodes(u.ID)
		ds, err2 := tx.TrustedDevices(u.ID)
		ps, err3 := tx.AppPasswords(u.ID)
		es, err4 := tx.Events(mfad.AuditFilter{UserID: u.ID})
		rows += len(codes) + len(ds) + len(ps)
		events = len(es)
		return errors.Join(err1, err2, err3, err4)
	})
	return rows, events
}

// knownAddress is KnownAddress as a lookup: ErrNoRows when not known.
func knownAddress(tx mfad.Tx, userID int64, h []byte) (bool, error) {
	ok, err := tx.KnownAddress(userID, h, t0)
	if err == nil && !ok {
		err = mfad.ErrNoRows
	}
	return ok, err
}

// errOf drops a lookup's result.
func errOf(_ any, err error) error { return err }

func testDeleteUser(t *testing.T, s mfad.Store) {
	a := createUser(t, s, "alice", "alice@x")
	b := createUser(t, s, "bob", "bob@x")
	owned(t, s, a, "a")
	owned(t, s, b, "b")
	const all = 8 + 3 + 1 + 1 // lookups, scratch codes, device, app password
	if rows, _ := ownedRows(t, s, a, "a"); rows != all {
		t.Fatalf("set-up: found %d rows of alice; want %d", rows, all)
	}
	update(t, s, func(tx mfad.Tx) error { return tx.DeleteUser(a.ID) })
	if rows, events := ownedRows(t, s, a, "a"); rows != 0 || events != 1 {
		t.Errorf("after DeleteUser: %d rows left (want 0), %d events (want 1: the audit log stays)", rows, events)
	}
	if _, err := rotate(t, s, hash("refresh-a"), tokens("x")); !errors.Is(err, mfad.ErrNoRows) {
		t.Errorf("used refresh token of a deleted user: %v; want ErrNoRows", err)
	}
	if rows, events := ownedRows(t, s, b, "b"); rows != all || events != 1 {
		t.Errorf("bob lost rows: %d left (want %d), %d events", rows, all, events)
	}
	if getUser(t, s, a.ID) != nil {
		t.Errorf("UserByID found the deleted user")
	}
	createUser(t, s, "Alice", "ALICE@x") // name and email are free again
}
