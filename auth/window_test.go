package auth_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// TestWindow: a code is accepted one step either side of now (docs/architecture.md §2),
// not two; each accepted step makes it and every earlier step a replay.
func TestWindow(t *testing.T) {
	for _, tc := range []struct {
		offset int64
		ok     bool
	}{{-2, false}, {-1, true}, {0, true}, {1, true}, {2, false}} {
		e := newEnv(t)
		u, _ := e.enrolledUser("u")
		e.clock.Add(150 * time.Second) // well past the confirming step
		step := u.Key.Step(e.clock.Now())
		err := e.complete(e.ticket(u), u.Key.CodeAt(step+tc.offset))
		if tc.ok {
			if err != nil {
				t.Errorf("code of step %+d: %v", tc.offset, err)
				continue
			}
			// Every step up to the accepted one is spent.
			for s := step - 1; s <= step+tc.offset; s++ {
				err := e.complete(e.ticket(u), u.Key.CodeAt(s))
				checkCode(t, "an earlier or the same step after acceptance", err, mfad.EInvalidCode)
			}
		} else {
			checkCode(t, "code outside the window", err, mfad.EInvalidCode)
		}
	}

	// A window of 0 accepts the current step only.
	e := newEnv(t)
	e.svc = auth.New(e.store, e.ring, auth.Config{Window: 0, Password: testPasswordParams},
		auth.WithClock(e.clock.Now), auth.WithLogger(slog.New(slog.DiscardHandler)))
	u, _ := e.enrolledUser("u")
	e.clock.Add(150 * time.Second)
	step := u.Key.Step(e.clock.Now())
	checkCode(t, "next step, window 0", e.complete(e.ticket(u), u.Key.CodeAt(step+1)), mfad.EInvalidCode)
	checkCode(t, "previous step, window 0", e.complete(e.ticket(u), u.Key.CodeAt(step-1)), mfad.EInvalidCode)
	if err := e.complete(e.ticket(u), u.Key.CodeAt(step)); err != nil {
		t.Errorf("current step, window 0: %v", err)
	}
}
