// Package notifytest gives end-to-end tests of any front the receivers of
// mfad's notifications: a real webhook endpoint (httptest) that verifies
// each delivery's signature, and a real SMTP server (internal/smtptest),
// with the environment that points a `mfad serve` at both.
package notifytest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mfad/mfad/internal/smtptest"
	"github.com/mfad/mfad/notify"
)

// Secret signs the webhooks of Env.
const Secret = "whsec-e2e-test"

// Receivers are a webhook endpoint and a mail server.
type Receivers struct {
	Mail   *smtptest.Server
	mu     sync.Mutex
	byID   map[int64]int
	kinds  []string
	badSig int
	hook   *httptest.Server
}

// Start starts both; they stop when the test ends.
func Start(t *testing.T) *Receivers {
	r := &Receivers{byID: map[int64]int{}, Mail: smtptest.Start(t, nil, "", "")}
	r.hook = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.hook.Close)
	return r
}

func (r *Receivers) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if notify.Verify([]byte(Secret), req.Header.Get(notify.SignatureHeader), body, time.Now(), 5*time.Minute) != nil {
		r.badSig++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var p notify.Payload
	_ = json.Unmarshal(body, &p)
	r.byID[p.ID]++
	r.kinds = append(r.kinds, p.Kind+"/"+p.Dialect)
	w.WriteHeader(http.StatusNoContent)
}

// Env is the environment of a mfad serve that sends webhooks of the
// event kinds in events (comma-separated) here, and email to Mail.
func (r *Receivers) Env(events string) []string {
	return []string{"MFAD_WEBHOOKS=ops=" + r.hook.URL + ";events=" + events,
		"MFAD_WEBHOOK_SECRET=" + Secret, "MFAD_SMTP_ADDR=" + r.Mail.Addr, "MFAD_SMTP_TLS=none",
		"MFAD_SMTP_FROM=mfad@example.org"}
}

// Webhooks returns the deliveries so far as "kind/dialect", the
// redeliveries of one id (duplicates) and those with a bad signature.
func (r *Receivers) Webhooks() (kinds []string, dups, bad int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.byID {
		dups += n - 1
	}
	return append([]string(nil), r.kinds...), dups, r.badSig
}

// Distinct is the number of distinct events delivered by webhook.
func (r *Receivers) Distinct() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byID)
}

// WaitFor polls cond for up to 30 s (workers poll every 2 s).
func WaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 300 {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// WantOneReplay waits for the notifications of one replayed code and
// checks there is exactly one webhook (of dialect) and one mail, to
// address, about it; it waits a few worker polls more for any extra.
func (r *Receivers) WantOneReplay(t *testing.T, dialect, address string) {
	t.Helper()
	const subject = "Subject: A used sign-in code was tried again"
	WaitFor(t, "a webhook and a mail", func() bool {
		kinds, _, _ := r.Webhooks()
		return len(kinds) >= 1 && len(r.MailsWith(subject)) >= 1
	})
	time.Sleep(5 * time.Second) // two more polls: a second delivery would show
	kinds, dups, bad := r.Webhooks()
	if strings.Join(kinds, ",") != "code.replayed/"+dialect || dups != 0 || bad != 0 {
		t.Errorf("webhooks %v, duplicates %d, bad signatures %d; want one code.replayed/%s", kinds, dups, bad, dialect)
	}
	msgs := r.MailsWith(subject)
	if len(msgs) != 1 {
		t.Fatalf("%d replay mails, want 1", len(msgs))
	}
	data := string(msgs[0].Data)
	if len(msgs[0].To) != 1 || msgs[0].To[0] != address || !strings.Contains(data, "Subject: A used sign-in code was tried again") {
		t.Errorf("mail %+v\n%s", msgs[0], data)
	}
}

// MailsWith returns the mails so far whose text holds s (a subject line:
// enabling 2FA, for one, is mailed too).
func (r *Receivers) MailsWith(s string) []smtptest.Message {
	var out []smtptest.Message
	for _, m := range r.Mail.Messages() {
		if strings.Contains(string(m.Data), s) {
			out = append(out, m)
		}
	}
	return out
}
