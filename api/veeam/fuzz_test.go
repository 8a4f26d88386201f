package veeam_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzDecode sends arbitrary bodies, content types and ids to every route
// that decodes input: form-encoded token requests, the JSON bodies of
// enableMfa, acceptMfa and disableMfa, the query of the user list (paging
// and NameFilter) and the user id of the path, in v1 and v8.1, a logout
// and v8.1's new user. Whatever comes in, the answer is never a 5xx, and its body is
// empty or one JSON object (but for the redirects of net/http.ServeMux to
// a clean path).
func FuzzDecode(f *testing.F) {
	seeds := []struct {
		route       uint8
		contentType string
		body        string
	}{
		{0, formType, "grant_type=Password&Username=admin&Password=x"},
		{0, formType, "grant_type=Mfa&mfa_token=abc&mfa_code=123456"},
		{0, formType, "grant_type=Refresh_token&refresh_token=abc"},
		{0, formType, "grant_type=password&username=a&USERNAME=b"},
		{0, formType, "grant_type=%zz;x=1"},
		{0, "application/json", `{"grant_type":"Password"}`},
		{0, "", "grant_type=Saml"},
		{1, jsonType, `{"recreate": true}`},
		{1, jsonType, `{"recreate": "FALSE"}`},
		{1, jsonType, `{"recreate": null}`},
		{1, jsonType, `{"recreate": [1]}`},
		{1, jsonType, ""},
		{2, jsonType, `{"code":"123456","token":"abc"}`},
		{2, jsonType, `{"code":123456,"token":"abc"}`},
		{2, jsonType, `{"code":"123456","token":"abc"} {}`},
		{3, jsonType, `{}`},
		{3, jsonType, `null`},
		{4, "", "offset=1&limit=2"},
		{4, "", "limit=-1&limit=2"},
		{5, "", "1001"},
		{5, "", "-1"},
		{5, "", "99999999999999999999"},
		{6, "", "NameFilter=u1001&Offset=0&Limit=-1"},
		{6, "", "namefilter=&limit=2147483648"},
		{7, "", "00000000-0000-0000-0000-0000000003e9"},
		{7, "", "00000000-0000-0000-8000-000000000000"},
		{8, "", ""},
		{9, jsonType, `{"name":"n","description":"","role":"PortalAdmin","password":"password-1"}`},
		{9, jsonType, `{"name":"n","description":"x","role":null,"type":"IdentityProvider"}`},
	}
	for _, s := range seeds {
		f.Add(s.route, s.contentType, s.body)
	}
	e := newEnv(f)
	admin := e.login("admin", adminPassword)
	f.Fuzz(func(t *testing.T, route uint8, contentType, body string) {
		var method, target, token string
		var rd *strings.Reader
		switch route % 10 {
		case 0:
			method, target, rd = "POST", "/api/oauth2/token", strings.NewReader(body)
		case 1:
			method, target, rd = "POST", "/api/v1/users/1/enableMfa", strings.NewReader(body)
		case 2:
			method, target, rd = "POST", "/api/v1/users/1/acceptMfa", strings.NewReader(body)
		case 3:
			method, target, rd = "POST", "/api/v1/users/1/disableMfa", strings.NewReader(body)
		case 4:
			method, target = "GET", "/api/v1/users?"+body
		case 5:
			method, target = "GET", "/api/v1/users/"+url.PathEscape(body)
		case 6:
			method, target = "GET", "/api/v8.1/users?"+body
		case 7:
			method, target = "GET", "/api/v8.1/users/"+url.PathEscape(body)
		case 8:
			method, target = "DELETE", "/api/oauth2/token?"+body
		case 9:
			method, target, rd = "POST", "/api/v8.1/users", strings.NewReader(body)
		}
		if route%10 != 0 {
			token = admin
		}
		var req *http.Request
		var err error
		if rd != nil {
			req, err = http.NewRequest(method, target, rd)
		} else {
			req, err = http.NewRequest(method, target, nil)
		}
		if err != nil {
			return // not a request a client can send
		}
		req.RemoteAddr = "192.0.2.1:1234"
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, target, body, w.Code, w.Body)
		}
		if w.Code >= 300 && w.Code < 400 {
			return // net/http.ServeMux redirecting to the clean path ("/users/." and the like)
		}
		if b := w.Body.Bytes(); len(b) > 0 {
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("%s %s %q: answer is not a JSON object: %s", method, target, body, b)
			}
		}
	})
}
