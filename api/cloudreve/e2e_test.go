package cloudreve_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad/internal/e2e"
	"github.com/mfad/mfad/otp"
)

// crClient speaks only the Cloudreve dialect to a real `mfad serve`, and
// remembers every secret it saw so the test can check none was logged.
type crClient struct {
	t       *testing.T
	srv     *e2e.Server
	secrets []string
}

// call sends a request and checks Cloudreve's rule: HTTP 200 always, the
// outcome in code.
func (c *crClient) call(method, path, token string, body any, wantCode int) map[string]any {
	c.t.Helper()
	var out map[string]any
	status, _ := c.srv.Do(method, "/api/v4"+path, token, body, &out)
	if status != 200 {
		c.t.Fatalf("%s %s: HTTP %d, want 200: %v", method, path, status, out)
	}
	code, _ := out["code"].(float64)
	if int(code) != wantCode {
		c.t.Fatalf("%s %s: code %v, want %d: %v", method, path, out["code"], wantCode, out)
	}
	return out
}

func dataStr(m map[string]any, keys ...string) string {
	var v any = m["data"]
	for _, k := range keys {
		mm, _ := v.(map[string]any)
		v = mm[k]
	}
	s, _ := v.(string)
	return s
}

// login logs in without a second factor and returns the token pair.
func (c *crClient) login(email, password string) (string, string) {
	c.t.Helper()
	out := c.call("POST", "/session/token", "", map[string]string{"email": email, "password": password}, 0)
	a, r := dataStr(out, "token", "access_token"), dataStr(out, "token", "refresh_token")
	c.secrets = append(c.secrets, a, r)
	return a, r
}

// next moves the server's clock to the next TOTP step and returns its code.
func (c *crClient) next(key otp.Key) string {
	c.srv.Advance(30 * time.Second)
	// Codes are not added to secrets: six digits turn up in any log by chance.
	return key.Code(c.srv.Now())
}

// enable prepares and enables 2FA for the holder of access.
func (c *crClient) enable(access string) otp.Key {
	c.t.Helper()
	secret := dataStr(c.call("GET", "/user/setting/2fa", access, nil, 0))
	c.secrets = append(c.secrets, secret)
	key := keyOf(c.t, secret)
	c.call("PATCH", "/user/setting", access, map[string]any{"two_fa_enabled": true, "two_fa_code": c.next(key)}, 0)
	return key
}

func twoFAEnabled(m map[string]any) bool {
	d, _ := m["data"].(map[string]any)
	on, _ := d["two_fa_enabled"].(bool)
	return on
}

// TestEndToEnd walks the whole lifecycle through the Cloudreve dialect
// alone against a real `mfad serve` process.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs mfad")
	}
	srv := e2e.Start(t, e2e.Options{})
	const alicePw = "alice-password-e2e"
	srv.AddUser("alice", alicePw, "--email", aliceEmail, "--id", "1001")
	c := &crClient{t: t, srv: srv, secrets: []string{alicePw, e2e.AdminPassword}}
	aliceCreds := map[string]string{"email": aliceEmail, "password": alicePw}

	// Log in, prepare, enable.
	access, _ := c.login(aliceEmail, alicePw)
	if on := twoFAEnabled(c.call("GET", "/user/setting", access, nil, 0)); on {
		t.Fatal("2FA on before it was enabled")
	}
	key := c.enable(access)
	if on := twoFAEnabled(c.call("GET", "/user/setting", access, nil, 0)); !on {
		t.Fatal("2FA off after it was enabled")
	}

	// A login now answers 203 with the 2FA session id.
	sid := dataStr(c.call("POST", "/session/token", "", aliceCreds, 203))
	c.secrets = append(c.secrets, sid)
	code := c.next(key)
	wrong := "000000"
	if wrong == code {
		wrong = "000001"
	}
	c.call("POST", "/session/token/2fa", "", map[string]string{"otp": wrong, "session_id": sid}, 40022)
	out := c.call("POST", "/session/token/2fa", "", map[string]string{"otp": code, "session_id": sid}, 0)
	if id := dataStr(out, "user", "id"); id != "1001" {
		t.Fatalf("user id %q, want \"1001\"", id)
	}
	access, refresh := dataStr(out, "token", "access_token"), dataStr(out, "token", "refresh_token")
	c.secrets = append(c.secrets, access, refresh)

	// The same code again, on a fresh 2FA session: refused as a replay.
	sid = dataStr(c.call("POST", "/session/token", "", aliceCreds, 203))
	c.secrets = append(c.secrets, sid)
	c.call("POST", "/session/token/2fa", "", map[string]string{"otp": code, "session_id": sid}, 40022)

	// Refresh: the old access token dies, the new one works.
	out = c.call("POST", "/session/token/refresh", "", map[string]string{"refresh_token": refresh}, 0)
	newAccess := dataStr(out, "access_token")
	c.secrets = append(c.secrets, newAccess, dataStr(out, "refresh_token"))
	c.call("GET", "/user/setting", access, nil, 401)
	access = newAccess

	// Disable with a current code; the next login needs no second factor.
	c.call("PATCH", "/user/setting", access, map[string]any{"two_fa_enabled": false, "two_fa_code": c.next(key)}, 0)
	if on := twoFAEnabled(c.call("GET", "/user/setting", access, nil, 0)); on {
		t.Fatal("2FA on after it was disabled")
	}
	access, refresh = c.login(aliceEmail, alicePw)

	// Admin reset: alice enables 2FA again, the admin clears it.
	c.enable(access)
	c.call("POST", "/session/token", "", aliceCreds, 203)
	c.call("PUT", "/admin/user/1001", access, map[string]any{"user": map[string]any{"id": 1001}, "two_fa": "reset"}, 403)
	admin, _ := c.login("admin@mfad.local", e2e.AdminPassword)
	user := map[string]any{"id": 1001, "email": aliceEmail, "nick": "alice", "status": "active", "edges": map[string]any{}}
	out = c.call("PUT", "/admin/user/1001", admin, map[string]any{"user": user, "password": "", "two_fa": "reset"}, 0)
	if d, _ := out["data"].(map[string]any); d["two_fa_enabled"] != nil || d["hash_id"] != "1001" {
		t.Fatalf("admin view after reset: %v", out)
	}
	c.call("GET", "/user/setting", access, nil, 401) // the reset ended alice's sessions
	access, refresh = c.login(aliceEmail, alicePw)

	// Sign out as Cloudreve's web client does: the refresh token only.
	c.call("DELETE", "/session/token", "", map[string]string{"refresh_token": refresh}, 0)
	c.call("GET", "/user/setting", access, nil, 401)
	c.call("POST", "/session/token/refresh", "", map[string]string{"refresh_token": refresh}, 40020)

	logs := srv.Logs()
	for _, s := range c.secrets {
		if s != "" && strings.Contains(logs, s) {
			t.Errorf("a secret, code, password or token reached the log")
		}
	}
}
