package auth_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// lockedBuffer is a log destination safe for concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Wrong codes, replays, attempts while locked, lockouts and wrong
// enrollment codes each get one log line naming the user and the client,
// from the core, so every front has them; no line holds a code.
func TestAlertLogLines(t *testing.T) {
	e := newEnv(t)
	var buf lockedBuffer
	e.svc = auth.New(e.store, e.ring, auth.Config{Window: 1, Password: testPasswordParams},
		auth.WithClock(e.clock.Now), auth.WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))))
	u, _ := e.enrolledUser("u")
	var tried []string
	try := func(ticket, code string) error {
		tried = append(tried, code)
		return e.complete(ticket, code)
	}

	ctx, userOf := auth.TrackUser(e.ctx)
	ticket := e.ticket(u)
	wrong := wrongCode(e.next(u))
	if _, err := e.svc.CompleteLogin(ctx, remote, auth.TicketRequest{Ticket: ticket, Code: wrong}); mfad.ErrorCode(err) != mfad.EInvalidCode {
		t.Fatalf("wrong code: %v", err)
	}
	tried = append(tried, wrong)
	if got := userOf(); got != u.ID {
		t.Errorf("TrackUser noted user %d, want %d", got, u.ID)
	}
	code := e.code(u)
	if err := try(ticket, code); err != nil {
		t.Fatal(err)
	}
	wantCode(t, try(e.ticket(u), code), mfad.EInvalidCode) // a replay
	ticket = e.ticket(u)
	for range 5 {
		_ = try(ticket, wrongCode(e.now(u)))
	}
	wantCode(t, try(e.ticket(u), e.next(u)), mfad.ELocked)

	v := e.newUser("v", mfad.RoleUser)
	a := e.actor(e.session(v))
	p, err := e.svc.Prepare(e.ctx, a, auth.PrepareRequest{UserID: v.ID})
	if err != nil {
		t.Fatal(err)
	}
	bad := wrongCode(keyOf(t, p).Code(e.clock.Now()))
	tried = append(tried, bad)
	_, err = e.svc.Confirm(e.ctx, a, auth.ConfirmRequest{UserID: v.ID, Token: p.Token, Code: bad})
	wantCode(t, err, mfad.EInvalidCode)

	type line struct {
		Msg, Event, Result, Client string
		UserID                     int64 `json:"user_id"`
	}
	got := map[string]int{}
	for l := range strings.Lines(buf.String()) {
		var ln line
		if err := json.Unmarshal([]byte(l), &ln); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		if ln.Event == "" {
			continue
		}
		got[ln.Msg+" "+ln.Event+"/"+ln.Result]++
		want := u.ID
		if ln.Event == "confirm" {
			want = v.ID
		}
		if ln.UserID != want || ln.Client != remote.Addr {
			t.Errorf("line %s: user_id %d client %q, want %d %q", l, ln.UserID, ln.Client, want, remote.Addr)
		}
	}
	for k, n := range map[string]int{
		// The replay counts as the first failure, so the fourth wrong code
		// locks and the fifth is an attempt while locked.
		"second factor refused verify/invalid":    1 + 4,
		"second factor refused verify/replay":     1,
		"second factor refused verify/locked":     2,
		"second factor locked out lockout/locked": 1,
		"enrollment code refused confirm/invalid": 1,
	} {
		if got[k] != n {
			t.Errorf("%q logged %d times, want %d (all: %v)", k, got[k], n, got)
		}
	}
	for _, c := range tried {
		if strings.Contains(buf.String(), `"`+c+`"`) || strings.Contains(buf.String(), "="+c) {
			t.Errorf("the log holds a code tried (%s)", c)
		}
	}
	for _, s := range u.Scratch {
		if strings.Contains(buf.String(), s) {
			t.Error("the log holds a scratch code")
		}
	}
}
