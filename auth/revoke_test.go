package auth_test

import (
	"errors"
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// holdings are the credentials of docs/architecture.md §2's "what revokes what" table
// that an enrolled user holds.
type holdings struct {
	current, other *auth.Tokens // two sessions; current has a recent second factor
	ticket         string       // a login awaiting its second factor
	device         string       // a trusted-device token
	appPassword    string
	enrollment     string // a pending re-enrollment's token (prepared with a session)
}

func (e *env) hold(u *user) holdings {
	e.t.Helper()
	var h holdings
	res, err := e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{Ticket: e.ticket(u), Code: e.code(u), TrustDevice: true, DeviceName: "phone"})
	if err != nil {
		e.t.Fatalf("CompleteLogin with TrustDevice: %v", err)
	}
	h.other, h.device = res.Tokens, res.Trusted.Token
	h.current = e.session(u)
	if h.appPassword, err = e.svc.CreateAppPassword(e.ctx, e.actor(h.current), u.ID, "mail", ""); err != nil {
		e.t.Fatalf("CreateAppPassword: %v", err)
	}
	h.ticket = e.ticket(u)
	p, err := e.svc.Prepare(e.ctx, e.actor(h.current), auth.PrepareRequest{UserID: u.ID})
	if err != nil {
		e.t.Fatalf("Prepare: %v", err)
	}
	h.enrollment = p.Token

	// All of them work now.
	if !e.alive(h.current) || !e.alive(h.other) {
		e.t.Fatal("a new session does not authenticate")
	}
	if !e.deviceTrusted(u, h.device) {
		e.t.Fatal("a new trusted device is not trusted")
	}
	if !e.appPasswordWorks(u, h.appPassword) {
		e.t.Fatal("a new app password does not work")
	}
	if !e.pending(u) {
		e.t.Fatal("a prepared enrollment is not pending")
	}
	return h
}

// pending reports whether u has a pending enrollment.
func (e *env) pending(u *user) bool {
	e.t.Helper()
	var found bool
	err := e.store.View(e.ctx, func(tx mfad.Tx) error {
		_, err := tx.Enrollment(u.ID)
		found = err == nil
		if errors.Is(err, mfad.ErrNoRows) {
			err = nil
		}
		return err
	})
	if err != nil {
		e.t.Fatalf("Enrollment: %v", err)
	}
	return found
}

// deviceTrusted reports whether u's device token is still listed and (with
// 2FA on) still skips the code.
func (e *env) deviceTrusted(u *user, token string) bool {
	e.t.Helper()
	ds, _, err := e.svc.TrustedDevices(e.ctx, e.sys, u.ID, "")
	if err != nil {
		e.t.Fatalf("TrustedDevices: %v", err)
	}
	st, err := e.svc.Status(e.ctx, e.sys, auth.ByID(u.ID))
	if err != nil {
		return len(ds) > 0
	}
	if st.Enabled {
		res, err := e.svc.Login(e.ctx, remote, auth.LoginRequest{Login: u.Name, Password: u.Password, TrustedToken: token})
		if err != nil {
			e.t.Fatalf("Login with a trusted token: %v", err)
		}
		if skipped := res.Tokens != nil; skipped != (len(ds) > 0) {
			e.t.Fatalf("%d trusted devices listed, but the token skips the code: %v", len(ds), skipped)
		}
	}
	return len(ds) > 0
}

// appPasswordWorks reports whether an app password of u is still listed and
// accepted by ProtocolAuth.
func (e *env) appPasswordWorks(u *user, pw string) bool {
	e.t.Helper()
	ps, err := e.svc.AppPasswords(e.ctx, e.sys, u.ID)
	if err != nil {
		e.t.Fatalf("AppPasswords: %v", err)
	}
	_, err = e.svc.ProtocolAuth(e.ctx, e.sys, u.Name, pw)
	if err != nil && mfad.ErrorCode(err) != mfad.EInvalidLogin {
		e.t.Fatalf("ProtocolAuth: %v", err)
	}
	if (err == nil) != (len(ps) > 0) {
		e.t.Fatalf("%d app passwords listed, but ProtocolAuth says %v", len(ps), err)
	}
	return err == nil
}

// ticketGone checks that a login ticket no longer exists.
func (e *env) ticketGone(u *user, ticket string) {
	e.t.Helper()
	_, err := e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{Ticket: ticket, Code: e.next(u)})
	wantCode(e.t, err, mfad.ENotFound)
}

