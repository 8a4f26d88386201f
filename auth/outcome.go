package auth

import (
	"context"
	"sync/atomic"
)

// An outcome is what the core reports through Observe. Those about a
// request (actor set) that an operator may alert on, such as wrong codes,
// replays and lockouts, are also logged, once, here: every front gets the
// same log lines without logging anything itself. A line names the event,
// the result, the user and the client, never a code or a secret.
type outcome struct {
	event, result string
	userID        int64
	actor         *Actor // nil: not about one request's client
}

// alerts are the outcomes logged, with their messages.
var alerts = map[[2]string]string{
	{"verify", "invalid"}:  "second factor refused",
	{"verify", "replay"}:   "second factor refused",
	{"verify", "locked"}:   "second factor refused",
	{"lockout", "locked"}:  "second factor locked out",
	{"confirm", "invalid"}: "enrollment code refused",
}

// report tells Observe of o and logs it if it is an alert.
func (s *Service) report(ctx context.Context, o outcome) {
	if s.Observe != nil {
		s.Observe(o.event, o.result)
	}
	if o.userID != 0 {
		noteUser(ctx, o.userID)
	}
	msg, ok := alerts[[2]string{o.event, o.result}]
	if !ok || o.actor == nil {
		return
	}
	s.log.WarnContext(ctx, msg, "event", o.event, "result", o.result, "user_id", o.userID,
		"client", o.actor.client.Addr, "dialect", o.actor.client.Dialect)
}

// userNote holds the id of the user a request acts as, or is about (a
// login's user), for the request's log line.
type userNote struct{ id atomic.Int64 }

type userNoteKey struct{}

// TrackUser returns a context in which the core notes the user a request
// acts as (the owner of its access token) or is about (the user logging
// in), and a function that returns that user's id, 0 if none. The HTTP
// request log uses it to name the user on each line.
func TrackUser(ctx context.Context) (context.Context, func() int64) {
	n := &userNote{}
	return context.WithValue(ctx, userNoteKey{}, n), n.id.Load
}

func noteUser(ctx context.Context, id int64) {
	if n, ok := ctx.Value(userNoteKey{}).(*userNote); ok && id != 0 {
		n.id.Store(id)
	}
}
