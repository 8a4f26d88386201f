package postgres

import (
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/mfad/mfad"
)

// Event page sizes: the default when AuditFilter.Limit is 0, and the most
// one call returns.
const (
	DefaultEventLimit = 100
	MaxEventLimit     = 1000
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

// Events returns the events f selects, newest (highest id) first.
func (t *tx) Events(f mfad.AuditFilter) ([]mfad.Event, error) {
	where, args := eventWhere(f)
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultEventLimit
	}
	args = append(args, min(limit, MaxEventLimit), max(f.Offset, 0))
	var es []mfad.Event
	err := t.each(fmt.Sprintf(`SELECT id, time, actor_id, user_id, action, result, remote_addr, dialect, detail
		FROM events%s ORDER BY id DESC LIMIT $%d OFFSET $%d`, where, len(args)-1, len(args)), args, func(s scanner) error {
		var e mfad.Event
		if err := s.Scan(&e.ID, timeDest{T: &e.Time}, &e.ActorID, &e.UserID, &e.Action, &e.Result,
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
	add := func(cond string, arg any) {
		args = append(args, arg)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	if f.UserID != 0 {
		add("user_id = $%d", f.UserID)
	}
	if !f.Since.IsZero() {
		add("time >= $%d", f.Since.UnixNano())
	}
	if f.BeforeID != 0 {
		add("id < $%d", f.BeforeID)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// DeleteEventsBefore deletes the events older than before (and any without
// a time) and returns how many.
func (t *tx) DeleteEventsBefore(before time.Time) (int, error) {
	n, err := t.exec(`DELETE FROM events WHERE time IS NULL OR time < $1`, nanos(before))
	return int(n), err
}
