package auth_test

import (
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

func TestAdminLogin(t *testing.T) {
	e := newEnv(t)
	plain := e.newUser("plain", mfad.RoleUser)
	boss := e.newUser("boss", mfad.RoleAdmin)
	enrolled := e.newUser("enrolled-boss", mfad.RoleAdmin)
	e.enroll(enrolled)

	tests := []struct {
		name     string
		u        *user
		password string
		want     mfad.Code
		ticket   bool
	}{
		{"user refused after the password", plain, plain.Password, mfad.EForbidden, false},
		{"user with a wrong password", plain, "wrong", mfad.EInvalidLogin, false},
		{"admin with a wrong password", boss, "wrong", mfad.EInvalidLogin, false},
		{"admin without 2FA", boss, boss.Password, "", false},
		{"admin with 2FA gets a ticket", enrolled, enrolled.Password, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.svc.Login(e.ctx, remote, auth.LoginRequest{AdminOnly: true, Login: tt.u.Name, Password: tt.password})
			if tt.want != "" {
				checkCode(t, "AdminLogin", err, tt.want)
				if res != nil {
					t.Errorf("AdminLogin: got %+v with the error", res)
				}
				return
			}
			if err != nil {
				t.Fatalf("AdminLogin: %v", err)
			}
			if got := res.Ticket != ""; got != tt.ticket || (res.Tokens == nil) != tt.ticket {
				t.Errorf("AdminLogin: ticket %v, tokens %v; want ticket %v", res.Ticket != "", res.Tokens != nil, tt.ticket)
			}
		})
	}

	audited := false
	for _, ev := range e.events(plain.ID) {
		audited = audited || ev.Action == "login.admin" && ev.Result == string(mfad.EForbidden)
	}
	if !audited {
		t.Errorf("the refused admin login of a user is not audited: %+v", e.events(plain.ID))
	}
}

func TestCompleteAdminLogin(t *testing.T) {
	e := newEnv(t)
	u, _ := e.enrolledUser("someone")
	boss := e.newUser("boss", mfad.RoleAdmin)
	e.enroll(boss)

	// A ticket that Login made for a user is refused by CompleteAdminLogin,
	// untouched: it still works where it came from.
	ticket := e.ticket(u)
	_, err := e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{AdminOnly: true, Ticket: ticket, Code: e.code(u)})
	wantCode(t, err, mfad.EForbidden)
	if _, err := e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{Ticket: ticket, Code: e.code(u)}); err != nil {
		t.Fatalf("CompleteLogin after the refused admin login: %v", err)
	}

	res, err := e.svc.Login(e.ctx, remote, auth.LoginRequest{AdminOnly: true, Login: boss.Name, Password: boss.Password})
	if err != nil || res.Ticket == "" {
		t.Fatalf("AdminLogin: %+v, %v", res, err)
	}
	_, err = e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{AdminOnly: true, Ticket: res.Ticket, Code: "000000"})
	wantCode(t, err, mfad.EInvalidCode)
	done, err := e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{AdminOnly: true, Ticket: res.Ticket, Code: e.code(boss)})
	if err != nil {
		t.Fatalf("CompleteAdminLogin: %v", err)
	}
	if a := e.actor(done.Tokens); !a.IsAdmin() || a.SecondFactorAt().IsZero() {
		t.Errorf("the admin session: %+v", a)
	}
	_, err = e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{AdminOnly: true, Ticket: "no-such-ticket", Code: e.code(boss)})
	wantCode(t, err, mfad.ENotFound)
}

