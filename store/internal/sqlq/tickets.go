package sqlq

import (
	"github.com/mfad/mfad"
	"github.com/mfad/mfad/store/internal/column"
)

// CreateTicket inserts t and sets its ID. ErrNoRows: no such user;
// ErrDuplicate: the hash is taken.
func (t Tx) CreateTicket(k *mfad.Ticket) error {
	scope := k.Scope
	if scope == "" {
		scope = mfad.ScopeFull
	}
	return t.row(`INSERT INTO tickets (hash, user_id, failures, dialect, remote_addr, created_at, expires_at, scope)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		column.Blob(k.Hash), k.UserID, k.Failures, k.Dialect, k.RemoteAddr, column.Nanos(k.CreatedAt), column.Nanos(k.ExpiresAt), string(scope),
	).Scan(&k.ID)
}

func (t Tx) TicketByHash(hash []byte) (*mfad.Ticket, error) {
	if len(hash) == 0 {
		return nil, mfad.ErrNoRows
	}
	k := &mfad.Ticket{}
	err := t.row(`SELECT id, hash, user_id, failures, dialect, remote_addr, created_at, expires_at, scope
		FROM tickets WHERE hash = ?`, hash).Scan(&k.ID, column.Bytes{B: &k.Hash}, &k.UserID, &k.Failures,
		&k.Dialect, &k.RemoteAddr, column.Time{T: &k.CreatedAt}, column.Time{T: &k.ExpiresAt}, column.Named[mfad.Scope]{P: &k.Scope})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// AddTicketFailure counts one failure on the ticket atomically and returns
// the new count.
func (t Tx) AddTicketFailure(id int64) (int, error) {
	return t.count(`UPDATE tickets SET failures = failures + 1 WHERE id = ? RETURNING failures`, id)
}

// DeleteTicket deletes the ticket; ErrNoRows if it is gone, so that of two
// racing uses only one deletes it.
func (t Tx) DeleteTicket(id int64) error {
	return t.execOne(`DELETE FROM tickets WHERE id = ?`, id)
}

func (t Tx) DeleteUserTickets(userID int64) error {
	_, err := t.exec(`DELETE FROM tickets WHERE user_id = ?`, userID)
	return err
}
