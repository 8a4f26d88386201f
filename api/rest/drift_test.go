package rest_test

import (
	"strings"
	"testing"
	"time"
)

// TestClockDrift: the step offset of each accepted code is recorded and
// shown: a confirming code of the previous step warns that the phone runs
// 30 s behind; the user's and an admin's status say so; a later login with
// a code of the next step turns it into 30 s ahead, and one in step clears it.
func TestClockDrift(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("alice")
	alice := e.login("alice", userPassword)
	p := e.do("POST", "/v1/users/me/2fa/prepare", alice, nil).want(200)
	key := keyOf(t, p.str("secret"))
	c := e.do("POST", "/v1/users/me/2fa/confirm", alice, map[string]any{
		"enrollment_token": p.str("enrollment_token"), "code": key.Code(e.clock.Now().Add(-30 * time.Second))}).want(200)
	if c.int("clock_drift_seconds") != -30 || !strings.Contains(c.str("warning"), "about 30 s behind") {
		t.Errorf("confirm with the previous step's code: %s", c.body)
	}
	status := func(who, token string) (int64, string) {
		r := e.do("GET", "/v1/users/"+who+"/2fa", token, nil).want(200)
		return r.int("clock_drift_seconds"), r.str("clock_drift")
	}
	for _, who := range []struct{ path, token string }{{"me", alice}, {itoa(id), e.admin}} {
		if d, text := status(who.path, who.token); d != -30 || text != "this phone's clock runs about 30 s behind" {
			t.Errorf("status of %s: %d %q", who.path, d, text)
		}
	}
	tests := []struct {
		shift time.Duration // the phone's clock against the server's
		want  int64
		text  string
	}{
		{30 * time.Second, 30, "this phone's clock runs about 30 s ahead"},
		{0, 0, ""},
		{-30 * time.Second, -30, "this phone's clock runs about 30 s behind"},
	}
	for _, tt := range tests {
		e.tick() // two steps on: a code ahead used the next step
		e.tick()
		e.do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": e.ticket("alice"),
			"code": key.Code(e.clock.Now().Add(tt.shift))}).want(200)
		if d, text := status(itoa(id), e.admin); d != tt.want || text != tt.text {
			t.Errorf("after a code %v off: %d %q, want %d %q", tt.shift, d, text, tt.want, tt.text)
		}
	}
	// A confirming code in step warns of nothing.
	e.createUser("bob")
	bob := e.login("bob", userPassword)
	p = e.do("POST", "/v1/users/me/2fa/prepare", bob, nil).want(200)
	c = e.do("POST", "/v1/users/me/2fa/confirm", bob, map[string]any{
		"enrollment_token": p.str("enrollment_token"), "code": e.code(keyOf(t, p.str("secret")))}).want(200)
	if c.int("clock_drift_seconds") != 0 || c.get("warning") != nil {
		t.Errorf("confirm in step: %s", c.body)
	}
}
