package sqlite

import (
	"github.com/mfad/mfad"
)

// AppendEvent inserts e and sets its ID.
func (t *tx) AppendEvent(e *mfad.Event) error {
	return t.row(`INSERT INTO events (time, actor_id, user_id, action, result, remote_addr, dialect, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		nanos(e.Time), e.ActorID, e.UserID, e.Action, e.Result, e.RemoteAddr, e.Dialect, e.Detail,
	).Scan(&e.ID)
}
