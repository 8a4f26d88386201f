package postgres

import (
	"github.com/mfad/mfad"
	"github.com/mfad/mfad/store/internal/sqlq"
)

// The reads of a verification lock the session or ticket row (FOR UPDATE),
// so a concurrent logout, or a second use of the ticket, waits for this
// transaction and then finds the row gone; the writes of the verification
// to that row can then go unchecked with the commit (see pipeline.go).
var (
	sessionForVerify = sqlq.SessionForVerifySQL(" FOR UPDATE OF s")
	ticketForVerify  = sqlq.TicketForVerifySQL(" FOR UPDATE OF k")
)

func (t *tx) SessionForVerify(hash []byte) (*mfad.Session, *mfad.User, *mfad.Factor, error) {
	s, u, f, err := t.Tx.ReadSessionForVerify(sessionForVerify, hash)
	if err == nil {
		t.lockedSession = s.ID
	}
	return s, u, f, err
}

func (t *tx) TicketForVerify(hash []byte) (*mfad.Ticket, *mfad.User, *mfad.Factor, error) {
	k, u, f, err := t.Tx.ReadTicketForVerify(ticketForVerify, hash)
	if err == nil {
		t.lockedTicket = k.ID
	}
	return k, u, f, err
}
