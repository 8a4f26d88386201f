package rest_test

import (
	"testing"
)

// TestOtherUsersAndAdminRoutes: one user's token cannot read or change
// another user's 2FA, and a non-admin cannot reach admin routes. Nothing
// changes on any refused request.
func TestOtherUsersAndAdminRoutes(t *testing.T) {
	e := newEnv(t)
	aliceID := e.createUser("alice")
	e.createUser("bob")
	alice := e.login("alice", userPassword)
	bob := e.login("bob", userPassword)
	key, _ := e.enroll(alice)
	a := "/v1/users/" + itoa(aliceID)

	refused := []struct {
		method, path string
		body         any
	}{
		{"GET", a, nil},
		{"GET", a + "/2fa", nil},
		{"POST", a + "/2fa/prepare", map[string]any{}},
		{"POST", a + "/2fa/confirm", map[string]any{"code": "123456"}},
		{"POST", a + "/2fa/disable", map[string]any{"password": userPassword, "code": e.code(key)}},
		{"POST", a + "/2fa/scratch-codes/view", map[string]any{"code": e.code(key)}},
		{"POST", a + "/2fa/scratch-codes", map[string]any{"code": e.code(key)}},
		{"GET", a + "/trusted-devices", nil},
		{"DELETE", a + "/trusted-devices/abc", nil},
		{"GET", a + "/app-passwords", nil},
		{"POST", a + "/app-passwords", map[string]any{"name": "mail", "code": e.code(key)}},
		{"DELETE", a + "/app-passwords/mail", nil},
		{"PUT", a + "/password", map[string]any{"current_password": userPassword, "new_password": "taken-over-1"}},
		// Admin routes.
		{"GET", "/v1/users", nil},
		{"POST", "/v1/users", map[string]any{"name": "mallory", "password": userPassword, "role": "admin"}},
		{"DELETE", a, nil},
		{"POST", a + "/2fa/reset", nil},
		{"POST", a + "/2fa/unlock", nil},
		{"POST", "/v1/protocol-auth", map[string]any{"login": "alice", "password": userPassword}},
		{"PUT", "/v1/policy", map[string]any{"policy": "off"}},
		{"GET", "/v1/audit", nil},
		// A user that does not exist is no different.
		{"GET", "/v1/users/999/2fa", nil},
	}
	before := e.snapshot()
	for _, c := range refused {
		e.do(c.method, c.path, bob, c.body).wantError(403, "forbidden")
	}
	if after := e.snapshot(); after != before {
		t.Errorf("refused requests changed the state:\n%s\n%s", before, after)
	}

	// The same requests by their owner or an admin get through.
	e.do("GET", a+"/2fa", alice, nil).want(200)
	e.do("GET", a+"/2fa", e.admin, nil).want(200)
	e.do("GET", "/v1/users/me/2fa", bob, nil).want(200)
	e.do("GET", "/v1/policy", bob, nil).want(200)
	e.do("POST", a+"/2fa/reset", e.admin, nil).want(204)
	if e.do("GET", a+"/2fa", e.admin, nil).want(200).get("enabled") != false {
		t.Error("reset left 2FA on")
	}
	e.do("GET", "/v1/me", alice, nil).wantError(401, "unauthenticated") // a reset ends every session
}

// TestAdminActsForUser: an admin prepares 2FA for a user (Veeam) and
// disabling another user's 2FA is a reset that needs no password.
func TestAdminActsForUser(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("alice")
	u := "/v1/users/" + itoa(id)
	p := e.do("POST", u+"/2fa/prepare", e.admin, nil).want(200)
	key := keyOf(t, p.str("secret"))
	e.do("POST", u+"/2fa/confirm", e.admin, map[string]any{"code": e.code(key)}).want(200)
	e.tick()
	e.ticket("alice")
	e.do("POST", u+"/2fa/disable", e.admin, nil).want(204)
	e.login("alice", userPassword)
	events := e.do("GET", "/v1/audit?user_id="+itoa(id)+"&limit=1000", e.admin, nil).want(200)
	found := false
	for _, ev := range events.get("events").([]any) {
		m := ev.(map[string]any)
		if m["action"] == "2fa.prepare" && m["detail"] == "on behalf of the user" && m["dialect"] == "rest" {
			found = true
		}
	}
	if !found {
		t.Errorf("prepare on behalf not audited: %s", events.body)
	}
}
