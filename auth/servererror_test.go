package auth_test

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// faultyStore fails the write transaction whose number (counted from 1)
// is failAt, before running it: a server error at one step of a call.
type faultyStore struct {
	mfad.Store
	n, failAt atomic.Int32
}

func (f *faultyStore) Update(ctx context.Context, fn func(mfad.Tx) error) error {
	if f.n.Add(1) == f.failAt.Load() {
		return errors.New("injected: disk on fire")
	}
	return f.Store.Update(ctx, fn)
}

// failNext makes the k-th write transaction from now fail.
func (f *faultyStore) failNext(k int32) { f.failAt.Store(f.n.Load() + k) }

// TestServerErrorLeavesNoThrottle (issue 34): a login whose password is
// right and that then ends in a server error (here the second of its two
// write transactions fails: the one that settles the attempt and makes the
// session) is neither a failed attempt nor a success. Before, each left its
// reservation counted as a failure, so after a few such errors the right
// password was refused as "too many failed attempts". Now the reservation
// is taken back and the attempt audited as an error; a server error at the
// first step reserves nothing at all.
func TestServerErrorLeavesNoThrottle(t *testing.T) {
	e := newEnv(t)
	f := &faultyStore{Store: e.store}
	svc := auth.New(f, e.ring, auth.Config{Window: 1, Password: testPasswordParams},
		auth.WithClock(e.clock.Now), auth.WithLogger(slog.New(slog.DiscardHandler)))
	u := e.newUser("alice", mfad.RoleUser)
	login := func() error {
		_, err := svc.Login(e.ctx, remote, auth.LoginRequest{Login: u.Name, Password: u.Password})
		return err
	}
	for step := int32(1); step <= 2; step++ {
		for i := range 30 { // more than the free attempts of the account (5) and the address (20)
			f.failNext(step)
			if err := login(); mfad.ErrorCode(err) != mfad.EInternal {
				t.Fatalf("step %d, login %d: %v, want an internal error", step, i, err)
			}
		}
		if err := login(); err != nil {
			t.Fatalf("after 30 server errors at step %d the right password is refused: %v", step, err)
		}
	}
	var errorsAudited int
	for _, ev := range e.events(u.ID) {
		if ev.Action == "login" && ev.Result == "error" {
			errorsAudited++
		}
	}
	if errorsAudited != 30 {
		t.Errorf("%d logins audited as errors, want 30 (those whose password was judged)", errorsAudited)
	}
}
