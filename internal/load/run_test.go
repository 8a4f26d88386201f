package load

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/internal/coretest"
	"github.com/mfad/mfad/internal/fronts"
	"github.com/mfad/mfad/store/sqlite"
)

// server is mfad's fronts on a real core and SQLite store, on the real
// clock (the load generator proves codes of the current time step).
func server(t *testing.T) (*httptest.Server, *auth.Service) {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "mfad.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg := auth.DefaultConfig()
	cfg.Password = coretest.PasswordParams
	svc := auth.New(db, coretest.NewRing(t, "k1"), cfg, auth.WithLogger(slog.New(slog.DiscardHandler)))
	if _, err := svc.Bootstrap(t.Context(), "admin", "admin@example.org", "admin-password-1"); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	fronts.Mount(mux, fronts.Deps{Svc: svc})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"status":"ok"}`)) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, svc
}

// TestRun: the load generator against a real server, seeding through the
// API and directly, every scenario it can run here, the report in JSON.
// It checks what each scenario did (requests made, none failed, what the
// seeding made), never how fast: tests assert no durations.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs scenarios against a server")
	}
	for _, direct := range []bool{false, true} {
		scenarios := []string{"ceiling", "verify", "login", "prepare"}
		if direct {
			scenarios = append(scenarios, "second-factor") // its tickets are made in the store
		}
		srv, svc := server(t)
		// Each scenario on users of its own: one that proves codes uses
		// up the current time step of the few users a test seeds.
		for _, sc := range scenarios {
			t.Run(map[bool]string{false: "api/", true: "direct/"}[direct]+sc, func(t *testing.T) {
				report := filepath.Join(t.TempDir(), "report.json")
				var out bytes.Buffer
				o := Options{URL: srv.URL, Scenarios: []string{sc}, Users: 8, Duration: 200 * time.Millisecond, Concurrency: 2,
					Batch: 100, Timeout: 10 * time.Second, Tickets: 50, JSONPath: report, SeedDirect: direct,
					AdminName: "admin", AdminPassword: "admin-password-1", Stdout: &out,
					OpenService: func(context.Context) (*auth.Service, func() error, error) {
						return svc, func() error { return nil }, nil
					}}
				if err := Run(t.Context(), o); err != nil {
					t.Fatalf("Run: %v\n%s", err, out.String())
				}
				b, err := os.ReadFile(report)
				if err != nil {
					t.Fatal(err)
				}
				var rep loadReport
				if err := json.Unmarshal(b, &rep); err != nil {
					t.Fatal(err)
				}
				method := map[bool]string{false: "api", true: "direct"}[direct]
				if rep.Seed.Method != method || rep.Seed.Users < 8 || len(rep.Scenarios) != 1 {
					t.Fatalf("report: seed %+v, %d scenarios\n%s", rep.Seed, len(rep.Scenarios), b)
				}
				s := rep.Scenarios[0]
				if s.Name != sc || s.Requests == 0 || s.OK == 0 || s.Errors != 0 || s.Lost != 0 {
					t.Errorf("%s: %d requests, %d ok, %d errors, %d lost: %v", s.Name, s.Requests, s.OK, s.Errors, s.Lost, s.Statuses)
				}
				if !strings.Contains(out.String(), sc) {
					t.Errorf("the summary names no scenario:\n%s", out.String())
				}
			})
		}
	}
}

// TestTake: a user proves at most one code per time step; when every user
// has, the pool is exhausted until the next step.
func TestTake(t *testing.T) {
	l := newLoader(Options{Users: 3, Concurrency: 1})
	now := time.Unix(1_800_000_000, 0)
	seen := map[int]bool{}
	for range 3 {
		i, _, ok := l.take(now)
		if !ok || seen[i] {
			t.Fatalf("take: user %d, ok %v; seen %v", i, ok, seen)
		}
		seen[i] = true
	}
	if _, _, ok := l.take(now); ok {
		t.Error("a user was taken twice in one time step")
	}
	if _, step, ok := l.take(now.Add(30 * time.Second)); !ok || step != now.Unix()/30+1 {
		t.Errorf("the next step: ok %v, step %d", ok, step)
	}
}
