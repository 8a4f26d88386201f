package rest_test

import (
	"testing"
)

// FuzzDecode posts arbitrary bodies to routes that decode JSON: the answer
// is never a 500 (nor a crash), and always a JSON object that matches the
// OpenAPI document (env.do checks that).
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `null`, `[]`, `"x"`, `{"login":"alice","password":"user-password-1"}`,
		`{"login":1}`, `{"name":"x","password":"xxxxxxxxxx","id":-5}`, `{"secret":"JBSWY3DPEHPK3PXP"}`,
		`{"secret":"!!!!"}`, `{"code":"123 456"}`, `{"policy":"remote"}`, `{"ticket":"","code":""}`,
		`{"a":1}{"b":2}`, `{"name":"\u0000"}`, `{"refresh_token":"\xff"}`, "{\"login\":\"a\"\x00}",
		`{"id":1e400}`, `{"code":{"x":[1,2,3]}}`, `{"role":"admin","name":"m","password":"password-1"}`,
	} {
		for route := range 8 {
			f.Add(uint8(route), seed)
		}
	}
	e := newEnv(f)
	e.createUser("alice")
	alice := e.login("alice", userPassword)
	routes := []struct{ method, path, token string }{
		{"POST", "/v1/login", ""},
		{"POST", "/v1/login/second-factor", ""},
		{"POST", "/v1/token/refresh", ""},
		{"POST", "/v1/users", e.admin},
		{"POST", "/v1/users/me/2fa/prepare", alice},
		{"POST", "/v1/users/me/2fa/confirm", alice},
		{"PUT", "/v1/policy", e.admin},
		{"POST", "/v1/protocol-auth", e.admin},
	}
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		r := routes[int(route)%len(routes)]
		e.t = t
		res := e.do(r.method, r.path, r.token, body)
		if res.status >= 500 {
			t.Fatalf("%s %s with %q: %d %s", r.method, r.path, body, res.status, res.body)
		}
		if res.json == nil {
			t.Fatalf("%s %s with %q: not JSON: %s", r.method, r.path, body, res.body)
		}
		// Keep the admin able to act: the policy back to off.
		if r.path == "/v1/policy" && res.status == 200 {
			e.do("PUT", "/v1/policy", e.admin, map[string]any{"policy": "off"}).want(200)
		}
	})
}
