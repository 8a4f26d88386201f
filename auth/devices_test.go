package auth_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

func (e *env) trustedLogin(u *user, token string) *auth.LoginResult {
	e.t.Helper()
	res, err := e.svc.Login(e.ctx, remote, auth.LoginRequest{Login: u.Name, Password: u.Password, TrustedToken: token})
	if err != nil {
		e.t.Fatalf("Login with a trusted token: %v", err)
	}
	return res
}

func TestTrustedDevices(t *testing.T) {
	e := newEnv(t)
	u, tok := e.enrolledUser("u")
	v, _ := e.enrolledUser("v")

	// A login without TrustDevice trusts nothing.
	res, err := e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{Ticket: e.ticket(u), Code: e.code(u)})
	if err != nil || res.Trusted != nil {
		t.Fatalf("CompleteLogin without TrustDevice: %+v, %v", res, err)
	}
	res, err = e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{Ticket: e.ticket(u), Code: e.code(u), TrustDevice: true, DeviceName: "laptop"})
	if err != nil {
		t.Fatalf("CompleteLogin with TrustDevice: %v", err)
	}
	if res.Trusted == nil || res.Trusted.Token == "" || res.Trusted.DeviceID == "" {
		t.Fatalf("no trusted token: %+v", res)
	}
	if want := e.clock.Now().Add(e.svc.Config().TrustedDeviceTTL); !res.Trusted.Expires.Equal(want) {
		t.Errorf("trusted until %v, want %v", res.Trusted.Expires, want)
	}
	trusted := res.Trusted

	// The trusted device skips the code.
	r := e.trustedLogin(u, trusted.Token)
	if r.Tokens == nil || r.Ticket != "" || r.Tokens.Scope != mfad.ScopeFull {
		t.Fatalf("login on a trusted device: %+v", r)
	}
	// Only with the password, and only for its own user.
	_, err = e.svc.Login(e.ctx, remote, auth.LoginRequest{Login: u.Name, Password: "wrong password", TrustedToken: trusted.Token})
	wantCode(t, err, mfad.EInvalidLogin)
	if r := e.trustedLogin(v, trusted.Token); r.Ticket == "" || r.Tokens != nil {
		t.Fatalf("another user's trusted token skipped the code: %+v", r)
	}
	if r := e.trustedLogin(u, flip(trusted.Token)); r.Ticket == "" || r.Tokens != nil {
		t.Fatalf("a forged trusted token skipped the code: %+v", r)
	}

	// Listed (auth.DeviceInfo has no hash to leak).
	ds, _, err := e.svc.TrustedDevices(e.ctx, e.actor(tok), u.ID, "")
	if err != nil || len(ds) != 1 || ds[0].DeviceID != trusted.DeviceID || ds[0].Name != "laptop" {
		t.Fatalf("TrustedDevices = %+v, %v", ds, err)
	}

	// Revoked: no longer skips.
	err = e.svc.RevokeTrustedDevice(e.ctx, e.actor(tok), auth.DeviceRevocation{UserID: u.ID, DeviceID: trusted.DeviceID, Others: false})
	if err != nil {
		t.Fatalf("RevokeTrustedDevice: %v", err)
	}
	if r := e.trustedLogin(u, trusted.Token); r.Ticket == "" || r.Tokens != nil {
		t.Fatalf("a revoked device skipped the code: %+v", r)
	}
	err = e.svc.RevokeTrustedDevice(e.ctx, e.actor(tok), auth.DeviceRevocation{UserID: u.ID, DeviceID: trusted.DeviceID, Others: false})
	wantCode(t, err, mfad.ENotFound)

	// Expired: no longer skips.
	res, err = e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{Ticket: e.ticket(u), Code: e.code(u), TrustDevice: true})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(e.svc.Config().TrustedDeviceTTL - time.Minute)
	early := e.trustedLogin(u, res.Trusted.Token)
	if early.Tokens == nil {
		t.Fatalf("a device expired early: %+v", early)
	}
	if ds, _, err := e.svc.TrustedDevices(e.ctx, e.actor(early.Tokens), u.ID, ""); err != nil || len(ds) != 1 {
		t.Fatalf("TrustedDevices before expiry = %+v, %v", ds, err)
	}
	e.clock.Add(2 * time.Minute)
	if r := e.trustedLogin(u, res.Trusted.Token); r.Ticket == "" || r.Tokens != nil {
		t.Fatalf("an expired device skipped the code: %+v", r)
	}
	// Expired: no longer listed either, so no front shows it.
	fresh, err := e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{Ticket: e.ticket(u), Code: e.code(u)})
	if err != nil {
		t.Fatal(err)
	}
	if ds, _, err := e.svc.TrustedDevices(e.ctx, e.actor(fresh.Tokens), u.ID, ""); err != nil || len(ds) != 0 {
		t.Fatalf("TrustedDevices after expiry = %+v, %v", ds, err)
	}
}

