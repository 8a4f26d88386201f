package auth_test

import (
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// TestProfileLifetimes: a dialect's registered token and ticket lifetimes
// are what its clients get, at login and at refresh; a dialect that
// registered nothing gets the Config's.
func TestProfileLifetimes(t *testing.T) {
	e := newEnv(t)
	long := auth.Client{Addr: "203.0.113.7", Dialect: "long"}
	e.svc.RegisterProfile("long", auth.Profile{AccessTTL: 48 * time.Hour, RefreshTTL: 72 * time.Hour, TicketTTL: 10 * time.Minute})
	plain := e.newUser("plain", mfad.RoleUser)
	enrolled, _ := e.enrolledUser("enrolled")
	cfg := e.svc.Config()
	for _, tt := range []struct {
		client                  auth.Client
		access, refresh, ticket time.Duration
	}{
		{long, 48 * time.Hour, 72 * time.Hour, 10 * time.Minute},
		{remote, cfg.AccessTTL, cfg.RefreshTTL, cfg.TicketTTL},
	} {
		now := e.clock.Now()
		res, err := e.svc.Login(e.ctx, tt.client, auth.LoginRequest{Login: plain.Name, Password: plain.Password})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Tokens; !got.AccessExpires.Equal(now.Add(tt.access)) || !got.RefreshExpires.Equal(now.Add(tt.refresh)) {
			t.Errorf("%s: login tokens expire %v / %v, want +%v / +%v", tt.client.Dialect, got.AccessExpires, got.RefreshExpires, tt.access, tt.refresh)
		}
		e.clock.Add(time.Minute)
		now = e.clock.Now()
		got, err := e.svc.Refresh(e.ctx, tt.client, res.Tokens.Refresh)
		if err != nil {
			t.Fatal(err)
		}
		if !got.AccessExpires.Equal(now.Add(tt.access)) || !got.RefreshExpires.Equal(now.Add(tt.refresh)) {
			t.Errorf("%s: refreshed tokens expire %v / %v, want +%v / +%v", tt.client.Dialect, got.AccessExpires, got.RefreshExpires, tt.access, tt.refresh)
		}
		res, err = e.svc.Login(e.ctx, tt.client, auth.LoginRequest{Login: enrolled.Name, Password: enrolled.Password})
		if err != nil || res.Ticket == "" {
			t.Fatalf("%s: %+v, %v; want a ticket", tt.client.Dialect, res, err)
		}
		if !res.TicketExpires.Equal(now.Add(tt.ticket)) {
			t.Errorf("%s: ticket expires %v, want +%v", tt.client.Dialect, res.TicketExpires, tt.ticket)
		}
	}
}

// TestProfileDefaults: Profile fills what a dialect left zero from the
// Config, and a profile the core cannot honour is refused at registration.
func TestProfileDefaults(t *testing.T) {
	e := newEnv(t)
	cfg := e.svc.Config()
	p := e.svc.Profile("nobody registered this")
	if p.PendingTTL != cfg.PendingTTL || p.TicketTTL != cfg.TicketTTL || p.AccessTTL != cfg.AccessTTL ||
		p.RefreshTTL != cfg.RefreshTTL || p.SecretSize != 20 || *p.Scratch != cfg.Scratch ||
		p.PasswordToDisable || p.PasswordToEnable || p.KeepEnrolled || p.SessionOnConfirm {
		t.Errorf("default profile %+v", p)
	}
	for _, bad := range []auth.Profile{
		{Scratch: &mfad.ScratchForm{Count: 10, Length: 3, Alphabet: mfad.Digits}},
		{Scratch: &mfad.ScratchForm{Count: 51, Length: 8, Alphabet: mfad.Digits}},
		{SecretSize: 9},
		{SecretSize: 65},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("registered %+v", bad)
				}
			}()
			e.svc.RegisterProfile("bad", bad)
		}()
	}
}
