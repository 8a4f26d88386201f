package auth_test

import (
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// TestRenewSession: an access token is renewed (same token, a fresh
// lifetime of its dialect, never past its session's end) only for a session
// of the same dialect; a ticket, an unknown or expired token and another
// user's name are refused.
func TestRenewSession(t *testing.T) {
	e := newEnv(t)
	e.svc = auth.New(e.store, e.ring, auth.Config{Window: 1, Password: testPasswordParams,
		RefreshTTL: 5 * 24 * time.Hour, DialectAccessTTL: map[string]time.Duration{"test": 48 * time.Hour}},
		auth.WithClock(e.clock.Now))
	u := e.newUser("renew", mfad.RoleUser)
	tok := e.login(u, remote).Tokens
	if got := tok.AccessExpires.Sub(e.clock.Now()); got != 48*time.Hour {
		t.Fatalf("the dialect's access lifetime: %v, want 48h", got)
	}

	e.clock.Add(24 * time.Hour)
	r, err := e.svc.RenewSession(e.ctx, remote, tok.Access, u.Email)
	if err != nil {
		t.Fatalf("RenewSession: %v", err)
	}
	if r.Access != tok.Access || r.AccessExpires.Sub(e.clock.Now()) != 48*time.Hour {
		t.Fatalf("renewed: same token %v, lifetime %v; want the same token for 48h", r.Access == tok.Access, r.AccessExpires.Sub(e.clock.Now()))
	}
	if !e.alive(tok) {
		t.Fatal("the renewed token does not authenticate")
	}
	// Never past the session's end: 5 days after the login.
	e.clock.Add(46 * time.Hour) // 70 h after the login
	if _, err = e.svc.RenewSession(e.ctx, remote, tok.Access, ""); err != nil {
		t.Fatalf("RenewSession again: %v", err)
	}
	e.clock.Add(30 * time.Hour) // 100 h: 48 h more would pass the 120 h end
	r, err = e.svc.RenewSession(e.ctx, remote, tok.Access, "")
	if err != nil {
		t.Fatalf("RenewSession near the end: %v", err)
	}
	if end := tok.RefreshExpires; !r.AccessExpires.Equal(end) {
		t.Fatalf("renewed until %v, want the session's end %v", r.AccessExpires, end)
	}

	other := e.newUser("other", mfad.RoleUser)
	fresh := e.login(u, remote).Tokens
	_, err = e.svc.RenewSession(e.ctx, remote, fresh.Access, other.Name)
	checkCode(t, "another user's name", err, mfad.EUnauthenticated)
	_, err = e.svc.RenewSession(e.ctx, remote, "no-such-token", "")
	checkCode(t, "unknown token", err, mfad.EUnauthenticated)

	// A session of another dialect is validated, not extended.
	web := auth.Client{Addr: remote.Addr, Dialect: "web"}
	wt := e.login(u, web).Tokens
	e.clock.Add(10 * time.Minute)
	r, err = e.svc.RenewSession(e.ctx, remote, wt.Access, "")
	if err != nil || !r.AccessExpires.Equal(wt.AccessExpires) {
		t.Fatalf("another dialect's session: %v, expires %v, want unchanged %v", err, r, wt.AccessExpires)
	}
	if _, err := e.svc.Refresh(e.ctx, web, wt.Refresh); err != nil {
		t.Fatalf("its refresh token after the renewal: %v", err)
	}

	// A login ticket is not a session: its second factor is missing.
	v, _ := e.enrolledUser("ticketed")
	_, err = e.svc.RenewSession(e.ctx, remote, e.ticket(v), "")
	checkCode(t, "a login ticket", err, mfad.EInvalidLogin)

	// An expired token is refused.
	e.clock.Add(49 * time.Hour)
	_, err = e.svc.RenewSession(e.ctx, remote, fresh.Access, "")
	checkCode(t, "an expired token", err, mfad.EUnauthenticated)
}

// TestLoginTrustsDevice: a login with the password, the code and
// TrustDevice trusts the device in the login itself (Zimbra's AuthRequest
// with deviceTrusted="1"); a wrong code trusts nothing.
func TestLoginTrustsDevice(t *testing.T) {
	e := newEnv(t)
	u, _ := e.enrolledUser("trusting")
	_, err := e.svc.Login(e.ctx, remote, auth.LoginRequest{Login: u.Name, Password: u.Password,
		Code: "000000", TrustDevice: true, DeviceName: "phone"})
	checkCode(t, "wrong code", err, mfad.EInvalidCode)
	a := e.actor(e.session(u))
	if ds, _, _ := e.svc.TrustedDevices(e.ctx, a, u.ID, ""); len(ds) != 0 {
		t.Fatalf("a wrong code trusted %d devices", len(ds))
	}
	res, err := e.svc.Login(e.ctx, remote, auth.LoginRequest{Login: u.Name, Password: u.Password,
		Code: e.code(u), TrustDevice: true, DeviceName: "phone"})
	if err != nil || res.Tokens == nil || res.Trusted == nil {
		t.Fatalf("Login with TrustDevice: %+v, %v", res, err)
	}
	res, err = e.svc.Login(e.ctx, remote, auth.LoginRequest{Login: u.Name, Password: u.Password, TrustedToken: res.Trusted.Token})
	if err != nil || res.Tokens == nil {
		t.Fatalf("the trusted device is asked for the code: %+v, %v", res, err)
	}
}

// TestNoEnrollSession: in a dialect whose profile says NoEnrollSession, a
// user whom policy requires to set up 2FA gets SetupRequired and no
// session at all.
func TestNoEnrollSession(t *testing.T) {
	e := newEnv(t)
	if err := e.svc.SetPolicy(e.ctx, e.sys, auth.PolicyAll); err != nil {
		t.Fatal(err)
	}
	u := e.newUser("unset", mfad.RoleUser)
	e.svc.RegisterProfile("noenroll", auth.Profile{NoEnrollSession: true})
	res, err := e.svc.Login(e.ctx, auth.Client{Addr: remote.Addr, Dialect: "noenroll"}, auth.LoginRequest{Login: u.Name, Password: u.Password})
	if err != nil || !res.SetupRequired || res.Tokens != nil {
		t.Fatalf("NoEnrollSession: %+v, %v; want SetupRequired and no tokens", res, err)
	}
	if res := e.login(u, remote); !res.SetupRequired || res.Tokens == nil || res.Tokens.Scope != mfad.ScopeEnroll {
		t.Fatalf("without NoEnrollSession: %+v; want an enroll session", res)
	}
}

// TestTrustedDevicesLeaveOutExpired: an expired trusted device, still in
// the store until the sweep, is not listed.
func TestTrustedDevicesLeaveOutExpired(t *testing.T) {
	e := newEnv(t)
	u, _ := e.enrolledUser("expiring")
	if _, err := e.svc.Login(e.ctx, remote, auth.LoginRequest{Login: u.Name, Password: u.Password,
		Code: e.code(u), TrustDevice: true}); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(29 * 24 * time.Hour)
	if _, err := e.svc.Login(e.ctx, remote, auth.LoginRequest{Login: u.Name, Password: u.Password,
		Code: e.code(u), TrustDevice: true}); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(2 * 24 * time.Hour) // the first device has expired, the second not
	ds, _, err := e.svc.TrustedDevices(e.ctx, e.actor(e.session(u)), u.ID, "")
	if err != nil || len(ds) != 1 || !ds[0].ExpiresAt.After(e.clock.Now()) {
		t.Fatalf("TrustedDevices: %+v, %v; want the one live device", ds, err)
	}
}
