package tchmi_test

import (
	"testing"

	"github.com/mfad/mfad/api/tchmi"
	"github.com/mfad/mfad/internal/e2e"
	"github.com/mfad/mfad/internal/notifytest"
)

// TestNotifyReplay: a replayed code through the TwinCAT front (a Login
// over the WebSocket, twice with one code) produces exactly one webhook and
// one email (ASVS 2.8.5; docs/notifications.md).
func TestNotifyReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs mfad")
	}
	r := notifytest.Start(t)
	srv := e2e.Start(t, e2e.Options{Env: r.Env("code.replayed")})
	const pw = "alice-password-e2e"
	srv.AddUser("alice", pw, "--email", "alice@example.org", "--id", "1001")
	var secrets []string
	a := connect(t, srv, &secrets, nil)
	a.login("alice", pw, "", ok)
	secret, key := clientSecret(t)
	if v := a.call(tchmi.SymEnable2FA, obj{"password": pw, "secret": secret, "twoFactorToken": key.Code(srv.Now())}, ok); v != true {
		t.Fatalf("Enable2FA = %v", v)
	}
	code := next(srv, key)
	connect(t, srv, &secrets, nil).login("alice", pw, code, ok)
	connect(t, srv, &secrets, nil).login("alice", pw, code, eToken)
	r.WantOneReplay(t, "tchmi", "alice@example.org")
}
