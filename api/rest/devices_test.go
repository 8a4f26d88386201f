package rest_test

import (
	"testing"
	"time"
)

func TestTrustedDevices(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice")
	key, _ := e.enroll(e.login("alice", userPassword))

	r := e.do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": e.ticket("alice"), "code": e.code(key),
		"trust_device": true, "device_name": "laptop"}).want(200)
	trusted, device := r.str("trusted_token"), r.str("device_id")
	if trusted == "" || device == "" || r.str("trusted_expires_at") == "" {
		t.Fatalf("no trusted device: %s", r.body)
	}
	tok := r.str("access_token")

	// The trusted device skips the code.
	r = e.do("POST", "/v1/login", "", map[string]any{"login": "alice", "password": userPassword, "trusted_token": trusted}).want(200)
	if r.str("status") != "ok" {
		t.Fatalf("trusted login: %s", r.body)
	}
	list := e.do("GET", "/v1/users/me/trusted-devices", tok, nil).want(200)
	ds := list.get("devices").([]any)
	if len(ds) != 1 || ds[0].(map[string]any)["device_id"] != device || ds[0].(map[string]any)["name"] != "laptop" {
		t.Fatalf("devices: %s", list.body)
	}
	e.do("DELETE", "/v1/users/me/trusted-devices/"+device, tok, nil).want(204)
	e.do("DELETE", "/v1/users/me/trusted-devices/"+device, tok, nil).wantError(404, "not_found")
	r = e.do("POST", "/v1/login", "", map[string]any{"login": "alice", "password": userPassword, "trusted_token": trusted}).want(200)
	if r.str("status") != "second_factor_required" {
		t.Errorf("revoked device still trusted: %s", r.body)
	}
}

// TestAppPasswords: app passwords and the protocol login a mail server
// asks for: with 2FA on only an app password passes.
func TestAppPasswords(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice")
	tok := e.login("alice", userPassword)
	e.do("POST", "/v1/users/me/app-passwords", tok, map[string]any{"name": "mail"}).wantError(409, "not_enrolled")
	e.do("POST", "/v1/protocol-auth", e.admin, map[string]any{"login": "alice", "password": userPassword}).want(200)

	key, _ := e.enroll(tok)
	r := e.do("POST", "/v1/users/me/app-passwords", tok, map[string]any{"name": " mail "}).want(201)
	pw := r.str("password")
	if r.str("name") != "mail" || len(pw) < 16 || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("app password: %s", r.body)
	}
	e.do("POST", "/v1/users/me/app-passwords", tok, map[string]any{"name": "mail"}).wantError(409, "conflict")
	list := e.do("GET", "/v1/users/me/app-passwords", tok, nil).want(200)
	if ps := list.get("app_passwords").([]any); len(ps) != 1 || ps[0].(map[string]any)["name"] != "mail" {
		t.Fatalf("list: %s", list.body)
	}

	e.do("POST", "/v1/protocol-auth", e.admin, map[string]any{"login": "alice", "password": userPassword}).wantError(401, "invalid_login")
	u := e.do("POST", "/v1/protocol-auth", e.admin, map[string]any{"login": "alice", "password": pw}).want(200)
	if u.str("user", "name") != "alice" || u.get("user", "mfa_enabled") != true {
		t.Errorf("protocol auth: %s", u.body)
	}

	// Creating one later is a sensitive action.
	e.clock.Add(11 * time.Minute)
	e.do("POST", "/v1/users/me/app-passwords", tok, map[string]any{"name": "phone"}).wantError(403, "step_up_required")
	e.do("POST", "/v1/users/me/app-passwords", tok, map[string]any{"name": "phone", "code": e.code(key)}).want(201)

	e.do("DELETE", "/v1/users/me/app-passwords/mail", tok, nil).want(204)
	e.do("DELETE", "/v1/users/me/app-passwords/mail", tok, nil).wantError(404, "not_found")
	e.do("POST", "/v1/protocol-auth", e.admin, map[string]any{"login": "alice", "password": pw}).wantError(401, "invalid_login")
}
