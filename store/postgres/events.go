package postgres

import (
	"github.com/jackc/pgx/v5"
	"github.com/mfad/mfad"
)

// AppendEvent queues the insert of e with the next statement or the
// commit (pipeline.go), which sets its ID.
func (t *tx) AppendEvent(e *mfad.Event) error {
	t.queue(`INSERT INTO events (time, actor_id, user_id, action, result, remote_addr, dialect, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		func(r pgx.Row) error { return r.Scan(&e.ID) },
		nanos(e.Time), e.ActorID, e.UserID, e.Action, e.Result, e.RemoteAddr, e.Dialect, e.Detail)
	return nil
}
