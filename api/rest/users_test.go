package rest_test

import (
	"strconv"
	"testing"
	"time"
)

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

func TestUsers(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/v1/users", e.admin, map[string]any{"id": 4242, "name": "Bob", "email": "bob@example.com", "password": userPassword, "role": "user"}).want(201)
	if r.int("id") != 4242 || r.header.Get("Location") != "/v1/users/4242" || r.str("role") != "user" {
		t.Fatalf("create: %s %v", r.body, r.header)
	}
	// Names and emails share one case-folded namespace.
	e.do("POST", "/v1/users", e.admin, map[string]any{"name": "BOB@example.com", "password": userPassword}).wantError(409, "conflict")
	e.do("POST", "/v1/users", e.admin, map[string]any{"name": "carol", "password": "short"}).wantError(400, "invalid_input")
	e.do("POST", "/v1/users", e.admin, map[string]any{"name": "carol", "password": userPassword, "role": "root"}).wantError(400, "invalid_input")
	e.createUser("carol")

	list := e.do("GET", "/v1/users?offset=1&limit=1", e.admin, nil).want(200)
	if list.int("total") != 3 || len(list.get("users").([]any)) != 1 {
		t.Errorf("list: %s", list.body)
	}
	e.do("GET", "/v1/users?limit=1001", e.admin, nil).wantError(400, "invalid_input")
	e.do("GET", "/v1/users/4242", e.admin, nil).want(200)
	e.do("GET", "/v1/users/999", e.admin, nil).wantError(404, "not_found")

	// Password change: the old password stops working, other sessions end.
	bob := e.login("bob", userPassword)
	other := e.login("bob", userPassword)
	e.do("PUT", "/v1/users/me/password", bob, map[string]any{"current_password": "wrong-password", "new_password": "new-password-1"}).wantError(401, "invalid_login")
	e.do("PUT", "/v1/users/me/password", bob, map[string]any{"current_password": userPassword, "new_password": "new-password-1"}).want(204)
	e.do("GET", "/v1/me", bob, nil).want(200)
	e.do("GET", "/v1/me", other, nil).wantError(401, "unauthenticated")
	e.do("POST", "/v1/login", "", map[string]any{"login": "bob", "password": userPassword}).wantError(401, "invalid_login")
	e.login("bob", "new-password-1")

	// An admin sets another user's password without the current one.
	e.do("PUT", "/v1/users/4242/password", e.admin, map[string]any{"new_password": "admin-set-pw-1"}).want(204)
	e.login("bob", "admin-set-pw-1")

	// Delete: not oneself; the user's sessions end with them.
	e.do("DELETE", "/v1/users/me", e.admin, nil).wantError(409, "conflict")
	e.do("DELETE", "/v1/users/4242", e.admin, nil).want(204)
	e.do("GET", "/v1/users/4242", e.admin, nil).wantError(404, "not_found")
	e.do("GET", "/v1/me", bob, nil).wantError(401, "unauthenticated")
	e.do("DELETE", "/v1/users/4242", e.admin, nil).wantError(404, "not_found")
}

// TestUnknownUserAndWrongPassword: one answer for both.
func TestUnknownUserAndWrongPassword(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice")
	a := e.do("POST", "/v1/login", "", map[string]any{"login": "alice", "password": "wrong-password"}).wantError(401, "invalid_login")
	b := e.do("POST", "/v1/login", "", map[string]any{"login": "nobody", "password": "wrong-password"}).wantError(401, "invalid_login")
	if string(a.body) != string(b.body) {
		t.Errorf("answers differ:\n%s\n%s", a.body, b.body)
	}
}

func TestRefresh(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice")
	r := e.do("POST", "/v1/login", "", map[string]any{"login": "alice", "password": userPassword}).want(200)
	refresh := r.str("refresh_token")
	n := e.do("POST", "/v1/token/refresh", "", map[string]any{"refresh_token": refresh}).want(200)
	if n.str("access_token") == "" || n.str("access_token") == r.str("access_token") || n.str("token_type") != "Bearer" {
		t.Fatalf("refresh: %s", n.body)
	}
	e.do("GET", "/v1/me", n.str("access_token"), nil).want(200)
	// Within the reuse interval (parallel refreshes), the same token gets
	// the same pair; after it, reusing the token revokes the session.
	again := e.do("POST", "/v1/token/refresh", "", map[string]any{"refresh_token": refresh}).want(200)
	if again.str("access_token") != n.str("access_token") || again.str("refresh_token") != n.str("refresh_token") {
		t.Fatalf("refresh within the interval: %s; want the first refresh's pair", again.body)
	}
	e.clock.Add(31 * time.Second)
	e.do("POST", "/v1/token/refresh", "", map[string]any{"refresh_token": refresh}).wantError(401, "unauthenticated")
	e.do("GET", "/v1/me", n.str("access_token"), nil).wantError(401, "unauthenticated")
	e.do("POST", "/v1/token/refresh", "", map[string]any{"refresh_token": "forged"}).wantError(401, "unauthenticated")
}
