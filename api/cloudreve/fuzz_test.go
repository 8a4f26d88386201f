package cloudreve_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"testing"
)

// fuzzRoutes are the routes whose request decoding is fuzzed. Tokens are
// filled in per env: "alice" and "admin" are valid access tokens. The
// admin route acts on bob, so no input can end alice's or the admin's
// session.
var fuzzRoutes = []struct {
	method, path, token string
}{
	{"POST", "/api/v4/session/token", ""},
	{"POST", "/api/v4/session/token/2fa", ""},
	{"POST", "/api/v4/session/token/refresh", ""},
	{"DELETE", "/api/v4/session/token", ""},
	{"PATCH", "/api/v4/user/setting", "alice"},
	{"PUT", "/api/v4/admin/user/1002", "admin"},
	{"GET", "/api/v4/session/prepare?email=", ""},
	{"POST", "/api/v4/admin/user", "admin"},
	{"PUT", "/api/v4/admin/user", "admin"},
	{"POST", "/api/v4/admin/user/batch/delete", "alice"}, // decoded, then refused: no session ends
}

// FuzzRequests sends arbitrary bodies to every route that decodes one: the
// answer is always HTTP 200 with Cloudreve's envelope, never an internal
// error, and a body that is not one JSON object is 40001.
func FuzzRequests(f *testing.F) {
	seeds := []string{
		`{"email":"alice@example.org","password":"alice-password-1"}`,
		`{"otp":"123456","session_id":"abc"}`,
		`{"refresh_token":"x"}`,
		`{"two_fa_enabled":true,"two_fa_code":"123456"}`,
		`{"two_fa_enabled":false,"two_fa_code":"123456"}`,
		`{"current_password":"a","new_password":"b"}`,
		`{"user":{"id":1002,"email":"bob@example.org"},"password":"","two_fa":"x"}`,
		`{"user":null}`, `{"user":{"id":"1002"}}`, `{"user":{"id":1e30}}`,
		`{"email":"\u0000@\ud800"}`, `{"email":1}`, `[]`, `null`, `""`, `{`, `{}{}`, ``, "\xff\xfe",
		`alice@example.org`,
		`{"page":1,"page_size":10,"order_by":"id","order_direction":"desc","conditions":{}}`, `{"page":-1,"page_size":1e9}`,
		`{"user":{"email":"fuzz@example.org","nick":"fuzz","group_users":1},"password":"fuzz-password-1"}`,
		`{"ids":[1001,9999]}`, `{"ids":[]}`, `{"ids":"1"}`,
	}
	for _, s := range seeds {
		for i := range fuzzRoutes {
			f.Add(uint8(i), []byte(s))
		}
	}
	e := newEnv(f)
	tokens := map[string]string{}
	tokens["alice"], _ = e.login(aliceEmail, alicePassword)
	tokens["admin"], _ = e.login(adminEmail, adminPassword)
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		rt := fuzzRoutes[int(route)%len(fuzzRoutes)]
		e.t = t
		var r *resp
		if rt.method == "GET" {
			r = e.do(rt.method, rt.path+url.QueryEscape(string(body)), tokens[rt.token], nil)
		} else {
			r = e.do(rt.method, rt.path, tokens[rt.token], string(body))
		}
		if r.code() == 50001 {
			t.Fatalf("%s: internal error: %s", r.req, r.raw)
		}
		if r.code() == 401 {
			t.Fatalf("%s: a valid session was lost: %s", r.req, r.raw)
		}
		if rt.method != "GET" && !oneObject(body) && r.code() != 40001 {
			// DELETE may be bodyless only with a bearer token, which it has not.
			t.Fatalf("%s: a body that is not one JSON object got %d, want 40001: %s", r.req, r.code(), r.raw)
		}
	})
}

// oneObject reports whether b is exactly one JSON object (or null, which
// decodes as an empty one), possibly surrounded by white space.
func oneObject(b []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	var v any
	if err := dec.Decode(&v); err != nil {
		return false
	}
	if _, err := dec.Token(); err == nil {
		return false
	}
	if v == nil {
		return true
	}
	_, isObj := v.(map[string]any)
	return isObj
}
