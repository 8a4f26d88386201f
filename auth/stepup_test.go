package auth_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

var appNames atomic.Int64

// sensitive actions of docs/architecture.md §2, each called with an optional code. They
// are harmless to repeat, so one session can try them in turn; Disable is
// last, in its own test below.
var sensitive = []struct {
	name string
	call func(e *env, a auth.Actor, u *user, code string) error
}{
	{"ScratchCodes", func(e *env, a auth.Actor, u *user, code string) error {
		_, err := e.svc.ScratchCodes(e.ctx, a, u.ID, code)
		return err
	}},
	{"RegenerateScratchCodes", func(e *env, a auth.Actor, u *user, code string) error {
		_, err := e.svc.RegenerateScratchCodes(e.ctx, a, u.ID, code)
		return err
	}},
	{"CreateAppPassword", func(e *env, a auth.Actor, u *user, code string) error {
		_, err := e.svc.CreateAppPassword(e.ctx, a, u.ID, fmt.Sprintf("mail %d", appNames.Add(1)), code)
		return err
	}},
	{"Prepare", func(e *env, a auth.Actor, u *user, code string) error {
		_, err := e.svc.Prepare(e.ctx, a, auth.PrepareRequest{UserID: u.ID, Code: code})
		return err
	}},
	{"ChangePassword", func(e *env, a auth.Actor, u *user, code string) error {
		return e.svc.ChangePassword(e.ctx, a, auth.PasswordChange{UserID: u.ID, Current: u.Password, New: u.Password, Code: code})
	}},
}

func TestSensitiveActions(t *testing.T) {
	for _, tc := range sensitive {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			u, tok := e.enrolledUser("u")

			// Within 10 min of the second factor (here: Confirm) no code is needed.
			e.clock.Add(9 * time.Minute)
			if err := tc.call(e, e.actor(tok), u, ""); err != nil {
				t.Fatalf("9 min after Confirm, without a code: %v", err)
			}

			// A fresh login: within 10 min of CompleteLogin, no code.
			tok = e.session(u)
			e.clock.Add(9 * time.Minute)
			if err := tc.call(e, e.actor(tok), u, ""); err != nil {
				t.Fatalf("9 min after CompleteLogin, without a code: %v", err)
			}

			// 11 min after: refused without a code, allowed with one.
			tok = e.session(u)
			e.clock.Add(11 * time.Minute)
			a := e.actor(tok)
			wantCode(t, tc.call(e, a, u, ""), mfad.EStepUp)
			wantCode(t, tc.call(e, a, u, wrongCode(e.next(u))), mfad.EInvalidCode)
			if err := tc.call(e, a, u, e.code(u)); err != nil {
				t.Fatalf("11 min after CompleteLogin, with a code: %v", err)
			}
			// The code refreshed the session's proof.
			if err := tc.call(e, e.actor(tok), u, ""); err != nil {
				t.Fatalf("right after a step-up code: %v", err)
			}

			// A session that never proved a second factor (a trusted device)
			// needs a code.
			res, err := e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{Ticket: e.ticket(u), Code: e.code(u), TrustDevice: true})
			if err != nil {
				t.Fatal(err)
			}
			res, err = e.svc.Login(e.ctx, remote, auth.LoginRequest{Login: u.Name, Password: u.Password, TrustedToken: res.Trusted.Token})
			if err != nil || res.Tokens == nil {
				t.Fatalf("trusted login: %+v, %v", res, err)
			}
			wantCode(t, tc.call(e, e.actor(res.Tokens), u, ""), mfad.EStepUp)

			// StepUp proves the second factor for the session.
			e.clock.Add(11 * time.Minute)
			a = e.actor(tok)
			wantCode(t, tc.call(e, a, u, ""), mfad.EStepUp)
			if err := e.svc.StepUpActor(e.ctx, a, e.code(u)); err != nil {
				t.Fatalf("StepUp: %v", err)
			}
			if err := tc.call(e, e.actor(tok), u, ""); err != nil {
				t.Fatalf("right after StepUp: %v", err)
			}
		})
	}
}

func TestSensitiveDisable(t *testing.T) {
	e := newEnv(t)
	u, tok := e.enrolledUser("u")
	e.clock.Add(11 * time.Minute)
	a := e.actor(tok)
	wantCode(t, e.svc.Disable(e.ctx, a, auth.DisableRequest{UserID: u.ID}), mfad.EStepUp)
	wantCode(t, e.svc.Disable(e.ctx, a, auth.DisableRequest{UserID: u.ID, Code: wrongCode(e.next(u))}), mfad.EInvalidCode)
	// The password, where the dialect's profile asks for it, is checked too.
	e.svc.RegisterProfile("test", auth.Profile{PasswordToDisable: true})
	wantCode(t, e.svc.Disable(e.ctx, a, auth.DisableRequest{UserID: u.ID, Code: e.next(u), Password: "nope nope"}), mfad.EInvalidLogin)
	wantCode(t, e.svc.Disable(e.ctx, a, auth.DisableRequest{UserID: u.ID, Code: e.next(u)}), mfad.EInvalidLogin)
	if st, err := e.svc.Status(e.ctx, a, auth.ByID(u.ID)); err != nil || !st.Enabled {
		t.Fatalf("after refused Disables: %+v, %v", st, err)
	}
	if err := e.svc.Disable(e.ctx, a, auth.DisableRequest{UserID: u.ID, Code: e.code(u), Password: u.Password}); err != nil {
		t.Fatalf("Disable with a code: %v", err)
	}
	e.svc.RegisterProfile("test", auth.Profile{})

	// Within 10 min of CompleteLogin no code is needed; a scratch code
	// also proves the second factor.
	e.enroll(u)
	tok = e.session(u)
	e.clock.Add(9 * time.Minute)
	if err := e.svc.Disable(e.ctx, e.actor(tok), auth.DisableRequest{UserID: u.ID}); err != nil {
		t.Fatalf("Disable within 10 min: %v", err)
	}
	tok = e.enroll(u)
	e.clock.Add(11 * time.Minute)
	if err := e.svc.Disable(e.ctx, e.actor(tok), auth.DisableRequest{UserID: u.ID, Code: u.Scratch[0]}); err != nil {
		t.Fatalf("Disable with a scratch code: %v", err)
	}
}
