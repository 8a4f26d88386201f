package rest_test

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestLifecycle walks the whole 2FA lifecycle through HTTP alone.
func TestLifecycle(t *testing.T) {
	e := newEnv(t)

	// An admin creates a user, who logs in with a password only.
	id := e.createUser("alice")
	r := e.do("POST", "/v1/login", "", map[string]any{"login": "alice@example.com", "password": userPassword}).want(200)
	if r.str("status") != "ok" || r.int("user", "id") != id || r.get("user", "mfa_enabled") != false || r.str("scope") != "full" {
		t.Fatalf("first login: %s", r.body)
	}
	tok := r.str("access_token")
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("login answer Cache-Control %q", cc)
	}

	// Prepare: secret, URI, QR codes, enrollment token; no scratch codes yet.
	p := e.do("POST", "/v1/users/me/2fa/prepare", tok, map[string]any{}).want(200)
	if p.header.Get("Cache-Control") != "no-store" {
		t.Errorf("prepare answer may be cached")
	}
	if !strings.HasPrefix(p.str("otpauth_uri"), "otpauth://totp/") || !strings.Contains(p.str("otpauth_uri"), "secret="+p.str("secret")) {
		t.Errorf("otpauth_uri %q", p.str("otpauth_uri"))
	}
	pngBytes, err := base64.StdEncoding.DecodeString(p.str("qr_png"))
	if err != nil {
		t.Fatalf("qr_png: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil || img.Bounds().Dx() != 256 || img.Bounds().Dy() != 256 {
		t.Fatalf("qr_png is not a 256 px PNG: %v %v", err, img.Bounds())
	}
	if !strings.Contains(p.str("qr_svg"), "<svg") {
		t.Errorf("qr_svg is not SVG")
	}
	if p.get("scratch_codes") != nil {
		t.Errorf("prepare shows scratch codes")
	}
	st := e.do("GET", "/v1/users/me/2fa", tok, nil).want(200)
	if st.get("pending") != true || st.get("enabled") != false {
		t.Errorf("status after prepare: %s", st.body)
	}

	// Confirm with a current code: enabled, scratch codes shown once.
	key := keyOf(t, p.str("secret"))
	confirming := e.code(key)
	c := e.do("POST", "/v1/users/me/2fa/confirm", tok, map[string]any{"enrollment_token": p.str("enrollment_token"), "code": confirming}).want(200)
	scratch := c.strings("scratch_codes")
	if c.header.Get("Cache-Control") != "no-store" {
		t.Errorf("scratch codes may be cached")
	}
	if len(scratch) != 10 {
		t.Fatalf("%d scratch codes", len(scratch))
	}
	me := e.do("GET", "/v1/me", tok, nil).want(200)
	if me.get("user", "mfa_enabled") != true || me.get("two_factor", "enabled") != true || me.int("two_factor", "scratch_codes_remaining") != 10 {
		t.Errorf("me after confirm: %s", me.body)
	}

	// Logout ends the session.
	e.do("POST", "/v1/logout", tok, nil).want(204)
	e.do("GET", "/v1/me", tok, nil).wantError(401, "unauthenticated")

	// The login now asks for a code; the confirming code is used up, a
	// wrong one is refused, a fresh one works once.
	ticket := e.ticket("alice")
	e.do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": ticket, "code": confirming}).wantError(401, "invalid_code")
	e.do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": ticket, "code": wrongCode(e.code(key))}).wantError(401, "invalid_code")
	e.tick()
	fresh := e.code(key)
	r = e.do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": ticket, "code": fresh}).want(200)
	if r.str("status") != "ok" || r.str("access_token") == "" || r.int("user", "id") != id {
		t.Fatalf("second factor: %s", r.body)
	}
	e.do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": ticket, "code": fresh}).wantError(404, "not_found")
	e.do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": e.ticket("alice"), "code": fresh}).wantError(401, "invalid_code")

	// A scratch code works once (spaces and dashes are ignored).
	sc := scratch[3][:4] + "-" + scratch[3][4:]
	r = e.do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": e.ticket("alice"), "code": sc}).want(200)
	tok = r.str("access_token")
	e.do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": e.ticket("alice"), "code": scratch[3]}).wantError(401, "invalid_code")
	if n := e.do("GET", "/v1/users/me/2fa", tok, nil).want(200).int("scratch_codes_remaining"); n != 9 {
		t.Errorf("%d scratch codes remain, want 9", n)
	}
	view := e.do("POST", "/v1/users/me/2fa/scratch-codes/view", tok, nil).want(200).strings("scratch_codes")
	if len(view) != 9 || slices.Contains(view, scratch[3]) {
		t.Errorf("viewed scratch codes %v", view)
	}

	// Regenerate: a sensitive action, so once the second factor of this
	// session is old it needs a code; the old set is void.
	e.clock.Add(11 * time.Minute)
	e.do("POST", "/v1/users/me/2fa/scratch-codes", tok, nil).wantError(403, "step_up_required")
	fresh = e.code(key)
	regen := e.do("POST", "/v1/users/me/2fa/scratch-codes", tok, map[string]any{"code": fresh}).want(200).strings("scratch_codes")
	if len(regen) != 10 || slices.Contains(regen, scratch[0]) {
		t.Fatalf("regenerated %v", regen)
	}
	e.do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": e.ticket("alice"), "code": scratch[0]}).wantError(401, "invalid_code")

	// Disable needs the password; then the login asks for no code.
	e.tick()
	e.do("POST", "/v1/users/me/2fa/disable", tok, map[string]any{"password": "wrong-password", "code": e.code(key)}).wantError(401, "invalid_login")
	e.do("POST", "/v1/users/me/2fa/disable", tok, map[string]any{"password": userPassword, "code": e.code(key)}).want(204)
	if st := e.do("GET", "/v1/users/me/2fa", tok, nil).want(200); st.get("enabled") != false || st.int("scratch_codes_remaining") != 0 {
		t.Errorf("status after disable: %s", st.body)
	}
	e.login("alice", userPassword)

	// Every step is in the audit log.
	events := e.do("GET", "/v1/audit?user_id="+itoa(id), e.admin, nil).want(200)
	var actions []string
	for _, ev := range events.get("events").([]any) {
		actions = append(actions, ev.(map[string]any)["action"].(string))
	}
	for _, want := range []string{"user.create", "2fa.prepare", "2fa.enable", "logout", "login.2fa", "2fa.scratch.regenerate", "2fa.disable"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit log lacks %s: %v", want, actions)
		}
	}
}

// wrongCode returns a six-digit code that differs from code.
func wrongCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+5)%10
	return string(b)
}
