package e2e_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/mfad/mfad/internal/e2e"
	"github.com/mfad/mfad/seal"
	"github.com/mfad/mfad/store/postgres/pgtest"
)

// TestDatabaseOutage (issue 34): a real mfad serve on PostgreSQL through a
// real PgBouncer (transaction pooling) that is killed and started again.
// While it is down every request that needs the database answers 503
// "unavailable" with Retry-After (not 500 "internal"), /readyz says so and
// /healthz does not; once it is back the same server answers again without
// a restart, and the admin logs in (the outage left no throttle behind).
func TestDatabaseOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs mfad against PgBouncer")
	}
	b, srv := pooledServer(t, "pool_max_conns", "8")
	login := func() (int, http.Header, string) {
		var out struct {
			Access string `json:"access_token"`
			Error  struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		st, h := srv.Do("POST", "/v1/login", "", map[string]any{"login": "admin", "password": e2e.AdminPassword}, &out)
		if out.Access == "" {
			return st, h, out.Error.Code
		}
		return st, h, out.Access
	}
	st, _, token := login()
	if st != 200 {
		t.Fatalf("login before the outage: %d %s", st, token)
	}

	b.Stop()
	var me struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	st, h := srv.Do("GET", "/v1/me", token, nil, &me)
	if st != http.StatusServiceUnavailable || me.Error.Code != "unavailable" {
		t.Errorf("GET /v1/me during the outage: %d %q, want 503 unavailable", st, me.Error.Code)
	}
	if s, err := strconv.Atoi(h.Get("Retry-After")); err != nil || s <= 0 {
		t.Errorf("Retry-After during the outage: %q", h.Get("Retry-After"))
	}
	for range 3 {
		if st, _, code := login(); st != http.StatusServiceUnavailable || code != "unavailable" {
			t.Errorf("login during the outage: %d %q, want 503 unavailable", st, code)
		}
	}
	if st, _ := srv.Do("GET", "/readyz", "", nil, nil); st != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the outage: %d", st)
	}
	if st, _ := srv.Do("GET", "/healthz", "", nil, nil); st != http.StatusOK {
		t.Errorf("/healthz during the outage: %d (it is liveness: the process is fine)", st)
	}

	b.Start()
	// The pool reconnects on its own: wait for it, without a restart.
	var ok bool
	for range 100 {
		if st, _ := srv.Do("GET", "/readyz", "", nil, nil); st == http.StatusOK {
			ok = true
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !ok {
		t.Fatal("/readyz never came back after the outage")
	}
	if st, _ := srv.Do("GET", "/v1/me", token, nil, nil); st != http.StatusOK {
		t.Errorf("GET /v1/me after the outage: %d", st)
	}
	if st, _, code := login(); st != http.StatusOK {
		t.Errorf("login after the outage: %d %q (throttled by the outage?)", st, code)
	}
}

// pooledServer starts a real PgBouncer (transaction pooling) and a real
// mfad serve on a new database through it, given the plain URL (with
// params added) and a fresh master key; env is added to the server's.
func pooledServer(t *testing.T, params ...string) (*pgtest.Bouncer, *e2e.Server) {
	t.Helper()
	return pooledServerEnv(t, nil, params...)
}

func pooledServerEnv(t *testing.T, env []string, params ...string) (*pgtest.Bouncer, *e2e.Server) {
	t.Helper()
	b := pgtest.StartBouncer(t)
	k, err := seal.GenerateKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	ring, err := seal.NewRing(k)
	if err != nil {
		t.Fatal(err)
	}
	env = append(env, "MFAD_MASTER_KEY="+ring.Format())
	return b, e2e.Start(t, e2e.Options{Args: []string{"--db", b.Database(t, params...)}, Env: env})
}

// adminToken logs the bootstrap admin in.
func adminToken(t *testing.T, srv *e2e.Server) string {
	t.Helper()
	var adm struct {
		Access string `json:"access_token"`
	}
	if st, _ := srv.Do("POST", "/v1/login", "", map[string]any{"login": "admin", "password": e2e.AdminPassword}, &adm); st != 200 {
		t.Fatalf("admin login: %d", st)
	}
	return adm.Access
}
