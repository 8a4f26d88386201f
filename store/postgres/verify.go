package postgres

import (
	"github.com/mfad/mfad"
	"github.com/mfad/mfad/store/internal/sqlq"
)

// Reads of a verification: one statement each. The session or ticket row
// is locked (FOR UPDATE), so a concurrent logout, or a second use of the
// ticket, waits for this transaction and then finds the row gone; the
// writes of the verification to that row can then go unchecked at commit
// (see pipeline.go).
var (
	sessionForVerify = sqlq.Rebind(sqlq.SessionForVerify(" FOR UPDATE OF s"))
	ticketForVerify  = sqlq.Rebind(sqlq.TicketForVerify(" FOR UPDATE OF k"))
)

func (t *tx) SessionForVerify(hash []byte) (*mfad.Session, *mfad.User, *mfad.Factor, error) {
	s, u, f := &mfad.Session{}, &mfad.User{}, &mfad.Factor{}
	if len(hash) == 0 {
		return nil, nil, nil, mfad.ErrNoRows
	}
	if err := t.row(sessionForVerify, hash).Scan(sqlq.Join(sqlq.Session(s), sqlq.User(u), sqlq.Factor(f))...); err != nil {
		return nil, nil, nil, err
	}
	t.lockedSession = s.ID
	return s, u, f, nil
}

func (t *tx) TicketForVerify(hash []byte) (*mfad.Ticket, *mfad.User, *mfad.Factor, error) {
	k, u, f := &mfad.Ticket{}, &mfad.User{}, &mfad.Factor{}
	if len(hash) == 0 {
		return nil, nil, nil, mfad.ErrNoRows
	}
	if err := t.row(ticketForVerify, hash).Scan(sqlq.Join(sqlq.Ticket(k), sqlq.User(u), sqlq.Factor(f))...); err != nil {
		return nil, nil, nil, err
	}
	t.lockedTicket = k.ID
	return k, u, f, nil
}
