package web_test

import (
	"strings"
	"testing"
	"time"
)

// TestClockDriftShown: a confirming code of the next step (the phone runs
// ahead) turns 2FA on with a warning, and the security page keeps saying so.
func TestClockDriftShown(t *testing.T) {
	e := newEnv(t, false)
	e.addUser("alice")
	u := e.browser()
	u.login("alice", userPassword)
	u.get("/ui/security").want(t, 200, "Security")
	p := u.form("/ui/security/enable").want(t, 200, "Turn on two-factor authentication")
	secret := p.secret(t)
	p = u.form("/ui/security/confirm", "token", p.hidden(t, "token"), "secret", p.hidden(t, "secret"),
		"uri", p.hidden(t, "uri"), "code", code(t, secret, e.clock.Now().Add(30*time.Second)))
	p.want(t, 200, "Save your scratch codes")
	if n := p.notice(); !strings.Contains(n, "this phone's clock runs about 30 s ahead") {
		t.Errorf("notice %q does not warn of the drift", n)
	}
	sec := u.get("/ui/security").want(t, 200, "Security")
	if !strings.Contains(sec.body, `id="clock-drift"`) || !strings.Contains(sec.body, "about 30 s ahead") {
		t.Errorf("the security page does not show the drift:\n%s", sec.body)
	}
}
