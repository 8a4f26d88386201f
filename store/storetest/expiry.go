package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/mfad/mfad"
)

var expiryTests = []test{
	{"Expiry/DeleteExpired", testDeleteExpired},
}

// testDeleteExpired: rows that expired before now go, the rest stay; a row
// expiring exactly now stays, and a zero expiry has expired.
func testDeleteExpired(t *testing.T, s mfad.Store) {
	now := at(time.Hour)
	times := map[string]time.Time{"past": now.Add(-time.Nanosecond), "now": now, "future": at(2 * time.Hour), "zero": {}}
	keep := map[string]bool{"now": true, "future": true}
	users := map[string]int64{}
	for name, exp := range times {
		u := createUser(t, s, name, "")
		users[name] = u.ID
		x, k, d, e := newSession(u.ID, name), newTicket(u.ID, name), newDevice(u.ID, name), newEnrollment(u.ID, name)
		x.RefreshExpires, x.AccessExpires, k.ExpiresAt, d.ExpiresAt, e.ExpiresAt = exp, now.Add(-time.Hour), exp, exp, exp
		update(t, s, func(tx mfad.Tx) error {
			return errors.Join(tx.CreateSession(x), tx.CreateTicket(k), tx.CreateTrustedDevice(d), tx.PutEnrollment(e))
		})
	}
	update(t, s, func(tx mfad.Tx) error { return tx.DeleteExpired(now) })
	for name, id := range users {
		view(t, s, func(tx mfad.Tx) error {
			_, errS := tx.SessionByAccess(hash("access-" + name))
			_, errK := tx.TicketByHash(hash("ticket-" + name))
			_, errD := tx.TrustedDeviceByHash(hash("device-" + name))
			_, errE := tx.Enrollment(id)
			want := mfad.ErrNoRows
			if keep[name] {
				want = nil
			}
			wantErr(t, name+" session", errS, want)
			wantErr(t, name+" ticket", errK, want)
			wantErr(t, name+" trusted device", errD, want)
			wantErr(t, name+" enrollment", errE, want)
			return nil
		})
	}
}
