package cloudreve_test

import (
	"testing"

	"github.com/mfad/mfad/internal/e2e"
	"github.com/mfad/mfad/internal/notifytest"
)

// TestNotifyReplay: a replayed code through the Cloudreve front (its web
// client's 2FA login, sent twice with one code) produces exactly one
// webhook and one email (ASVS 2.8.5; docs/notifications.md).
func TestNotifyReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs mfad")
	}
	r := notifytest.Start(t)
	srv := e2e.Start(t, e2e.Options{Env: r.Env("code.replayed")})
	const pw = "alice-password-e2e"
	srv.AddUser("alice", pw, "--email", aliceEmail, "--id", "1001")
	c := &crClient{t: t, srv: srv}
	creds := map[string]string{"email": aliceEmail, "password": pw}
	access, _ := c.login(aliceEmail, pw)
	key := c.enable(access)
	code := c.next(key)
	sid := dataStr(c.call("POST", "/session/token", "", creds, 203))
	c.call("POST", "/session/token/2fa", "", map[string]string{"otp": code, "session_id": sid}, 0)
	sid = dataStr(c.call("POST", "/session/token", "", creds, 203))
	c.call("POST", "/session/token/2fa", "", map[string]string{"otp": code, "session_id": sid}, 40022)
	r.WantOneReplay(t, "cloudreve", aliceEmail)
}
