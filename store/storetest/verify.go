package storetest

import (
	"testing"
	"time"

	"github.com/mfad/mfad"
)

var verifyTests = []test{
	{"Verify/SessionForVerify", testSessionForVerify},
	{"Verify/TicketForVerify", testTicketForVerify},
	{"Race/TicketForVerify", testRaceTicketForVerify},
	{"Race/SessionForVerifyLogout", testRaceSessionLogout},
}

// verifyRead is what SessionForVerify or TicketForVerify returned.
type verifyRead struct {
	head any // *mfad.Session or *mfad.Ticket
	u    *mfad.User
	f    *mfad.Factor
	err  error
}

func readSession(t *testing.T, s mfad.Store, h []byte) (r verifyRead) {
	t.Helper()
	update(t, s, func(tx mfad.Tx) error {
		var x *mfad.Session
		x, r.u, r.f, r.err = tx.SessionForVerify(h)
		if x != nil {
			r.head = x
		}
		return nil
	})
	return r
}

func readTicket(t *testing.T, s mfad.Store, h []byte) (r verifyRead) {
	t.Helper()
	update(t, s, func(tx mfad.Tx) error {
		var k *mfad.Ticket
		k, r.u, r.f, r.err = tx.TicketForVerify(h)
		if k != nil {
			r.head = k
		}
		return nil
	})
	return r
}

// testSessionForVerify: the joined read returns exactly what the three
// single reads return, and ErrNoRows when any of the three is missing.
func testSessionForVerify(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "alice@example.com")
	bare := createUser(t, s, "bob", "")
	f := putFactor(t, s, u.ID)
	x := createSession(t, s, u.ID, "a")
	createSession(t, s, bare.ID, "b")
	r := readSession(t, s, hash("access-a"))
	wantErr(t, "SessionForVerify", r.err, nil)
	equal(t, "session", r.head, x)
	equal(t, "user", r.u, getUser(t, s, u.ID))
	equal(t, "factor", r.f, f)
	for _, c := range []struct {
		name string
		h    []byte
	}{{"unknown hash", hash("access-x")}, {"refresh hash", hash("refresh-a")}, {"nil", nil}, {"user without factor", hash("access-b")}} {
		if r := readSession(t, s, c.h); r.err == nil || r.head != nil || r.u != nil || r.f != nil {
			t.Errorf("SessionForVerify(%s) = %+v; want ErrNoRows", c.name, r)
		} else {
			wantErr(t, "SessionForVerify("+c.name+")", r.err, mfad.ErrNoRows)
		}
	}
}

func testTicketForVerify(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	bare := createUser(t, s, "bob", "")
	f := putFactor(t, s, u.ID)
	k := createTicket(t, s, u.ID, "a")
	createTicket(t, s, bare.ID, "b")
	r := readTicket(t, s, hash("ticket-a"))
	wantErr(t, "TicketForVerify", r.err, nil)
	equal(t, "ticket", r.head, k)
	equal(t, "user", r.u, getUser(t, s, u.ID))
	equal(t, "factor", r.f, f)
	for _, name := range []string{"x", "b"} {
		if r := readTicket(t, s, hash("ticket-"+name)); r.err == nil || r.head != nil {
			t.Errorf("TicketForVerify(%s) = %+v; want ErrNoRows", name, r)
		} else {
			wantErr(t, "TicketForVerify("+name+")", r.err, mfad.ErrNoRows)
		}
	}
	if r := readTicket(t, s, nil); r.err == nil {
		t.Errorf("TicketForVerify(nil) found %+v", r)
	}
}

// testRaceTicketForVerify: of 20 transactions that each read a ticket for
// a verification and then use it up (as a login's second step does), one
// finds it; the others find none, not even those that read it while the
// first was still running. The deletion is the write a store may leave
// unchecked after this read (PostgreSQL's pipelined commit).
func testRaceTicketForVerify(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	putFactor(t, s, u.ID)
	createTicket(t, s, u.ID, "a")
	errs := race(t, s, 20, func(_ int, tx mfad.Tx) error {
		k, _, _, err := tx.TicketForVerify(hash("ticket-a"))
		if err != nil {
			return err
		}
		return tx.DeleteTicket(k.ID)
	})
	if ok := tally(t, errs, mfad.ErrNoRows); ok != 1 {
		t.Errorf("%d of 20 uses of one ticket succeeded; want exactly 1", ok)
	}
}

// testRaceSessionLogout: verifications of a session racing with its
// deletion either see it and record the second factor on it, or find it
// gone; none records onto a deleted session without an error, and the
// deletion happens once.
func testRaceSessionLogout(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	putFactor(t, s, u.ID)
	x := createSession(t, s, u.ID, "a")
	errs := race(t, s, 20, func(i int, tx mfad.Tx) error {
		if i%4 == 0 {
			return tx.DeleteSession(x.ID)
		}
		sess, _, _, err := tx.SessionForVerify(hash("access-a"))
		if err != nil {
			return err
		}
		return tx.SetSecondFactorAt(sess.ID, at(time.Duration(i)*time.Second))
	})
	deleted := 0
	for i, err := range errs {
		if i%4 == 0 && err == nil {
			deleted++
		}
	}
	tally(t, errs, mfad.ErrNoRows)
	if deleted != 1 {
		t.Errorf("the session was deleted %d times; want 1", deleted)
	}
	if sessionByID(t, s, x.ID) != nil {
		t.Errorf("the session survived its deletion")
	}
}
