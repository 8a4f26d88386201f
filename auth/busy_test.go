package auth_test

import (
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// TestBusyIsNotThrottled (issue 34): logins in flight count against the
// address before they are judged, so that a burst of guesses gets no more
// than the free attempts hashed. Correct logins that are only many at once
// are refused "busy" (with a short Retry-After), never "too many failed
// attempts", and once they land everyone logs in. Failures judged wrong
// still throttle as before.
func TestBusyIsNotThrottled(t *testing.T) {
	e := newEnv(t)
	// One hash at a time, slow enough that 30 logins are in flight at once.
	params := auth.DefaultPasswordParams()
	params.Concurrent, params.MaxQueue = 1, 1000
	svc := auth.New(e.store, e.ring, auth.Config{Window: 1, Password: params},
		auth.WithClock(e.clock.Now), auth.WithLogger(slog.New(slog.DiscardHandler)))
	const n = 30
	users := make([]*user, n)
	for i := range n {
		users[i] = e.newUser(fmt.Sprintf("u%d", i), mfad.RoleUser)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = svc.Login(e.ctx, remote, auth.LoginRequest{Login: users[i].Name, Password: users[i].Password})
		})
	}
	wg.Wait()
	busy := 0
	for i, err := range errs {
		switch mfad.ErrorCode(err) {
		case mfad.EBusy:
			busy++
			if mfad.RetryAfter(err) <= 0 {
				t.Errorf("busy without Retry-After: %v", err)
			}
		case "":
		default:
			t.Errorf("login %d of %d at once: %v, want success or busy", i, n, err)
		}
	}
	if busy == 0 {
		t.Errorf("%d correct logins at once from one address: none busy (the cap of %d in flight did not apply)", n, 20)
	}
	for _, u := range users { // all landed: nothing left in flight, nothing failed
		if _, err := svc.Login(e.ctx, remote, auth.LoginRequest{Login: u.Name, Password: u.Password}); err != nil {
			t.Fatalf("after the burst, %s: %v", u.Name, err)
		}
	}
	// Judged failures from another address: throttled, not busy.
	other := auth.Client{Addr: "198.51.100.9", Dialect: "test"}
	var err error
	for range 25 {
		_, err = e.svc.Login(e.ctx, other, auth.LoginRequest{Login: "nobody", Password: "wrong password"})
		if mfad.ErrorCode(err) == mfad.EThrottled {
			break
		}
	}
	if mfad.ErrorCode(err) != mfad.EThrottled {
		t.Errorf("after wrong passwords: %v, want throttled", err)
	}
}
