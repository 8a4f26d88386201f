package main_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mfad/mfad/internal/e2e"
	"github.com/mfad/mfad/internal/smtptest"
	"github.com/mfad/mfad/notify"
)

const hookSecret = "whsec-e2e-test"

// hookReceiver is a real webhook endpoint: it verifies each delivery's
// signature and counts the deliveries of each outbox id.
type hookReceiver struct {
	mu     sync.Mutex
	byID   map[int64]int
	kinds  []string
	badSig int
	srv    *httptest.Server
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{byID: map[int64]int{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if notify.Verify([]byte(hookSecret), r.Header.Get(notify.SignatureHeader), body, time.Now(), 5*time.Minute) != nil {
			h.badSig++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var p notify.Payload
		_ = json.Unmarshal(body, &p)
		h.byID[p.ID]++
		h.kinds = append(h.kinds, p.Kind)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) deliveries() (kinds []string, dups, bad int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, n := range h.byID {
		dups += n - 1
	}
	return append([]string(nil), h.kinds...), dups, h.badSig
}

// notifyEnv is the environment of a server that sends replay webhooks to
// h and email to the SMTP server m.
func notifyEnv(h *hookReceiver, m *smtptest.Server) []string {
	return notifyEnvFor(h, m, "code.replayed")
}

// notifyEnvFor is notifyEnv with the webhook's event filter.
func notifyEnvFor(h *hookReceiver, m *smtptest.Server, events string) []string {
	return []string{"MFAD_WEBHOOKS=ops=" + h.srv.URL + ";events=" + events,
		"MFAD_WEBHOOK_SECRET=" + hookSecret, "MFAD_SMTP_ADDR=" + m.Addr, "MFAD_SMTP_TLS=none",
		"MFAD_SMTP_FROM=mfad@example.org"}
}

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

// waitFor polls cond for up to 30 s (the worker polls every 2 s).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 300 {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// checkReplayMail: exactly one mail, to alice, about the replay, with no
// code in it.
func checkReplayMail(t *testing.T, m *smtptest.Server) {
	t.Helper()
	msgs := m.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d mails, want 1", len(msgs))
	}
	data := string(msgs[0].Data)
	if msgs[0].To[0] != "alice@example.org" || !strings.Contains(data, "Subject: A used sign-in code was tried again") ||
		!strings.Contains(data, "multipart/alternative") {
		t.Errorf("mail %+v\n%s", msgs[0], data)
	}
}

// TestNotifyReplayEndToEnd: a replayed code through the REST front of a
// real mfad serve produces exactly one signed webhook and one email, and
// the delivery log shows both sent (to an admin only).
func TestNotifyReplayEndToEnd(t *testing.T) {
	h, m := newHookReceiver(t), smtptest.Start(t, nil, "", "")
	srv := e2e.Start(t, e2e.Options{Env: notifyEnv(h, m)})
	c := &client{t: t, srv: srv}
	replay(t, c)
	waitFor(t, "a webhook and a mail", func() bool {
		kinds, _, _ := h.deliveries()
		return len(kinds) >= 1 && len(m.Messages()) >= 1
	})
	admin := c.adminToken()
	waitFor(t, "both rows sent", func() bool {
		out := c.do("GET", "/v1/notifications?state=sent", admin, nil, 200)
		rows, _ := out["notifications"].([]any)
		return len(rows) == 2
	})
	kinds, dups, bad := h.deliveries()
	if strings.Join(kinds, ",") != "code.replayed" || dups != 0 || bad != 0 {
		t.Errorf("webhooks %v, duplicates %d, bad signatures %d", kinds, dups, bad)
	}
	checkReplayMail(t, m)
	c.createUser(admin, "bob", "bob-password-1") // not an admin: the log is not his to read
	c.do("GET", "/v1/notifications", str(c.login("bob", "bob-password-1"), "access_token"), nil, 403)
	if out := srv.CLI("", "notifications", "--state=sent"); strings.Count(out, "code.replayed") != 2 {
		t.Errorf("mfad notifications:\n%s", out)
	}
}

// TestNotifyCrashRedelivers: mfad serve dies (exit 137, as kill -9) after
// its worker claimed the replay's rows and before it sent anything; after
// a restart, once the claim's lease has run out, both still arrive.
func TestNotifyCrashRedelivers(t *testing.T) {
	h, m := newHookReceiver(t), smtptest.Start(t, nil, "", "")
	env := notifyEnv(h, m)
	srv := e2e.Start(t, e2e.Options{Env: append(env, "MFAD_CRASH_AT=notify.claimed")})
	c := &client{t: t, srv: srv}
	replay(t, c)
	if code := srv.Wait(30 * time.Second); code != 137 {
		t.Fatalf("exit code %d, want 137 from the crash point", code)
	}
	if kinds, _, _ := h.deliveries(); len(kinds) != 0 || len(m.Messages()) != 0 {
		t.Fatalf("delivered before the crash: %v, %d mails", kinds, len(m.Messages()))
	}
	srv.Restart(env...)
	srv.Advance(3 * time.Minute) // past the dead claimer's 2-minute lease
	waitFor(t, "the webhook and the mail after the restart", func() bool {
		kinds, _, _ := h.deliveries()
		return len(kinds) >= 1 && len(m.Messages()) >= 1
	})
	kinds, dups, bad := h.deliveries()
	if strings.Join(kinds, ",") != "code.replayed" || dups != 0 || bad != 0 {
		t.Errorf("webhooks %v, duplicates %d, bad signatures %d", kinds, dups, bad)
	}
	checkReplayMail(t, m)
}

// TestNotifyTwoInstances: two mfad serve on one PostgreSQL database, each
// running its delivery worker (FOR UPDATE SKIP LOCKED claims): every event
// arrives at least once as a webhook and as a mail; duplicates are
// counted and logged (at-least-once allows them; the lease makes them rare).
func TestNotifyTwoInstances(t *testing.T) {
	if os.Getenv("MFAD_TEST_POSTGRES") == "" {
		t.Skip("MFAD_TEST_POSTGRES not set")
	}
	h, m := newHookReceiver(t), smtptest.Start(t, nil, "", "")
	c := newCluster(t)
	env := append(notifyEnvFor(h, m, "2fa.reset"), "MFAD_MASTER_KEY="+c.key)
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
	waitFor(t, "every event delivered", func() bool {
		h.mu.Lock()
		n := len(h.byID)
		h.mu.Unlock()
		return n >= events && len(m.Messages()) >= events
	})
	kinds, dups, bad := h.deliveries()
	mails := len(m.Messages())
	t.Logf("%d events: %d webhook deliveries (%d duplicates), %d mails (%d duplicates)",
		events, len(kinds), dups, mails, mails-events)
	if bad != 0 {
		t.Errorf("%d deliveries with a bad signature", bad)
	}
}
