package postgres

// DeleteTicket deletes the ticket; ErrNoRows if it is gone, so that of two
// racing uses only one deletes it. A ticket this transaction has locked
// (TicketForVerify) cannot be gone, so its deletion goes with the next
// statement or the commit (pipeline.go).
func (t *tx) DeleteTicket(id int64) error {
	if id != 0 && id == t.lockedTicket { // read by TicketForVerify: cannot miss
		t.queue(`DELETE FROM tickets WHERE id = $1`, nil, id)
		t.lockedTicket = 0
		return nil
	}
	return t.execOne(`DELETE FROM tickets WHERE id = $1`, id)
}