func TestRevokeOtherDevices(t *testing.T) {
	e := newEnv(t)
	u, _ := e.enrolledUser("u")
	var tokens []*auth.TrustedToken
	var tok *auth.Tokens
	for range 3 {
		res, err := e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{Ticket: e.ticket(u), Code: e.code(u), TrustDevice: true})
		if err != nil {
			t.Fatal(err)
		}
		tokens, tok = append(tokens, res.Trusted), res.Tokens
	}
	if err := e.svc.RevokeTrustedDevice(e.ctx, e.actor(tok), auth.DeviceRevocation{UserID: u.ID, DeviceID: tokens[2].DeviceID, Others: true}); err != nil {
		t.Fatalf("RevokeTrustedDevice others: %v", err)
	}
	for i, tt := range tokens {
		if skipped := e.trustedLogin(u, tt.Token).Tokens != nil; skipped != (i == 2) {
			t.Errorf("device %d skips the code: %v", i, skipped)
		}
	}
}

func TestAppPasswords(t *testing.T) {
	e := newEnv(t)
	u, tok := e.enrolledUser("u")
	a := e.actor(tok)
	imap := auth.System("imap")

	// Not for a user without 2FA.
	plain := e.newUser("plain", mfad.RoleUser)
	_, err := e.svc.CreateAppPassword(e.ctx, e.actor(e.session(plain)), plain.ID, "mail", "")
	wantCode(t, err, mfad.ENotEnrolled)
	// Without 2FA, the main password passes protocol logins.
	if ui, err := e.svc.ProtocolAuth(e.ctx, imap, plain.Name, plain.Password); err != nil || ui.ID != plain.ID {
		t.Fatalf("ProtocolAuth with the main password of a user without 2FA: %+v, %v", ui, err)
	}

	pw, err := e.svc.CreateAppPassword(e.ctx, a, u.ID, "  Thunderbird  ", "")
	if err != nil {
		t.Fatalf("CreateAppPassword: %v", err)
	}
	if len(pw) != 16 {
		t.Errorf("app password %q has %d characters, want 16", pw, len(pw))
	}
	pw2, err := e.svc.CreateAppPassword(e.ctx, a, u.ID, "phone", "")
	if err != nil {
		t.Fatal(err)
	}
	if pw2 == pw {
		t.Fatal("two app passwords are equal")
	}
	_, err = e.svc.CreateAppPassword(e.ctx, a, u.ID, "Thunderbird", "")
	wantCode(t, err, mfad.EConflict)
	_, err = e.svc.CreateAppPassword(e.ctx, a, u.ID, "   ", "")
	wantCode(t, err, mfad.EInvalidInput)

	ui, err := e.svc.ProtocolAuth(e.ctx, imap, u.Name, pw)
	if err != nil || ui.ID != u.ID || !ui.MFAEnabled {
		t.Fatalf("ProtocolAuth with an app password: %+v, %v", ui, err)
	}
	if _, err := e.svc.ProtocolAuth(e.ctx, imap, u.Email, pw2); err != nil {
		t.Fatalf("ProtocolAuth by email: %v", err)
	}
	// The main password of a user with 2FA never passes a protocol login.
	_, err = e.svc.ProtocolAuth(e.ctx, imap, u.Name, u.Password)
	wantCode(t, err, mfad.EInvalidLogin)
	// An app password is no password for an interactive login.
	_, err = e.svc.Login(e.ctx, remote, auth.LoginRequest{Login: u.Name, Password: pw})
	wantCode(t, err, mfad.EInvalidLogin)
	// Nor another user's.
	_, err = e.svc.ProtocolAuth(e.ctx, imap, plain.Name, pw)
	wantCode(t, err, mfad.EInvalidLogin)

	list, err := e.svc.AppPasswords(e.ctx, a, u.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("AppPasswords = %+v, %v", list, err)
	}
	names := map[string]bool{}
	for _, p := range list {
		names[p.Name] = true
	}
	if !names["Thunderbird"] || !names["phone"] {
		t.Errorf("AppPasswords names = %v", names)
	}

	if err := e.svc.RevokeAppPassword(e.ctx, a, u.ID, "Thunderbird"); err != nil {
		t.Fatalf("RevokeAppPassword: %v", err)
	}
	_, err = e.svc.ProtocolAuth(e.ctx, imap, u.Name, pw)
	wantCode(t, err, mfad.EInvalidLogin)
	if _, err := e.svc.ProtocolAuth(e.ctx, imap, u.Name, pw2); err != nil {
		t.Fatalf("the other app password after a revoke: %v", err)
	}
	wantCode(t, e.svc.RevokeAppPassword(e.ctx, a, u.ID, "Thunderbird"), mfad.ENotFound)

	// At most 25.
	for i := 1; i < 25; i++ {
		if _, err := e.svc.CreateAppPassword(e.ctx, a, u.ID, fmt.Sprintf("app %d", i), ""); err != nil {
			t.Fatalf("app password %d: %v", i+1, err)
		}
	}
	_, err = e.svc.CreateAppPassword(e.ctx, a, u.ID, "one too many", "")
	wantCode(t, err, mfad.EConflict)
	if list, _ := e.svc.AppPasswords(e.ctx, a, u.ID); len(list) != 25 {
		t.Fatalf("%d app passwords, want 25", len(list))
	}
}

