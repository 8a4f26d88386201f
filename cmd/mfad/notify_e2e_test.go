package main_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad/internal/e2e"
	"github.com/mfad/mfad/internal/notifytest"
)

// replay makes alice, turns her 2FA on through REST, logs in with a fresh
// code and then offers that code again: a replay (ASVS 2.8.5).
func replay(t *testing.T, c *client) {
	admin := c.adminToken()
	c.createUser(admin, "alice", "alice-password-1")
	tok := str(c.login("alice", "alice-password-1"), "access_token")
	key, _ := c.enroll(tok)
	code := c.nextCode(key)
	ticket := str(c.login("alice", "alice-password-1"), "ticket")
	c.do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": ticket, "code": code}, 200)
	ticket = str(c.login("alice", "alice-password-1"), "ticket")
	if out := c.do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": ticket, "code": code}, 401); errCode(out) != "invalid_code" {
		t.Fatalf("replay answered %v", out)
	}
}

// TestNotifyReplayEndToEnd: a replayed code through the REST front of a
// real mfad serve produces exactly one signed webhook and one email, and
// the delivery log shows both sent, to an admin only (REST and the CLI).
func TestNotifyReplayEndToEnd(t *testing.T) {
	r := notifytest.Start(t)
	srv := e2e.Start(t, e2e.Options{Env: r.Env("code.replayed")})
	c := &client{t: t, srv: srv}
	replay(t, c)
	r.WantOneReplay(t, "rest", "alice@example.org")
	admin := c.adminToken()
	out := c.do("GET", "/v1/notifications?state=sent", admin, nil, 200)
	// The replay's webhook and mail, and the mail of 2FA turned on.
	if rows, _ := out["notifications"].([]any); len(rows) != 3 {
		t.Errorf("delivery log: %v", out)
	}
	c.createUser(admin, "bob", "bob-password-1") // not an admin: the log is not his to read
	bob := str(c.login("bob", "bob-password-1"), "access_token")
	c.do("GET", "/v1/notifications", bob, nil, 403)
	// Low-risk mail is each user's choice; another user's is not bob's.
	c.do("PUT", "/v1/users/me/notification-settings", bob, map[string]any{"low_risk_email": false}, 200)
	if out := c.do("GET", "/v1/users/me/notification-settings", bob, nil, 200); out["low_risk_email"] != false {
		t.Errorf("notification settings after turning low-risk mail off: %v", out)
	}
	c.do("PUT", "/v1/users/2/notification-settings", bob, map[string]any{"low_risk_email": false}, 403)
	c.do("PUT", "/v1/users/me/notification-settings", bob, map[string]any{}, 400)
	// Issue 30, item 5: mfad notifications writes the rows of
	// GET /v1/notifications, field for field.
	cli := srv.CLI("", "notifications", "--state=sent")
	if strings.Count(cli, `"kind":"code.replayed"`) != 2 {
		t.Errorf("mfad notifications:\n%s", cli)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(strings.SplitN(cli, "\n", 2)[0]), &line); err != nil {
		t.Fatalf("mfad notifications: %v\n%s", err, cli)
	}
	rest, _ := c.do("GET", "/v1/notifications?state=sent", admin, nil, 200)["notifications"].([]any)
	if len(rest) == 0 || !slices.Equal(slices.Sorted(maps.Keys(line)), slices.Sorted(maps.Keys(rest[0].(map[string]any)))) {
		t.Errorf("mfad notifications fields %v, GET /v1/notifications %v", line, rest)
	}
}

// TestNotifyCrashRedelivers: mfad serve dies (exit 137, as kill -9) after
// its worker claimed the replay's rows and before it sent anything; after
// a restart, once the claim's lease has run out, both still arrive, once.
func TestNotifyCrashRedelivers(t *testing.T) {
	r := notifytest.Start(t)
	env := r.Env("code.replayed")
	srv := e2e.Start(t, e2e.Options{Env: append(env, "MFAD_CRASH_AT=notify.claimed")})
	c := &client{t: t, srv: srv}
	replay(t, c)
	if code := srv.Wait(30 * time.Second); code != 137 {
		t.Fatalf("exit code %d, want 137 from the crash point", code)
	}
	if kinds, _, _ := r.Webhooks(); len(kinds) != 0 || len(r.Mail.Messages()) != 0 {
		t.Fatalf("delivered before the crash: %v, %d mails", kinds, len(r.Mail.Messages()))
	}
	srv.Restart(env...)
	srv.Advance(3 * time.Minute) // past the dead claimer's 2-minute lease
	r.WantOneReplay(t, "rest", "alice@example.org")
}

// TestNotifyTwoInstances: two mfad serve on one PostgreSQL database, each
// running its delivery worker (FOR UPDATE SKIP LOCKED claims): every event
// arrives at least once as a webhook and as a mail; duplicates are
// counted and logged (at-least-once allows them; the lease makes them rare).
func TestNotifyTwoInstances(t *testing.T) {
	if os.Getenv("MFAD_TEST_POSTGRES") == "" {
		t.Skip("MFAD_TEST_POSTGRES not set")
	}
	r := notifytest.Start(t)
	c := newCluster(t)
	env := append(r.Env("2fa.reset"), "MFAD_MASTER_KEY="+c.key)
	for range 2 {
		srv := e2e.Start(t, e2e.Options{Args: []string{"--db", c.dsn}, Env: env})
		c.srvs, c.alive = append(c.srvs, srv), append(c.alive, true)
	}
	admin := str(c.login(c.srvs[0], "admin", e2e.AdminPassword), "access_token")
	id := c.createUser(c.srvs[0], admin, "alice", "alice-password-1")
	const events = 40
	for i := range events {
		c.do(c.srvs[i%2], "POST", fmt.Sprintf("/v1/users/%d/2fa/reset", id), admin, map[string]any{}, 204)
	}
	notifytest.WaitFor(t, "every event delivered", func() bool {
		return r.Distinct() >= events && len(r.Mail.Messages()) >= events
	})
	kinds, dups, bad := r.Webhooks()
	mails := len(r.Mail.Messages())
	t.Logf("%d events: %d webhook deliveries (%d duplicates), %d mails (%d duplicates)",
		events, len(kinds), dups, mails, mails-events)
	if bad != 0 {
		t.Errorf("%d deliveries with a bad signature", bad)
	}
}