func TestRevokeOnEnable(t *testing.T) {
	t.Run("FirstEnrollment", func(t *testing.T) {
		e := newEnv(t)
		u := e.newUser("u", mfad.RoleUser)
		cur, other := e.session(u), e.session(u)
		a := e.actor(cur)
		p, err := e.svc.Prepare(e.ctx, a, auth.PrepareRequest{UserID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		if !e.alive(other) {
			t.Fatal("Prepare alone revoked a session")
		}
		if _, err := e.svc.Confirm(e.ctx, a, auth.ConfirmRequest{Token: p.Token, Code: keyOf(t, p).Code(e.clock.Now())}); err != nil {
			t.Fatal(err)
		}
		if !e.alive(cur) {
			t.Error("the confirming session was revoked")
		}
		if e.alive(other) {
			t.Error("another session survived enabling 2FA")
		}
	})

	t.Run("ReEnrollment", func(t *testing.T) {
		e := newEnv(t)
		u, _ := e.enrolledUser("u")
		h := e.hold(u)
		a := e.actor(h.current)
		p, err := e.svc.Prepare(e.ctx, a, auth.PrepareRequest{UserID: u.ID})
		if err != nil {
			t.Fatalf("Prepare on an enrolled user: %v", err)
		}
		if !p.Enrolled {
			t.Error("Prepared.Enrolled is false for an enrolled user")
		}
		// Until Confirm the old factor stays in force, and nothing is revoked.
		if !e.alive(h.other) || !e.deviceTrusted(u, h.device) {
			t.Fatal("Prepare alone revoked something")
		}
		key := keyOf(t, p)
		if _, err := e.svc.Confirm(e.ctx, a, auth.ConfirmRequest{UserID: u.ID, Code: key.Code(e.clock.Now())}); err != nil {
			t.Fatalf("Confirm: %v", err)
		}
		if !e.alive(h.current) {
			t.Error("the confirming session was revoked")
		}
		if e.alive(h.other) {
			t.Error("another session survived enabling 2FA")
		}
		e.ticketGone(u, h.ticket)
		if e.deviceTrusted(u, h.device) {
			t.Error("a trusted device survived enabling 2FA")
		}
		if !e.appPasswordWorks(u, h.appPassword) {
			t.Error("enabling 2FA revoked an app password")
		}
		// The new key is in force, the old one is not.
		old := u.Key
		u.Key = key
		e.clock.Add(30 * time.Second)
		_, err = e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{Ticket: e.ticket(u), Code: old.Code(e.clock.Now())})
		wantCode(t, err, mfad.EInvalidCode)
		e.session(u)
	})
}

func TestRevokeOnDisable(t *testing.T) {
	e := newEnv(t)
	u, _ := e.enrolledUser("u")
	h := e.hold(u)
	if err := e.svc.Disable(e.ctx, e.actor(h.current), auth.DisableRequest{UserID: u.ID}); err != nil {
		t.Fatalf("Disable: %v", err)
	}
	if !e.alive(h.current) {
		t.Error("Disable revoked the current session")
	}
	if e.alive(h.other) {
		t.Error("another session survived Disable")
	}
	e.ticketGone(u, h.ticket)
	if e.deviceTrusted(u, h.device) {
		t.Error("a trusted device survived Disable")
	}
	if e.appPasswordWorks(u, h.appPassword) {
		t.Error("an app password survived Disable")
	}
	if e.pending(u) {
		t.Error("a pending enrollment survived Disable")
	}
}

func TestRevokeOnReset(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reset func(e *env, admin auth.Actor, u *user) error
	}{
		{"Reset", func(e *env, admin auth.Actor, u *user) error {
			_, err := e.svc.Reset(e.ctx, admin, auth.ByID(u.ID))
			return err
		}},
		{"AdminDisable", func(e *env, admin auth.Actor, u *user) error {
			return e.svc.Disable(e.ctx, admin, auth.DisableRequest{UserID: u.ID})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			adm := e.newUser("root", mfad.RoleAdmin)
			adminTok := e.session(adm)
			u, _ := e.enrolledUser("u")
			h := e.hold(u)
			if err := tc.reset(e, e.actor(adminTok), u); err != nil {
				t.Fatalf("reset: %v", err)
			}
			if e.alive(h.current) || e.alive(h.other) {
				t.Error("a session of the user survived an admin reset")
			}
			if !e.alive(adminTok) {
				t.Error("the admin's session was revoked")
			}
			e.ticketGone(u, h.ticket)
			if e.deviceTrusted(u, h.device) {
				t.Error("a trusted device survived an admin reset")
			}
			if e.appPasswordWorks(u, h.appPassword) {
				t.Error("an app password survived an admin reset")
			}
			if e.pending(u) {
				t.Error("a pending enrollment survived an admin reset")
			}
			if st, err := e.svc.Status(e.ctx, e.sys, auth.ByID(u.ID)); err != nil || st.Enabled || st.ScratchRemaining != 0 {
				t.Errorf("Status after reset = %+v, %v", st, err)
			}
			res := e.login(u, remote)
			if res.Tokens == nil || res.Ticket != "" {
				t.Errorf("login after reset asks for a code: %+v", res)
			}
		})
	}

	t.Run("OwnCurrentSession", func(t *testing.T) {
		// An admin resetting their own 2FA loses every session too.
		e := newEnv(t)
		adm := e.newUser("root", mfad.RoleAdmin)
		e.enroll(adm)
		h := e.hold(adm)
		if _, err := e.svc.Reset(e.ctx, e.actor(h.current), auth.ByID(adm.ID)); err != nil {
			t.Fatalf("Reset: %v", err)
		}
		if e.alive(h.current) || e.alive(h.other) {
			t.Error("a session survived Reset")
		}
	})
}