func TestAppPasswordAlphabet(t *testing.T) {
	e := newEnv(t)
	u, tok := e.enrolledUser("u")
	a := e.actor(tok)
	seen := map[rune]bool{}
	for i := range 20 {
		pw, err := e.svc.CreateAppPassword(e.ctx, a, u.ID, fmt.Sprint(i), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(pw) != 16 {
			t.Fatalf("app password of %d characters", len(pw))
		}
		for _, r := range pw {
			seen[r] = true
		}
		if strings.ContainsAny(pw, " \t\n") {
			t.Fatalf("app password %q has white space", pw)
		}
	}
	// 320 characters drawn from a large alphabet show many distinct ones.
	if len(seen) < 40 {
		t.Errorf("only %d distinct characters in 20 app passwords: a small alphabet?", len(seen))
	}
}

func TestPolicyRemote(t *testing.T) {
	e := newEnv(t)
	u, _ := e.enrolledUser("u")
	plain := e.newUser("plain", mfad.RoleUser)
	if err := e.svc.SetPolicy(e.ctx, e.sys, auth.PolicyRemote); err != nil {
		t.Fatal(err)
	}
	if p, err := e.svc.Policy(e.ctx, e.actor(e.login(plain, loopback).Tokens)); err != nil || p != auth.PolicyRemote {
		t.Fatalf("Policy = %q, %v", p, err)
	}

	// A local client of an enrolled user is not asked for a code.
	res := e.login(u, loopback)
	if res.Tokens == nil || res.Ticket != "" || res.Tokens.Scope != mfad.ScopeFull {
		t.Fatalf("loopback login under remote policy: %+v", res)
	}
	if res := e.login(u, auth.Client{Addr: "::1"}); res.Tokens == nil {
		t.Fatalf("IPv6 loopback login under remote policy: %+v", res)
	}
	// A remote one is.
	if res := e.login(u, remote); res.Ticket == "" || res.Tokens != nil {
		t.Fatalf("remote login under remote policy: %+v", res)
	}
	for _, addr := range []string{"", "localhost", "::ffff:203.0.113.5", "10.0.0.1"} {
		if res := e.login(u, auth.Client{Addr: addr}); res.Ticket == "" {
			t.Errorf("login from %q is not asked for a code: %+v", addr, res)
		}
	}
	// A user without 2FA must set it up remotely, not locally.
	if res := e.login(plain, remote); !res.SetupRequired || res.Tokens.Scope != mfad.ScopeEnroll {
		t.Errorf("remote login without 2FA: %+v", res)
	}
	if res := e.login(plain, loopback); res.SetupRequired || res.Tokens.Scope != mfad.ScopeFull {
		t.Errorf("local login without 2FA: %+v", res)
	}
	st, err := e.svc.Status(e.ctx, e.actor(e.login(u, loopback).Tokens), auth.ByID(u.ID))
	if err != nil || !st.Enabled {
		t.Fatalf("Status = %+v, %v", st, err)
	}

	// Required 2FA cannot be turned off by its user, even with a code.
	tok := e.session(u)
	err = e.svc.Disable(e.ctx, e.actor(tok), auth.DisableRequest{UserID: u.ID, Code: e.code(u)})
	wantCode(t, err, mfad.EPolicy)
	if st, err := e.svc.Status(e.ctx, e.sys, auth.ByID(u.ID)); err != nil || !st.Enabled {
		t.Fatalf("Disable refused by policy turned 2FA off: %+v, %v", st, err)
	}
}

func TestPolicyDisable(t *testing.T) {
	for _, tc := range []struct {
		policy auth.Policy
		role   mfad.Role
		want   mfad.Code
	}{
		{auth.PolicyOff, mfad.RoleUser, ""},
		{auth.PolicyAll, mfad.RoleUser, mfad.EPolicy},
		{auth.PolicyRemote, mfad.RoleUser, mfad.EPolicy},
		{auth.PolicyAdmins, mfad.RoleAdmin, mfad.EPolicy},
		{auth.PolicyAdmins, mfad.RoleUser, ""},
	} {
		t.Run(string(tc.policy)+"/"+string(tc.role), func(t *testing.T) {
			e := newEnv(t)
			u := e.newUser("u", tc.role)
			tok := e.enroll(u)
			if err := e.svc.SetPolicy(e.ctx, e.sys, tc.policy); err != nil {
				t.Fatal(err)
			}
			err := e.svc.Disable(e.ctx, e.actor(tok), auth.DisableRequest{UserID: u.ID})
			wantCode(t, err, tc.want)
			// An admin can still reset it.
			if _, err := e.svc.Reset(e.ctx, e.sys, auth.ByID(u.ID)); err != nil {
				t.Fatalf("Reset: %v", err)
			}
		})
	}
	e := newEnv(t)
	wantCode(t, e.svc.SetPolicy(e.ctx, e.sys, auth.Policy("sometimes")), mfad.EInvalidInput)
}
