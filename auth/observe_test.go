package auth_test

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// observed counts what the core tells its Observe hook.
type observed struct {
	mu sync.Mutex
	n  map[string]int
}

func observe(svc *auth.Service) *observed {
	o := &observed{n: map[string]int{}}
	svc.Observe = func(event, result string) {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.n[event+"/"+result]++
	}
	return o
}

func (o *observed) counts() map[string]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return maps.Clone(o.n)
}

func (o *observed) want(t *testing.T, step string, want map[string]int) {
	t.Helper()
	if got := o.counts(); !maps.Equal(got, want) {
		t.Fatalf("after %s: observed %v, want %v", step, got, want)
	}
}

func TestObserve(t *testing.T) {
	e := newEnv(t)
	o := observe(e.svc)
	want := map[string]int{}
	u, _ := e.enrolledUser("u")
	want["enroll/started"], want["confirm/ok"] = 1, 1
	o.want(t, "enrolling", want)

	ticket := e.ticket(u)
	wantCode(t, e.complete(ticket, wrongCode(e.next(u))), mfad.EInvalidCode)
	want["verify/invalid"]++
	code := e.code(u)
	if err := e.complete(ticket, code); err != nil {
		t.Fatal(err)
	}
	want["verify/ok"]++
	o.want(t, "a wrong and a right code", want)

	wantCode(t, e.complete(e.ticket(u), code), mfad.EInvalidCode)
	want["verify/replay"]++
	o.want(t, "a replay", want)

	if err := e.complete(e.ticket(u), u.Scratch[0]); err != nil {
		t.Fatal(err)
	}
	want["verify/ok"]++
	want["scratch/used"]++
	o.want(t, "a scratch code", want)

	wantLocked(t, e.failCodes(u, e.ticket(u), 5), 30*time.Second)
	want["verify/invalid"] += 5
	want["lockout/locked"]++
	wantCode(t, e.complete(e.ticket(u), e.next(u)), mfad.ELocked)
	want["verify/locked"]++
	o.want(t, "a lockout", want)

	e.clock.Add(time.Minute)
	ticket = e.ticket(u)
	e.clock.Add(6 * time.Minute)
	wantCode(t, e.complete(ticket, e.now(u)), mfad.EExpired)
	want["verify/expired"]++
	o.want(t, "an expired ticket", want)

	v := e.newUser("v", mfad.RoleUser)
	a := e.actor(e.session(v))
	p, err := e.svc.Prepare(e.ctx, a, auth.PrepareRequest{UserID: v.ID})
	if err != nil {
		t.Fatal(err)
	}
	want["enroll/started"]++
	key := keyOf(t, p)
	_, err = e.svc.Confirm(e.ctx, a, auth.ConfirmRequest{UserID: v.ID, Token: p.Token, Code: wrongCode(key.Code(e.clock.Now()))})
	wantCode(t, err, mfad.EInvalidCode)
	want["confirm/invalid"]++
	e.clock.Add(11 * time.Minute)
	_, err = e.svc.Confirm(e.ctx, a, auth.ConfirmRequest{UserID: v.ID, Token: p.Token, Code: key.Code(e.clock.Now())})
	wantCode(t, err, mfad.EExpired)
	want["confirm/expired"]++
	o.want(t, "a failed and an expired confirmation", want)

	// Without a hook nothing breaks.
	e.svc.Observe = nil
	wantCode(t, e.complete(e.ticket(u), "000000"), mfad.EInvalidCode)
}

// flakyStore runs each Update's function once more than it commits: the
// first attempt is rolled back, as a store that retries a transaction does;
// with failCommit the last attempt fails too.
type flakyStore struct {
	mfad.Store
	failCommit bool
}

var errAttempt = errors.New("attempt rolled back")

func (s *flakyStore) Update(ctx context.Context, fn func(mfad.Tx) error) error {
	err := s.Store.Update(ctx, func(tx mfad.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errAttempt
	})
	if !errors.Is(err, errAttempt) {
		return err
	}
	if s.failCommit {
		_ = s.Store.Update(ctx, func(tx mfad.Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			return errAttempt
		})
		return errors.New("commit failed")
	}
	return s.Store.Update(ctx, fn)
}

func TestObserveOnlyCommitted(t *testing.T) {
	e := newEnv(t)
	u, _ := e.enrolledUser("u")
	for _, failCommit := range []bool{false, true} {
		flaky := &flakyStore{Store: e.store, failCommit: failCommit}
		svc := auth.New(flaky, e.ring, auth.Config{Window: 1, Password: testPasswordParams}, auth.WithClock(e.clock.Now), auth.WithLogger(slog.New(slog.DiscardHandler)))
		o := observe(svc)
		ticket := e.ticket(u)
		_, err := svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{Ticket: ticket, Code: e.code(u)})
		if failCommit {
			wantCode(t, err, mfad.EInternal)
			o.want(t, "a failed commit", map[string]int{})
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		o.want(t, "a retried transaction", map[string]int{"verify/ok": 1})
	}
}