func TestRevokeOnPasswordChange(t *testing.T) {
	t.Run("Own", func(t *testing.T) {
		e := newEnv(t)
		u, _ := e.enrolledUser("u")
		h := e.hold(u)
		old := u.Password
		u.Password = "a brand new password"
		err := e.svc.ChangePassword(e.ctx, e.actor(h.current), auth.PasswordChange{UserID: u.ID, Current: old, New: u.Password})
		if err != nil {
			t.Fatalf("ChangePassword: %v", err)
		}
		if !e.alive(h.current) {
			t.Error("the current session was revoked")
		}
		if e.alive(h.other) {
			t.Error("another session survived a password change")
		}
		e.ticketGone(u, h.ticket)
		if e.deviceTrusted(u, h.device) {
			t.Error("a trusted device survived a password change")
		}
		if e.appPasswordWorks(u, h.appPassword) {
			t.Error("an app password survived a password change")
		}
		if e.pending(u) {
			t.Error("a pending enrollment survived a password change")
		}
		_, err = e.svc.Login(e.ctx, remote, auth.LoginRequest{Login: u.Name, Password: old})
		wantCode(t, err, mfad.EInvalidLogin)
		e.session(u)
	})

	t.Run("WrongCurrent", func(t *testing.T) {
		e := newEnv(t)
		u, _ := e.enrolledUser("u")
		h := e.hold(u)
		err := e.svc.ChangePassword(e.ctx, e.actor(h.current), auth.PasswordChange{UserID: u.ID, Current: "not it at all", New: "a brand new password"})
		wantCode(t, err, mfad.EInvalidLogin)
		if !e.alive(h.other) || !e.appPasswordWorks(u, h.appPassword) || !e.pending(u) {
			t.Error("a refused password change revoked something")
		}
	})

	t.Run("ByAdmin", func(t *testing.T) {
		e := newEnv(t)
		adm := e.newUser("root", mfad.RoleAdmin)
		adminTok := e.session(adm)
		u, _ := e.enrolledUser("u")
		h := e.hold(u)
		u.Password = "set by the admin"
		if err := e.svc.ChangePassword(e.ctx, e.actor(adminTok), auth.PasswordChange{UserID: u.ID, New: u.Password}); err != nil {
			t.Fatalf("ChangePassword by an admin: %v", err)
		}
		if e.alive(h.current) || e.alive(h.other) {
			t.Error("a session of the user survived a password set by an admin")
		}
		if !e.alive(adminTok) {
			t.Error("the admin's session was revoked")
		}
		e.ticketGone(u, h.ticket)
		if e.deviceTrusted(u, h.device) || e.appPasswordWorks(u, h.appPassword) || e.pending(u) {
			t.Error("a trusted device, app password or pending enrollment survived")
		}
		e.session(u)
	})
}

func TestRevokeOnDelete(t *testing.T) {
	e := newEnv(t)
	adm := e.newUser("root", mfad.RoleAdmin)
	adminTok := e.session(adm)
	u, _ := e.enrolledUser("u")
	h := e.hold(u)
	if err := e.svc.DeleteUser(e.ctx, e.actor(adminTok), u.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if e.alive(h.current) || e.alive(h.other) {
		t.Error("a session survived DeleteUser")
	}
	for _, r := range []string{h.current.Refresh, h.other.Refresh} {
		_, err := e.svc.Refresh(e.ctx, remote, r)
		checkCode(t, "Refresh of a deleted user's session", err, mfad.EUnauthenticated)
	}
	e.ticketGone(u, h.ticket)
	if e.deviceTrusted(u, h.device) {
		t.Error("a trusted device survived DeleteUser")
	}
	if e.appPasswordWorks(u, h.appPassword) {
		t.Error("an app password survived DeleteUser")
	}
	if e.pending(u) {
		t.Error("a pending enrollment survived DeleteUser")
	}
	_, err := e.svc.Login(e.ctx, remote, auth.LoginRequest{Login: u.Name, Password: u.Password})
	wantCode(t, err, mfad.EInvalidLogin)

	// A new user of the same name inherits nothing.
	u2 := e.newUser("u", mfad.RoleUser)
	if u2.ID == u.ID {
		t.Fatalf("the new user reuses id %d", u.ID)
	}
	res := e.login(u2, remote)
	if res.Tokens == nil {
		t.Fatalf("login of the new user: %+v", res)
	}
	if st, err := e.svc.Status(e.ctx, e.actor(res.Tokens), auth.ByID(u2.ID)); err != nil || st.Enabled {
		t.Fatalf("the new user's status = %+v, %v", st, err)
	}
	if e.appPasswordWorks(u2, h.appPassword) {
		t.Error("the new user accepts the old user's app password")
	}
}
