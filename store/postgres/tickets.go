package postgres

import "github.com/mfad/mfad"

// CreateTicket inserts t and sets its ID. ErrNoRows: no such user;
// ErrDuplicate: the hash is taken.
func (t *tx) CreateTicket(k *mfad.Ticket) error {
	return t.row(`INSERT INTO tickets (hash, user_id, failures, dialect, remote_addr, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		blob(k.Hash), k.UserID, k.Failures, k.Dialect, k.RemoteAddr, nanos(k.CreatedAt), nanos(k.ExpiresAt),
	).Scan(&k.ID)
}

func (t *tx) TicketByHash(hash []byte) (*mfad.Ticket, error) {
	if len(hash) == 0 {
		return nil, mfad.ErrNoRows
	}
	k := &mfad.Ticket{}
	err := t.row(`SELECT id, hash, user_id, failures, dialect, remote_addr, created_at, expires_at
		FROM tickets WHERE hash = $1`, hash).Scan(&k.ID, blobDest{B: &k.Hash}, &k.UserID, &k.Failures,
		&k.Dialect, &k.RemoteAddr, timeDest{T: &k.CreatedAt}, timeDest{T: &k.ExpiresAt})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// AddTicketFailure counts one failure on the ticket with a single
// UPDATE ... RETURNING and returns the new count; racing failures queue on
// the row lock, so none is lost.
func (t *tx) AddTicketFailure(id int64) (int, error) {
	return t.count(`UPDATE tickets SET failures = failures + 1 WHERE id = $1 RETURNING failures`, id)
}

// DeleteTicket deletes the ticket; ErrNoRows if it is gone, so that of two
// racing uses only one deletes it.
func (t *tx) DeleteTicket(id int64) error {
	if id != 0 && id == t.lockedTicket { // read by TicketForVerify: cannot miss
		t.queue(`DELETE FROM tickets WHERE id = $1`, nil, id)
		t.lockedTicket = 0
		return nil
	}
	return t.execOne(`DELETE FROM tickets WHERE id = $1`, id)
}

func (t *tx) DeleteUserTickets(userID int64) error {
	_, err := t.exec(`DELETE FROM tickets WHERE user_id = $1`, userID)
	return err
}
