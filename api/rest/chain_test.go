package rest_test

import (
	"context"
	"testing"

	"github.com/mfad/mfad/auth"
)

// TestLoginOneCoreCall: each login operation of REST costs exactly the
// transactions of its one core call, the user included in the answer
// (REST once read the session and the user back in two more).
func TestLoginOneCoreCall(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	client := auth.Client{Addr: "127.0.0.1", Dialect: "rest"}
	for _, name := range []string{"plain-front", "plain-core", "mfa-front", "mfa-core"} {
		e.createUser(name)
	}
	keyFront, _ := e.enroll(e.login("mfa-front", userPassword))
	keyCore, _ := e.enroll(e.login("mfa-core", userPassword))

	// cost runs fn and returns how many transactions it ran.
	cost := func(fn func()) int64 {
		t.Helper()
		n := e.core.Transactions()
		fn()
		return e.core.Transactions() - n
	}
	var ticketFront, ticketCore string
	for _, tt := range []struct {
		name  string
		front func()
		core  func() error
	}{
		{"password only", func() {
			r := e.do("POST", "/v1/login", "", map[string]any{"login": "plain-front", "password": userPassword}).want(200)
			if r.str("user", "name") != "plain-front" || r.get("user", "mfa_enabled") != false {
				t.Errorf("user %s", r.body)
			}
		}, func() error {
			_, err := e.svc.Login(ctx, client, auth.LoginRequest{Login: "plain-core", Password: userPassword})
			return err
		}},
		{"password and code", func() {
			r := e.do("POST", "/v1/login", "", map[string]any{"login": "mfa-front", "password": userPassword, "code": e.code(keyFront)}).want(200)
			if r.str("user", "name") != "mfa-front" || r.get("user", "mfa_enabled") != true {
				t.Errorf("user %s", r.body)
			}
		}, func() error {
			_, err := e.svc.Login(ctx, client, auth.LoginRequest{Login: "mfa-core", Password: userPassword, Code: e.code(keyCore)})
			return err
		}},
		{"ticket", func() {
			e.tick()
			ticketFront = e.ticket("mfa-front")
		}, func() error {
			res, err := e.svc.Login(ctx, client, auth.LoginRequest{Login: "mfa-core", Password: userPassword})
			if err == nil {
				ticketCore = res.Ticket
			}
			return err
		}},
		{"second factor", func() {
			r := e.do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": ticketFront, "code": e.code(keyFront)}).want(200)
			if r.str("user", "name") != "mfa-front" || r.get("user", "mfa_enabled") != true || r.get("user", "locked") != false {
				t.Errorf("user %s", r.body)
			}
		}, func() error {
			_, err := e.svc.CompleteLogin(ctx, client, auth.TicketRequest{Ticket: ticketCore, Code: e.code(keyCore)})
			return err
		}},
	} {
		var err error
		direct := cost(func() { err = tt.core() })
		if err != nil {
			t.Fatalf("%s: core call: %v", tt.name, err)
		}
		if viaREST := cost(tt.front); viaREST != direct {
			t.Errorf("%s: REST ran %d transactions, its one core call %d", tt.name, viaREST, direct)
		}
	}
}
