package veeam_test

import (
	"testing"
	"time"

	"github.com/mfad/mfad/internal/e2e"
	"github.com/mfad/mfad/internal/notifytest"
)

// TestNotifyReplay: a replayed code through the Veeam front (the Mfa grant
// twice with one code) produces exactly one webhook and one email (ASVS
// 2.8.5; docs/notifications.md).
func TestNotifyReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs mfad")
	}
	r := notifytest.Start(t)
	srv := e2e.Start(t, e2e.Options{Env: r.Env("code.replayed")})
	c := &veeamClient{t: t, srv: srv}
	const pw = "u1001-password-e2e"
	srv.AddUser("u1001", pw, "--id", "1001", "--email", "u1001@example.org")
	admin := c.token(200, "grant_type", "Password", "Username", "admin", "Password", e2e.AdminPassword).str("access_token")
	en, key := c.enable("/api/v1/users/1001/enableMfa", admin, `{"recreate": false}`)
	c.api(200, "POST", "/api/v1/users/1001/acceptMfa", admin, acceptBody(key.Code(srv.Now()), en.str("token")))
	login := func() string {
		return c.token(200, "grant_type", "Password", "username", "u1001", "password", pw).str("mfa_token")
	}
	srv.Advance(30 * time.Second)
	code := key.Code(srv.Now())
	c.token(200, "grant_type", "Mfa", "mfa_token", login(), "mfa_code", code)
	c.token(400, "grant_type", "Mfa", "mfa_token", login(), "mfa_code", code)
	r.WantOneReplay(t, "veeam", "u1001@example.org")
}
