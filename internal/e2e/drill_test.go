package e2e_test

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mfad/mfad/internal/notifytest"
	"github.com/mfad/mfad/otp"
)

// TestOutageDrill (issue 34): a real mfad serve on PostgreSQL through a real
// PgBouncer, under load (32 clients logging in, half of them with their
// second factor), and the pooler stopped for 10 s. During the outage every
// answer is 503 with Retry-After (no 500); no code is accepted twice; the
// 2fa.enabled mails queued just before it all arrive after it; right after
// it every user logs in, and no address or account is throttled by it.
func TestOutageDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("a 10 s outage of PgBouncer under load")
	}
	r := notifytest.Start(t)
	b, srv := pooledServerEnv(t, r.Env("code.replayed"), "pool_max_conns", "16")
	admin := adminToken(t, srv)
	const n = 16
	keys := make([]otp.Key, n)
	name := func(i int) string { return fmt.Sprintf("drill%d", i) }
	for i := range n {
		srv.Do("POST", "/v1/users", admin, map[string]any{"name": name(i), "email": name(i) + "@example.org", "password": name(i) + "-password-1"}, nil)
		var tok struct {
			Access string `json:"access_token"`
		}
		srv.Do("POST", "/v1/login", "", map[string]any{"login": name(i), "password": name(i) + "-password-1"}, &tok)
		var prep struct {
			URI string `json:"otpauth_uri"`
		}
		srv.Do("POST", "/v1/users/me/2fa/prepare", tok.Access, map[string]any{}, &prep)
		keys[i], _ = otp.ParseURI(prep.URI)
		if st, _ := srv.Do("POST", "/v1/users/me/2fa/confirm", tok.Access, map[string]any{"code": keys[i].Code(srv.Now())}, nil); st != 200 {
			t.Fatalf("confirm %s: %d", name(i), st)
		}
	}

	var mu sync.Mutex
	statuses := map[string]int{} // "phase status"
	accepted := map[string]int{} // "user step": codes accepted
	phase := "before"
	note := func(st int, h http.Header) {
		mu.Lock()
		defer mu.Unlock()
		statuses[fmt.Sprintf("%s %d", phase, st)]++
		if st == http.StatusServiceUnavailable {
			if s, err := strconv.Atoi(h.Get("Retry-After")); err != nil || s <= 0 {
				statuses[phase+" 503 without Retry-After"]++
			}
		}
	}
	stop := make(chan struct{})
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	var wg sync.WaitGroup
	// The load: 16 users without 2FA log in and read themselves without
	// pause; the 16 with 2FA log in with their code once a time step (a
	// code of a step is good once: a second try would be a replay, and
	// replays lock).
	for i := range n {
		plain := fmt.Sprintf("plain%d", i)
		srv.Do("POST", "/v1/users", admin, map[string]any{"name": plain, "password": plain + "-password-1"}, nil)
		wg.Go(func() {
			for !stopped() {
				var tok struct {
					Access string `json:"access_token"`
				}
				st, h := srv.Do("POST", "/v1/login", "", map[string]any{"login": plain, "password": plain + "-password-1"}, &tok)
				note(st, h)
				if st != http.StatusOK {
					time.Sleep(100 * time.Millisecond)
					continue
				}
				st, h = srv.Do("GET", "/v1/me", tok.Access, nil, nil)
				note(st, h)
			}
		})
		wg.Go(func() {
			done := int64(-1) // the step whose code was tried
			for !stopped() {
				now := srv.Now()
				if keys[i].Step(now) == done {
					time.Sleep(200 * time.Millisecond)
					continue
				}
				var tk struct {
					Ticket string `json:"ticket"`
				}
				st, h := srv.Do("POST", "/v1/login", "", map[string]any{"login": name(i), "password": name(i) + "-password-1"}, &tk)
				note(st, h)
				if st != http.StatusOK {
					time.Sleep(100 * time.Millisecond)
					continue
				}
				st, h = srv.Do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": tk.Ticket, "code": keys[i].Code(now)}, nil)
				note(st, h)
				if st == http.StatusOK || st == http.StatusUnauthorized {
					done = keys[i].Step(now)
				}
				if st == http.StatusOK {
					mu.Lock()
					accepted[fmt.Sprintf("%d %d", i, keys[i].Step(now))]++
					mu.Unlock()
				}
			}
		})
	}
	time.Sleep(time.Second)
	mu.Lock()
	phase = "outage"
	mu.Unlock()
	b.Stop()
	time.Sleep(10 * time.Second)
	b.Start()
	// Recovering: the pool reconnects, and the logins that were in flight
	// when the database went away take their reservations back (retried
	// once a second): busy answers may still come.
	mu.Lock()
	phase = "recovering"
	mu.Unlock()
	time.Sleep(3 * time.Second)
	mu.Lock()
	phase = "after"
	mu.Unlock()
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	t.Logf("statuses by phase: %v", statuses)
	for k, c := range statuses {
		var ph string
		var st int
		if _, err := fmt.Sscanf(k, "%s %d", &ph, &st); err == nil && st >= 500 && st != http.StatusServiceUnavailable {
			t.Errorf("%d answers %s", c, k)
		}
		if len(k) > 20 {
			t.Errorf("%d answers: %s", c, k)
		}
	}
	if statuses["outage 503"] == 0 {
		t.Error("no 503 during the outage")
	}
	for _, k := range []string{"after 429", "after 423", "before 429", "before 423"} {
		if statuses[k] != 0 {
			t.Errorf("%d answers %s: throttled or locked by nothing but load and the outage", statuses[k], k)
		}
	}
	for us, c := range accepted {
		if c > 1 {
			t.Errorf("user and step %s: a code accepted %d times", us, c)
		}
	}
	// Right after: every user logs in with the second factor, throttled by nothing.
	srv.Advance(30 * time.Second)
	for i := range n {
		var tk struct {
			Ticket string `json:"ticket"`
		}
		if st, _ := srv.Do("POST", "/v1/login", "", map[string]any{"login": name(i), "password": name(i) + "-password-1"}, &tk); st != 200 {
			t.Errorf("%s after the outage: login %d", name(i), st)
			continue
		}
		if st, _ := srv.Do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": tk.Ticket, "code": keys[i].Code(srv.Now())}, nil); st != 200 {
			t.Errorf("%s after the outage: second factor %d", name(i), st)
		}
	}
	// The mails of 2FA turned on, queued before the outage, all arrive.
	t.Logf("mails so far: %d", len(r.Mail.Messages()))
	notifytest.WaitFor(t, "every 2fa.enabled mail", func() bool {
		return len(r.MailsWith("Subject: Two-factor authentication was turned on")) >= n
	})
	if got := len(r.MailsWith("Subject: Two-factor authentication was turned on")); got != n {
		t.Errorf("%d 2fa.enabled mails, want %d", got, n)
	}
}
