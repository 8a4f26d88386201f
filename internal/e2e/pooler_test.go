package e2e_test

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mfad/mfad/otp"
)

// TestThroughPgBouncer (issue 34): a real mfad serve on PostgreSQL behind a
// real PgBouncer in transaction pooling mode, given the plain URL: 64 users
// with 2FA log in with their second factor at concurrency 32, then step up
// (verify) at concurrency 32, and no request meets an internal error.
func TestThroughPgBouncer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs mfad against PgBouncer")
	}
	_, srv := pooledServer(t, "pool_max_conns", "16")
	admin := adminToken(t, srv)
	const n = 64
	keys := make([]otp.Key, n)
	for i := range n {
		name := fmt.Sprintf("pooled%d", i)
		if st, _ := srv.Do("POST", "/v1/users", admin, map[string]any{"name": name, "password": name + "-password-1"}, nil); st != 201 {
			t.Fatalf("create %s: %d", name, st)
		}
		var tok struct {
			Access string `json:"access_token"`
		}
		srv.Do("POST", "/v1/login", "", map[string]any{"login": name, "password": name + "-password-1"}, &tok)
		var prep struct {
			URI string `json:"otpauth_uri"`
		}
		if st, _ := srv.Do("POST", "/v1/users/me/2fa/prepare", tok.Access, map[string]any{}, &prep); st != 200 {
			t.Fatalf("prepare %s: %d", name, st)
		}
		key, err := otp.ParseURI(prep.URI)
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = key
		if st, _ := srv.Do("POST", "/v1/users/me/2fa/confirm", tok.Access, map[string]any{"code": key.Code(srv.Now())}, nil); st != 200 {
			t.Fatalf("confirm %s: %d", name, st)
		}
	}
	srv.Advance(30 * time.Second) // a step no confirming code used
	statuses := map[int]int{}
	var mu sync.Mutex
	count := func(st int) { mu.Lock(); statuses[st]++; mu.Unlock() }
	tokens := make([]string, n)
	var next atomic.Int32
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				name := fmt.Sprintf("pooled%d", i)
				var tk struct {
					Ticket string `json:"ticket"`
					Error  struct {
						Code string `json:"code"`
					} `json:"error"`
				}
				// 32 logins at once from one address pass the per-address
				// cap of logins in flight: those over it are answered busy
				// with Retry-After, and a client waits and retries.
				st, h := srv.Do("POST", "/v1/login", "", map[string]any{"login": name, "password": name + "-password-1"}, &tk)
				for st == http.StatusTooManyRequests && tk.Error.Code == "busy" {
					count(-st)
					d, _ := strconv.Atoi(h.Get("Retry-After"))
					time.Sleep(time.Duration(d) * time.Second)
					st, h = srv.Do("POST", "/v1/login", "", map[string]any{"login": name, "password": name + "-password-1"}, &tk)
				}
				count(st)
				var s struct {
					Access string `json:"access_token"`
				}
				st, _ = srv.Do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": tk.Ticket, "code": keys[i].Code(srv.Now())}, &s)
				count(st)
				tokens[i] = s.Access
			}
		})
	}
	wg.Wait()
	srv.Advance(30 * time.Second)
	next.Store(0)
	for range 32 {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				st, _ := srv.Do("POST", "/v1/me/verify", tokens[i], map[string]any{"code": keys[i].Code(srv.Now())}, nil)
				count(st)
			}
		})
	}
	wg.Wait()
	t.Logf("statuses through PgBouncer (-429: busy, retried): %v", statuses)
	for st := range statuses {
		if st >= 500 {
			t.Errorf("%d answers %d", statuses[st], st)
		}
	}
	if statuses[http.StatusOK] != 2*n || statuses[http.StatusNoContent] != n {
		t.Errorf("statuses %v: want %d logins and second factors answered 200 and %d verifications 204", statuses, 2*n, n)
	}
}
