package sqlq

import (
	"github.com/mfad/mfad/store/internal/column"
	"strings"
	"time"

	"github.com/mfad/mfad"
)

// Event page sizes: the default when AuditFilter.Limit is 0, and the most
// one call returns.
const (
	DefaultEventLimit = 100
	MaxEventLimit     = 1000
)

// Events returns the events f selects, newest (highest id) first.
func (t Tx) Events(f mfad.AuditFilter) ([]mfad.Event, error) {
	where, args := eventWhere(f)
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultEventLimit
	}
	args = append(args, min(limit, MaxEventLimit), max(f.Offset, 0))
	var es []mfad.Event
	err := t.each(`SELECT id, time, actor_id, user_id, action, result, remote_addr, dialect, detail
		FROM events`+where+` ORDER BY id DESC LIMIT ? OFFSET ?`, args, func(s Scanner) error {
		var e mfad.Event
		if err := s.Scan(&e.ID, column.Time{T: &e.Time}, &e.ActorID, &e.UserID, &e.Action, &e.Result,
			&e.RemoteAddr, &e.Dialect, &e.Detail); err != nil {
			return err
		}
		es = append(es, e)
		return nil
	})
	return es, err
}

func eventWhere(f mfad.AuditFilter) (string, []any) {
	var conds []string
	var args []any
	if f.UserID != 0 {
		conds, args = append(conds, "user_id = ?"), append(args, f.UserID)
	}
	if !f.Since.IsZero() {
		conds, args = append(conds, "time >= ?"), append(args, column.Nanos(f.Since))
	}
	if f.BeforeID != 0 {
		conds, args = append(conds, "id < ?"), append(args, f.BeforeID)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// DeleteEventsBefore deletes the events older than before (and any without
// a time) and returns how many.
func (t Tx) DeleteEventsBefore(before time.Time) (int, error) {
	n, err := t.exec(`DELETE FROM events WHERE time IS NULL OR time < ?`, column.Nanos(before))
	return int(n), err
}
