package rest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad"
)

// TestBadInput: each kind of bad input is a 4xx with a clear code, never a
// 500, and changes nothing.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice")
	alice := e.login("alice", userPassword)
	valid := `{"name":"carol","password":"` + userPassword + `"}`
	big := `{"name":"carol","password":"` + userPassword + `","email":"` + strings.Repeat("a", 70<<10) + `@example.com"}`

	cases := []struct {
		name         string
		method, path string
		token        string
		body         any
		status       int
		code         mfad.Code
		msg          string // part of the message
	}{
		{"malformed JSON", "POST", "/v1/users", e.admin, `{"name":"carol",`, 400, mfad.EInvalidInput, "malformed JSON"},
		{"malformed JSON, not JSON", "POST", "/v1/login", "", `login=alice&password=x`, 400, mfad.EInvalidInput, "malformed JSON"},
		{"unknown field", "POST", "/v1/users", e.admin, `{"name":"carol","password":"` + userPassword + `","admin":true}`, 400, mfad.EInvalidInput, `unknown field "admin"`},
		{"wrong type", "POST", "/v1/users", e.admin, `{"name":["carol"],"password":"` + userPassword + `"}`, 400, mfad.EInvalidInput, `"name"`},
		{"wrong type, number", "POST", "/v1/users", e.admin, `{"id":1.5,"name":"carol","password":"` + userPassword + `"}`, 400, mfad.EInvalidInput, `"id"`},
		{"wrong type, bool", "POST", "/v1/login/second-factor", "", `{"ticket":"t","code":"123456","trust_device":"yes"}`, 400, mfad.EInvalidInput, `"trust_device"`},
		{"not an object", "POST", "/v1/users", e.admin, `["carol"]`, 400, mfad.EInvalidInput, ""},
		{"oversize", "POST", "/v1/users", e.admin, big, 400, mfad.EInvalidInput, "larger than"},
		{"oversize, optional body", "POST", "/v1/users/me/2fa/prepare", alice, strings.Repeat(" ", 70<<10), 400, mfad.EInvalidInput, "larger than"},
		{"empty body", "POST", "/v1/users", e.admin, "", 400, mfad.EInvalidInput, "empty"},
		{"empty body, login", "POST", "/v1/login", "", nil, 400, mfad.EInvalidInput, "empty"},
		{"trailing data", "POST", "/v1/users", e.admin, valid + valid, 400, mfad.EInvalidInput, "exactly one"},
		{"trailing garbage", "POST", "/v1/users", e.admin, valid + " x", 400, mfad.EInvalidInput, ""},
		{"missing field", "POST", "/v1/users", e.admin, `{"name":"carol"}`, 400, mfad.EInvalidInput, "password is required"},
		{"missing code", "POST", "/v1/users/me/2fa/confirm", alice, `{}`, 400, mfad.EInvalidInput, "code is required"},
		{"bad id, letters", "GET", "/v1/users/abc/2fa", alice, nil, 400, mfad.EInvalidInput, "user id"},
		{"bad id, negative", "POST", "/v1/users/-1/2fa/reset", e.admin, nil, 400, mfad.EInvalidInput, "user id"},
		{"bad id, zero", "DELETE", "/v1/users/0", e.admin, nil, 400, mfad.EInvalidInput, "user id"},
		{"bad id, too big", "GET", "/v1/users/99999999999999999999", e.admin, nil, 400, mfad.EInvalidInput, "user id"},
		{"bad id, sign", "PUT", "/v1/users/+2/password", e.admin, `{"new_password":"new-password-1"}`, 400, mfad.EInvalidInput, "user id"},
		{"bad id, ME", "GET", "/v1/users/ME", alice, nil, 400, mfad.EInvalidInput, "user id"},
		{"bad device id", "DELETE", "/v1/users/me/trusted-devices/a%20b", alice, nil, 400, mfad.EInvalidInput, "device id"},
		{"bad app password name", "DELETE", "/v1/users/me/app-passwords/%FF", alice, nil, 400, mfad.EInvalidInput, "name"},
		{"bad query", "GET", "/v1/users?offset=-1", e.admin, nil, 400, mfad.EInvalidInput, "offset"},
		{"bad base32 secret", "POST", "/v1/users/me/2fa/prepare", alice, `{"secret":"not base32!"}`, 400, mfad.EInvalidInput, "secret"},
		{"short secret", "POST", "/v1/users/me/2fa/prepare", alice, `{"secret":"JBSWY3DP"}`, 400, mfad.EInvalidInput, "secret"},
		{"bad policy", "PUT", "/v1/policy", e.admin, `{"policy":"ALL "}`, 400, mfad.EInvalidInput, "policy"},
		{"forged token", "GET", "/v1/me", "forged-token", nil, 401, mfad.EUnauthenticated, ""},
		{"forged token, admin route", "POST", "/v1/users", strings.Repeat("A", 43), valid, 401, mfad.EUnauthenticated, ""},
		{"no token", "POST", "/v1/users/me/2fa/prepare", "", `{}`, 401, mfad.EUnauthenticated, ""},
		{"forged ticket", "POST", "/v1/login/second-factor", "", `{"ticket":"forged","code":"123456"}`, 404, mfad.ENotFound, "ticket"},
		{"forged enrollment token", "POST", "/v1/users/me/2fa/confirm", alice, `{"enrollment_token":"forged","code":"123456"}`, 409, mfad.ENoPending, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.snapshot()
			r := e.do(c.method, c.path, c.token, c.body).wantError(c.status, c.code)
			if !strings.Contains(r.str("error", "message"), c.msg) {
				t.Errorf("message %q lacks %q", r.str("error", "message"), c.msg)
			}
			if c.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without a Bearer challenge")
			}
			if after := e.snapshot(); after != before {
				t.Errorf("state changed:\n%s\n%s", before, after)
			}
		})
	}
	// Nothing of the above made a user.
	if n := e.do("GET", "/v1/users", e.admin, nil).want(200).int("total"); n != 2 {
		t.Errorf("%d users", n)
	}
}

