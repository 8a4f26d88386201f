package tchmi_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/tchmi"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/internal/coretest"
)

// countingStore counts the transactions the core opens.
type countingStore struct {
	mfad.Store
	updates atomic.Int64
	views   atomic.Int64
}

func (s *countingStore) View(ctx context.Context, fn func(mfad.Tx) error) error {
	s.views.Add(1)
	return s.Store.View(ctx, fn)
}

func (s *countingStore) Update(ctx context.Context, fn func(mfad.Tx) error) error {
	s.updates.Add(1)
	return s.Store.Update(ctx, fn)
}

// A second Login on a connection that holds a session replaces it: one
// wire operation, so one core call and one transaction (after the one
// that counts the password attempt before its hash), in which the new
// session is made and the previous one ends (issue 16: the front used to
// log in, then authenticate the old token and log it out in two more
// calls, so a failure in between left both sessions alive).
func TestLoginReplacingASessionIsOneTransaction(t *testing.T) {
	ctx := context.Background()
	core := coretest.New(t, coretest.Options{})
	cs := &countingStore{Store: core.Store}
	cfg := auth.DefaultConfig()
	cfg.Password = coretest.PasswordParams
	svc := auth.New(cs, core.Ring, cfg, auth.WithClock(core.Clock.Now))
	const pw = "pw-of-alice-correct-horse"
	if _, err := svc.CreateUser(ctx, auth.System("test"), auth.NewUser{Name: "alice", Email: "alice@example.test", Password: pw}); err != nil {
		t.Fatal(err)
	}
	s := tchmi.NewSession(svc, local)
	login := `{"requestType":"ReadWrite","id":1,"commands":[{"symbol":"Login","writeValue":{"userName":"alice","password":"` + pw + `"}}]}`
	first := readValue(t, s.Handle(ctx, []byte(login)))

	for _, tc := range []struct {
		name    string
		persist bool
		alive   bool
	}{
		{"persistPreviousSession keeps the previous session", true, true},
		{"a plain Login ends it", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prev := first
			if !tc.persist {
				prev = readValue(t, s.Handle(ctx, []byte(login))) // the connection's session now
			}
			frame := login
			if tc.persist {
				frame = `{"requestType":"ReadWrite","id":2,"commands":[{"symbol":"Login","writeValue":{"userName":"alice","password":"` + pw + `","persistPreviousSession":true}}]}`
			}
			before := cs.updates.Load()
			next := readValue(t, s.Handle(ctx, []byte(frame)))
			// Two: the password attempt is counted before it is hashed
			// (issue 14), then the login is one transaction.
			if n := cs.updates.Load() - before; n != 2 {
				t.Errorf("Login opened %d write transactions, want 2", n)
			}
			if next == prev {
				t.Fatal("Login answered the previous session id")
			}
			_, err := svc.Authenticate(ctx, local, prev)
			if alive := err == nil; alive != tc.alive {
				t.Errorf("previous session alive = %v (err %v), want %v", alive, err, tc.alive)
			}
			if _, err := svc.Authenticate(ctx, local, next); err != nil {
				t.Errorf("new session: %v", err)
			}
		})
	}
}

// readValue returns the string readValue of an answer's first command.
func readValue(t *testing.T, out []byte) string {
	t.Helper()
	var a answer
	if err := json.Unmarshal(out, &a); err != nil || len(a.Commands) == 0 || a.Commands[0].Error != nil {
		t.Fatalf("answer: %s", out)
	}
	s, _ := a.Commands[0].ReadValue.(string)
	return s
}

// Symbols that name a user are one core call each, besides authenticating
// the connection's session (issue 16): the front used to look the user up
// and then call by id, two transactions that another request could come
// between.
func TestNamedUserSymbolsAreOneCall(t *testing.T) {
	ctx := context.Background()
	core := coretest.New(t, coretest.Options{})
	cs := &countingStore{Store: core.Store}
	cfg := auth.DefaultConfig()
	cfg.Password = coretest.PasswordParams
	svc := auth.New(cs, core.Ring, cfg, auth.WithClock(core.Clock.Now))
	sys := auth.System("test")
	for _, n := range []string{"admin", "bob"} {
		role := mfad.RoleUser
		if n == "admin" {
			role = mfad.RoleAdmin
		}
		if _, err := svc.CreateUser(ctx, sys, auth.NewUser{Name: n, Email: n + "@example.test", Password: "pw-of-" + n + "-correct-horse", Role: role}); err != nil {
			t.Fatal(err)
		}
	}
	s := tchmi.NewSession(svc, local)
	readValue(t, s.Handle(ctx, []byte(`{"requestType":"ReadWrite","id":1,"commands":[{"symbol":"Login","writeValue":{"userName":"admin","password":"pw-of-admin-correct-horse"}}]}`)))
	force := "TcHmiSrv.Config::USERGROUPUSERS::TcHmiUserManagement::bob::USERGROUPUSERS_FORCE_2FA_INIT"
	for _, tc := range []struct{ name, frame string }{
		{"Get2FAStatus of a user", `{"requestType":"ReadWrite","id":2,"commands":[{"symbol":"TcHmiUserManagement.Get2FAStatus","writeValue":"bob"}]}`},
		{"Reset2FA", `{"requestType":"ReadWrite","id":3,"commands":[{"symbol":"TcHmiUserManagement.Reset2FA","writeValue":"bob"}]}`},
		{"FORCE_2FA_INIT read", `{"requestType":"ReadWrite","id":4,"commands":[{"symbol":"` + force + `"}]}`},
		{"FORCE_2FA_INIT write", `{"requestType":"ReadWrite","id":5,"commands":[{"symbol":"` + force + `","writeValue":true}]}`},
	} {
		before := cs.updates.Load() + cs.views.Load()
		out := s.Handle(ctx, []byte(tc.frame))
		var a answer
		if err := json.Unmarshal(out, &a); err != nil || len(a.Commands) != 1 || a.Commands[0].Error != nil {
			t.Fatalf("%s: %s", tc.name, out)
		}
		if n := cs.updates.Load() + cs.views.Load() - before; n != 2 {
			t.Errorf("%s: %d transactions, want 2 (authenticating the session, then the one core call)", tc.name, n)
		}
	}
}
