package sqlite

import (
	"github.com/mfad/mfad"
	"github.com/mfad/mfad/store/internal/sqlq"
)

// Reads of a verification: one statement each. The write transaction
// holds SQLite's one write lock, so nothing else changes the rows read.
var (
	sessionForVerify = sqlq.SessionForVerify("")
	ticketForVerify  = sqlq.TicketForVerify("")
)

func (t *tx) SessionForVerify(hash []byte) (*mfad.Session, *mfad.User, *mfad.Factor, error) {
	s, u, f := &mfad.Session{}, &mfad.User{}, &mfad.Factor{}
	if len(hash) == 0 {
		return nil, nil, nil, mfad.ErrNoRows
	}
	if err := t.row(sessionForVerify, hash).Scan(sqlq.Join(sqlq.Session(s), sqlq.User(u), sqlq.Factor(f))...); err != nil {
		return nil, nil, nil, err
	}
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
	return k, u, f, nil
}