// TestExpiredTokens: an expired access token, ticket, enrollment or
// refresh token is refused and changes nothing.
func TestExpiredTokens(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice")
	e.createUser("bob")
	r := e.do("POST", "/v1/login", "", map[string]any{"login": "alice", "password": userPassword}).want(200)
	alice, refresh := r.str("access_token"), r.str("refresh_token")
	key, _ := e.enroll(alice)
	ticket := e.ticket("alice")
	bob := e.login("bob", userPassword)
	p := e.do("POST", "/v1/users/me/2fa/prepare", bob, nil).want(200)

	e.clock.Add(61 * time.Minute)
	before := e.snapshot()
	e.do("GET", "/v1/me", alice, nil).wantError(401, "unauthenticated")
	e.do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": ticket, "code": e.code(key)}).wantError(410, "expired")
	if after := e.snapshot(); after != before {
		t.Errorf("state changed:\n%s\n%s", before, after)
	}
	// Bob's enrollment lived 10 minutes.
	bob = e.login("bob", userPassword)
	bkey := keyOf(t, p.str("secret"))
	e.do("POST", "/v1/users/me/2fa/confirm", bob, map[string]any{"enrollment_token": p.str("enrollment_token"), "code": e.code(bkey)}).wantError(410, "expired")
	// The refresh token lives 14 days: it still gives a new access token.
	r = e.do("POST", "/v1/token/refresh", "", map[string]any{"refresh_token": refresh}).want(200)
	e.do("GET", "/v1/me", r.str("access_token"), nil).want(200)
	refresh = r.str("refresh_token")

	e.clock.Add(15 * 24 * time.Hour)
	e.do("POST", "/v1/token/refresh", "", map[string]any{"refresh_token": refresh}).wantError(401, "unauthenticated")
}
