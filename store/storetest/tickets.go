package storetest

import (
	"testing"
	"time"

	"github.com/mfad/mfad"
)

var ticketTests = []test{
	{"Tickets/CreateGetDelete", testTicket},
	{"Tickets/Errors", testTicketErrors},
}

func newTicket(userID int64, name string) *mfad.Ticket {
	return &mfad.Ticket{
		Hash:       hash("ticket-" + name),
		UserID:     userID,
		Dialect:    "cloudreve",
		RemoteAddr: "2001:db8::1",
		CreatedAt:  t0,
		ExpiresAt:  at(5 * time.Minute),
		Scope:      mfad.ScopeFull,
	}
}

func createTicket(t *testing.T, s mfad.Store, userID int64, name string) *mfad.Ticket {
	t.Helper()
	k := newTicket(userID, name)
	update(t, s, func(tx mfad.Tx) error { return tx.CreateTicket(k) })
	if k.ID == 0 {
		t.Fatalf("CreateTicket set no ID")
	}
	return k
}

func ticketByHash(t *testing.T, s mfad.Store, name string) *mfad.Ticket {
	t.Helper()
	return find(t, s, func(tx mfad.Tx) (*mfad.Ticket, error) { return tx.TicketByHash(hash("ticket-" + name)) })
}

func testTicket(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	other := createUser(t, s, "bob", "")
	k := createTicket(t, s, u.ID, "a")
	k2 := createTicket(t, s, u.ID, "b")
	o := createTicket(t, s, other.ID, "o")
	equal(t, "TicketByHash", ticketByHash(t, s, "a"), k)
	// The scope of the session a ticket becomes (a preauth login's: user).
	p := newTicket(u.ID, "preauth")
	p.Scope = mfad.ScopeUser
	update(t, s, func(tx mfad.Tx) error { return tx.CreateTicket(p) })
	equal(t, "TicketByHash(scope user)", ticketByHash(t, s, "preauth"), p)
	for want := 1; want <= 3; want++ {
		update(t, s, func(tx mfad.Tx) error {
			n, err := tx.AddTicketFailure(k.ID)
			if err != nil || n != want {
				t.Errorf("AddTicketFailure = %d, %v; want %d", n, err, want)
			}
			return nil
		})
	}
	k.Failures = 3
	equal(t, "ticket after failures", ticketByHash(t, s, "a"), k)
	update(t, s, func(tx mfad.Tx) error { return tx.DeleteTicket(k.ID) })
	if ticketByHash(t, s, "a") != nil {
		t.Errorf("DeleteTicket left the ticket")
	}
	wantErr(t, "DeleteTicket again", s.Update(t.Context(), func(tx mfad.Tx) error {
		return tx.DeleteTicket(k.ID)
	}), mfad.ErrNoRows)
	update(t, s, func(tx mfad.Tx) error { return tx.DeleteUserTickets(u.ID) })
	if ticketByHash(t, s, "b") != nil {
		t.Errorf("DeleteUserTickets left ticket %d", k2.ID)
	}
	equal(t, "other user's ticket", ticketByHash(t, s, "o"), o)
}

func testTicketErrors(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	createTicket(t, s, u.ID, "a")
	calls([]call{
		{"CreateTicket(taken hash)", func(tx mfad.Tx) error { return tx.CreateTicket(newTicket(u.ID, "a")) }, mfad.ErrDuplicate},
		{"CreateTicket(unknown user)", func(tx mfad.Tx) error { return tx.CreateTicket(newTicket(999, "b")) }, mfad.ErrNoRows},
		{"AddTicketFailure(unknown)", func(tx mfad.Tx) error { _, err := tx.AddTicketFailure(999); return err }, mfad.ErrNoRows},
		{"DeleteTicket(unknown)", func(tx mfad.Tx) error { return tx.DeleteTicket(999) }, mfad.ErrNoRows},
		{"TicketByHash(unknown)", func(tx mfad.Tx) error { _, err := tx.TicketByHash(hash("x")); return err }, mfad.ErrNoRows},
		{"TicketByHash(nil)", func(tx mfad.Tx) error { _, err := tx.TicketByHash(nil); return err }, mfad.ErrNoRows},
		{"DeleteUserTickets(no user)", func(tx mfad.Tx) error { return tx.DeleteUserTickets(999) }, nil},
	}).run(t, s)
}
