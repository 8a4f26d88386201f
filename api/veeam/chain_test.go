package veeam_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/mfad/mfad/auth"
)

// TestOneCoreCall: each Veeam operation costs the transactions of reading
// the bearer token and of its one core call, no more (acceptMfa once asked
// for the user first, and a logout would authenticate and then log out).
func TestOneCoreCall(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	client := auth.Client{Addr: "127.0.0.1", Dialect: "veeam"}
	admin := e.login("admin", adminPassword)
	actor, err := e.svc.Authenticate(ctx, client, admin)
	if err != nil {
		t.Fatal(err)
	}
	cost := func(fn func()) int64 {
		t.Helper()
		n := e.core.Transactions()
		fn()
		return e.core.Transactions() - n
	}
	const authenticate = 1 // the bearer token's one read

	for _, tc := range []struct {
		name, path string
		id         int64
	}{
		{"v1", "/api/v1/users/1001", 1001},
		{"v8.1", "/api/v8.1/users/00000000-0000-0000-0000-0000000003ea", 1002},
	} {
		r := e.send("POST", tc.path+"/enableMfa", admin, jsonType, `{"recreate":false}`).want(200)
		key := r.key()
		body := fmt.Sprintf(`{"code":%q,"token":%q}`, key.Code(e.clock.Now()), r.str("token"))
		viaVeeam := cost(func() { e.send("POST", tc.path+"/acceptMfa", admin, jsonType, body) })
		// The same call straight to the core, on a fresh enrollment (a
		// wrong code costs the same transaction).
		p, err := e.svc.Prepare(ctx, actor, auth.PrepareRequest{UserID: tc.id, Recreate: true})
		if err != nil {
			t.Fatal(err)
		}
		direct := cost(func() {
			_, err = e.svc.Confirm(ctx, actor, auth.ConfirmRequest{UserID: tc.id, Token: p.Token, Code: "000000"})
		})
		if viaVeeam != authenticate+direct {
			t.Errorf("%s acceptMfa ran %d transactions, want %d (the token's read and Confirm's %d)", tc.name, viaVeeam, authenticate+direct, direct)
		}
	}

	user := e.login("admin", adminPassword)
	other := e.login("admin", adminPassword)
	if n := cost(func() { e.send("DELETE", "/api/oauth2/token", user, "", "").want(204) }); n != 1 {
		t.Errorf("logout ran %d transactions, want 1 (LogoutToken)", n)
	}
	if n := cost(func() { e.send("GET", "/api/v8.1/users?NameFilter=u1001", other, "", "").want(200) }); n != authenticate+1 {
		t.Errorf("a list by name ran %d transactions, want %d", n, authenticate+1)
	}
}
