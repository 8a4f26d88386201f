package rest_test

import (
	"testing"

	"github.com/mfad/mfad"
)

// TestCreateUserOneEmail (issue 26, item 4): an email is exactly one
// address. A list, a group, a display name or angle brackets would send
// security mail to whoever else it names, so POST /v1/users refuses them
// with 400 invalid_input and creates nobody.
func TestCreateUserOneEmail(t *testing.T) {
	e := newEnv(t)
	for _, email := range []string{
		"v@example.org,attacker@evil.com",
		"v@example.org, attacker@evil.com",
		"v@example.org;attacker@evil.com",
		"Victim <v@example.org>",
		"<v@example.org>",
		"friends: v@example.org, attacker@evil.com;",
		`"v@example.org,attacker"@evil.com`,
		"v@example.org (attacker@evil.com)",
		"v@",
		"no-at-sign",
	} {
		before := e.snapshot()
		r := e.do("POST", "/v1/users", e.admin, map[string]any{"name": "victim", "email": email, "password": userPassword})
		r.wantError(400, mfad.EInvalidInput)
		if after := e.snapshot(); after != before {
			t.Errorf("%q: state changed", email)
		}
	}
	e.do("POST", "/v1/users", e.admin, map[string]any{"name": "victim", "email": "v+2fa@mail.example.org", "password": userPassword}).want(201)
}
