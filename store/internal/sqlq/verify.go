package sqlq

import "github.com/mfad/mfad"

// The reads of a verification without a row lock: enough where the write
// transaction holds the database's one write lock (SQLite).
var (
	sessionForVerify = SessionForVerifySQL("")
	ticketForVerify  = TicketForVerifySQL("")
)

func (t Tx) SessionForVerify(hash []byte) (*mfad.Session, *mfad.User, *mfad.Factor, error) {
	return t.ReadSessionForVerify(sessionForVerify, hash)
}

func (t Tx) TicketForVerify(hash []byte) (*mfad.Ticket, *mfad.User, *mfad.Factor, error) {
	return t.ReadTicketForVerify(ticketForVerify, hash)
}

// ReadSessionForVerify runs query, a form of SessionForVerifySQL, for
// the session of an access-token hash.
func (t Tx) ReadSessionForVerify(query string, hash []byte) (*mfad.Session, *mfad.User, *mfad.Factor, error) {
	s, u, f := &mfad.Session{}, &mfad.User{}, &mfad.Factor{}
	if len(hash) == 0 {
		return nil, nil, nil, mfad.ErrNoRows
	}
	if err := t.row(query, hash).Scan(Join(Session(s), User(u), Factor(f))...); err != nil {
		return nil, nil, nil, err
	}
	return s, u, f, nil
}

// ReadTicketForVerify runs query, a form of TicketForVerifySQL, for the
// ticket of a hash.
func (t Tx) ReadTicketForVerify(query string, hash []byte) (*mfad.Ticket, *mfad.User, *mfad.Factor, error) {
	k, u, f := &mfad.Ticket{}, &mfad.User{}, &mfad.Factor{}
	if len(hash) == 0 {
		return nil, nil, nil, mfad.ErrNoRows
	}
	if err := t.row(query, hash).Scan(Join(Ticket(k), User(u), Factor(f))...); err != nil {
		return nil, nil, nil, err
	}
	return k, u, f, nil
}
