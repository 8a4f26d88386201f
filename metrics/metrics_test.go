package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/metrics"
	"github.com/mfad/mfad/store/sqlite"
)

func TestObserve(t *testing.T) {
	m := metrics.New("v1.2.3", "abc")
	for _, o := range [][2]string{
		{"verify", "ok"}, {"verify", "ok"}, {"verify", "invalid"}, {"verify", "replay"},
		{"verify", "locked"}, {"verify", "expired"}, {"verify", "bogus"},
		{"lockout", "locked"}, {"enroll", "started"}, {"confirm", "ok"}, {"confirm", "invalid"},
		{"confirm", "expired"}, {"scratch", "used"}, {"import", "ok"}, {"unknown", "x"},
	} {
		m.Observe(o[0], o[1])
	}
	body := scrape(t, m)
	for _, want := range []string{
		`mfad_verifications_total{result="ok"} 2`,
		`mfad_verifications_total{result="invalid"} 1`,
		`mfad_verifications_total{result="replay"} 1`,
		`mfad_verifications_total{result="locked"} 1`,
		`mfad_verifications_total{result="expired"} 1`,
		`mfad_lockouts_total 1`,
		`mfad_enrollments_started_total 1`,
		`mfad_enrollments_confirmed_total 1`,
		`mfad_enrollment_confirm_failures_total{result="invalid"} 1`,
		`mfad_enrollment_confirm_failures_total{result="expired"} 1`,
		`mfad_scratch_codes_used_total 1`,
		`mfad_build_info{revision="abc",version="v1.2.3"} 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("no %q in the metrics", want)
		}
	}
	if strings.Contains(body, "bogus") {
		t.Error("an unknown result became a label")
	}
	checkNames(t, m)
}

// checkNames fails unless every metric family is named mfad_...
func checkNames(t *testing.T, m *metrics.Metrics) {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(fams) < 20 {
		t.Fatalf("only %d metric families", len(fams))
	}
	for _, f := range fams {
		if !strings.HasPrefix(f.GetName(), "mfad_") {
			t.Errorf("metric %s is not named mfad_...", f.GetName())
		}
	}
}

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	b, _ := io.ReadAll(w.Body)
	return string(b)
}

func TestInstrument(t *testing.T) {
	m := metrics.New("dev", "")
	inner := http.NewServeMux()
	inner.HandleFunc("POST /v1/login", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) })
	inner.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	mux := http.NewServeMux()
	mux.Handle("/v1/", inner)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	// The dialect label is what the caller's function says (the registry
	// of fronts in mfad serve).
	h := m.Instrument(mux, func(path string) string {
		switch {
		case strings.HasPrefix(path, "/v1/"):
			return "rest"
		case path == "/healthz":
			return "ops"
		}
		return "other"
	})
	do := func(method, path string) {
		defer func() { recover() }()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, path, nil))
	}
	do("POST", "/v1/login")
	do("POST", "/v1/login")
	do("GET", "/v1/users/42")
	do("GET", "/v1/users/43")
	do("GET", "/healthz")
	do("GET", "/nowhere/1")
	do("GET", "/panic")
	do("BREW", "/healthz")

	body := scrape(t, m)
	for _, want := range []string{
		`mfad_http_requests_total{code="401",dialect="rest",method="POST",route="POST /v1/login"} 2`,
		`mfad_http_requests_total{code="404",dialect="rest",method="GET",route="/v1/"} 2`,
		`mfad_http_requests_total{code="200",dialect="ops",method="GET",route="GET /healthz"} 1`,
		`mfad_http_requests_total{code="404",dialect="other",method="GET",route="unmatched"} 1`,
		`mfad_http_requests_total{code="500",dialect="other",method="GET",route="GET /panic"} 1`,
		`mfad_http_requests_total{code="405",dialect="ops",method="OTHER",route="unmatched"} 1`,
		`mfad_http_request_duration_seconds_count{dialect="rest",route="POST /v1/login"} 2`,
		`mfad_http_requests_in_flight 0`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("no %q in the metrics:\n%s", want, grep(body, "mfad_http"))
		}
	}
	if n := strings.Count(body, "\nmfad_http_requests_total{"); n != 6 {
		t.Errorf("%d request series, want 6 (paths must not become labels)", n)
	}
	checkNames(t, m)
}

func grep(s, prefix string) string {
	var out []string
	for line := range strings.Lines(s) {
		if strings.HasPrefix(line, prefix) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}

// TestStore: a real store's counts reach /metrics under its name, and
// move with the store's work.
func TestStore(t *testing.T) {
	db, err := sqlite.Open(t.Context(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := metrics.New("v", "r")
	m.Store("sqlite", db)
	before := scrape(t, m)
	if err := db.Update(t.Context(), func(tx mfad.Tx) error { _, err := tx.CountUsers(); return err }); err != nil {
		t.Fatal(err)
	}
	after := scrape(t, m)
	for _, line := range []string{
		`mfad_store_statements_total{op="select",store="sqlite"}`,
		`mfad_store_statements_total{op="commit",store="sqlite"}`,
		`mfad_store_transactions_total{kind="update",store="sqlite"}`,
	} {
		if grep(after, line) == "" || grep(before, line) == grep(after, line) {
			t.Errorf("%s did not move:\nbefore %q\nafter  %q", line, grep(before, line), grep(after, line))
		}
	}
	if grep(after, `mfad_store_round_trips_total{store="sqlite"} 0`) == "" {
		t.Errorf("SQLite counts round trips:\n%s", grep(after, "mfad_store_round_trips_total"))
	}
}