// TestTrustedDevicesOf: "this device" is the live device of the user whose
// trusted token the client holds; revoking by token revokes it (or all
// others) in one call, and another user's token names nothing.
func TestTrustedDevicesOf(t *testing.T) {
	e := newEnv(t)
	u, _ := e.enrolledUser("owner")
	other, _ := e.enrolledUser("other")

	trust := func(u *user) (*auth.Tokens, *auth.TrustedToken) {
		t.Helper()
		res, err := e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{Ticket: e.ticket(u), Code: e.code(u), TrustDevice: true, DeviceName: "phone"})
		if err != nil || res.Trusted == nil {
			t.Fatalf("CompleteLogin with TrustDevice: %+v, %v", res, err)
		}
		return res.Tokens, res.Trusted
	}
	tok, trusted := trust(u)
	_, second := trust(u)
	_, otherTrusted := trust(other)
	a := e.actor(tok)

	ds, this, err := e.svc.TrustedDevices(e.ctx, a, u.ID, trusted.Token)
	if err != nil || this != trusted.DeviceID || len(ds) != 2 {
		t.Fatalf("TrustedDevicesOf: %d devices, this %q, %v; want 2, %q", len(ds), this, err, trusted.DeviceID)
	}
	for _, tt := range []struct {
		name  string
		a     auth.Actor
		user  int64
		token string
		want  mfad.Code
		this  string
	}{
		{"empty token", a, u.ID, "", "", ""},
		{"unknown token", a, u.ID, "no-such-token", "", ""},
		{"another user's token", a, u.ID, otherTrusted.Token, "", ""},
		{"another user's devices", a, other.ID, otherTrusted.Token, mfad.EForbidden, ""},
		{"anonymous", auth.Anonymous(remote), u.ID, trusted.Token, mfad.EUnauthenticated, ""},
	} {
		_, this, err := e.svc.TrustedDevices(e.ctx, tt.a, tt.user, tt.token)
		if tt.want != "" {
			checkCode(t, tt.name, err, tt.want)
		} else if err != nil || this != tt.this {
			t.Errorf("%s: this %q, %v", tt.name, this, err)
		}
	}
	checkCode(t, "revoke another user's", e.svc.RevokeTrustedDevice(e.ctx, a, auth.DeviceRevocation{UserID: other.ID, Token: otherTrusted.Token, Others: false}), mfad.EForbidden)
	if err := e.svc.RevokeTrustedDevice(e.ctx, a, auth.DeviceRevocation{UserID: u.ID, Token: otherTrusted.Token, Others: false}); err != nil {
		t.Fatalf("revoking by another user's token: %v", err)
	}
	if err := e.svc.RevokeTrustedDevice(e.ctx, a, auth.DeviceRevocation{UserID: u.ID, Token: trusted.Token, Others: true}); err != nil {
		t.Fatalf("revoke the others: %v", err)
	}
	if ds, this, _ := e.svc.TrustedDevices(e.ctx, a, u.ID, second.Token); len(ds) != 1 || this != "" {
		t.Fatalf("after revoking the others: %d devices, this %q; want only the first", len(ds), this)
	}
	if err := e.svc.RevokeTrustedDevice(e.ctx, a, auth.DeviceRevocation{UserID: u.ID, Token: trusted.Token, Others: false}); err != nil {
		t.Fatalf("revoke this device: %v", err)
	}
	if ds, _, _ := e.svc.TrustedDevices(e.ctx, a, u.ID, ""); len(ds) != 0 {
		t.Fatalf("after revoking this device: %d left", len(ds))
	}
	if ds, _, _ := e.svc.TrustedDevices(e.ctx, e.actor(e.session(other)), other.ID, ""); len(ds) != 1 {
		t.Fatalf("the other user's device: %d, want untouched", len(ds))
	}

	_, fresh := trust(u)
	e.clock.Add(e.svc.Config().TrustedDeviceTTL)
	tok2 := e.session(u) // a fresh session: the clock moved past the first one's life
	if ds, this, err := e.svc.TrustedDevices(e.ctx, e.actor(tok2), u.ID, fresh.Token); err != nil || this != "" || len(ds) != 0 {
		t.Fatalf("an expired device: %d, %q, %v", len(ds), this, err)
	}
}
