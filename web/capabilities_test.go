package web_test

import (
	"strings"
	"testing"
)

// TestAdminLinkFromCapabilities: the administration link shows for the
// admin and not for a user, and finding that out costs the page nothing:
// an admin's page runs as many transactions as a user's (the page once
// tried ListUsers, one more read for each admin page).
func TestAdminLinkFromCapabilities(t *testing.T) {
	e := newEnv(t, false)
	e.addUser("erin")
	a, u := e.browser(), e.browser()
	a.login("admin", adminPassword)
	u.login("erin", userPassword)
	cost := map[string]int64{}
	for _, tt := range []struct {
		name  string
		b     *user
		admin bool
	}{{"admin", a, true}, {"user", u, false}} {
		n := e.core.Transactions()
		p := tt.b.get("/ui/security").want(t, 200, "Security")
		cost[tt.name] = e.core.Transactions() - n
		if got := strings.Contains(p.body, `href="/ui/admin"`); got != tt.admin {
			t.Errorf("%s: administration link shown %v, want %v", tt.name, got, tt.admin)
		}
	}
	if cost["admin"] != cost["user"] {
		t.Errorf("the security page costs the admin %d transactions, a user %d", cost["admin"], cost["user"])
	}
}
