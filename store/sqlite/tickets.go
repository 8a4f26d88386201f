package sqlite

import "github.com/mfad/mfad"

// CreateTicket inserts t and sets its ID. ErrNoRows: no such user;
// ErrDuplicate: the hash is taken.
func (t *tx) CreateTicket(k *mfad.Ticket) error {
	return t.row(`INSERT INTO tickets (hash, user_id, failures, dialect, remote_addr, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		blob(k.Hash), k.UserID, k.Failures, k.Dialect, k.RemoteAddr, nanos(k.CreatedAt), nanos(k.ExpiresAt),
	).Scan(&k.ID)
}

func (t *tx) TicketByHash(hash []byte) (*mfad.Ticket, error) {
	if len(hash) == 0 {
		return nil, mfad.ErrNoRows
	}
	k := &mfad.Ticket{}
	err := t.row(`SELECT id, hash, user_id, failures, dialect, remote_addr, created_at, expires_at
		FROM tickets WHERE hash = ?`, hash).Scan(&k.ID, blobDest{B: &k.Hash}, &k.UserID, &k.Failures,
		&k.Dialect, &k.RemoteAddr, timeDest{T: &k.CreatedAt}, timeDest{T: &k.ExpiresAt})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// AddTicketFailure counts one failure on the ticket atomically and returns
// the new count.
func (t *tx) AddTicketFailure(id int64) (int, error) {
	return t.count(`UPDATE tickets SET failures = failures + 1 WHERE id = ? RETURNING failures`, id)
}

// DeleteTicket deletes the ticket; ErrNoRows if it is gone, so that of two
// racing uses only one deletes it.
func (t *tx) DeleteTicket(id int64) error {
	return t.execOne(`DELETE FROM tickets WHERE id = ?`, id)
}

func (t *tx) DeleteUserTickets(userID int64) error {
	_, err := t.exec(`DELETE FROM tickets WHERE user_id = ?`, userID)
	return err
}
