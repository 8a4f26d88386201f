package load

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestParseScenarios(t *testing.T) {
	for _, tt := range []struct {
		in, want, err string
	}{
		{"verify", "verify", ""},
		{"ceiling, login,flood", "ceiling,login,flood", ""},
		{"verify,nope", "", `unknown scenario "nope"`},
		{"", "", `unknown scenario ""`},
	} {
		got, err := ParseScenarios(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || strings.Join(got, ",") != tt.want {
			t.Errorf("%q: %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

// TestRunRefuses checks the options Run refuses before it sends anything.
func TestRunRefuses(t *testing.T) {
	ok := Options{URL: "http://127.0.0.1:1", Scenarios: []string{"verify"}, Users: 10, Duration: time.Second, Concurrency: 1}
	for _, tt := range []struct {
		name string
		mod  func(*Options)
		want string
	}{
		{"no users", func(o *Options) { o.Users = 0 }, "--users"},
		{"no concurrency", func(o *Options) { o.Concurrency = 0 }, "--concurrency"},
		{"no duration", func(o *Options) { o.Duration = 0 }, "--duration"},
		{"negative rate", func(o *Options) { o.Rate = -1 }, "--rate"},
		{"too few users for the rate", func(o *Options) { o.Rate = 100 }, "needs at least 100 users"},
		{"bad url", func(o *Options) { o.URL = "ftp://x" }, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.mod(&o)
			err := Run(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestLatencyHist(t *testing.T) {
	var h latencyHist
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Millisecond)
	}
	for _, tt := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.99, 990 * time.Millisecond}} {
		got := h.quantile(tt.q)
		// A bucket is at most 1/128 wide: the answer is at or just above.
		if got < tt.want || got > tt.want+tt.want/100 {
			t.Errorf("quantile %g = %v, want %v (+1%%)", tt.q, got, tt.want)
		}
	}
}

// TestStoreCounts: the store counters are read out of /metrics text and
// turned into work per request.
func TestStoreCounts(t *testing.T) {
	before := parseStoreCounts(strings.NewReader(`# HELP mfad_store_statements_total x
mfad_store_statements_total{op="select",store="postgres"} 10
mfad_store_statements_total{op="update",store="postgres"} 4
mfad_store_round_trips_total{store="postgres"} 6
mfad_store_transactions_total{kind="update",store="postgres"} 2
mfad_http_requests_total{code="200"} 99
`))
	after := parseStoreCounts(strings.NewReader(`mfad_store_statements_total{op="select",store="postgres"} 30
mfad_store_statements_total{op="update",store="postgres"} 24
mfad_store_round_trips_total{store="postgres"} 36
mfad_store_transactions_total{kind="update",store="postgres"} 12
`))
	r := after.minus(before).per(10)
	if r.Statements != 4 || r.ByOp["select"] != 2 || r.RoundTrips != 3 || r.Transactions != 1 {
		t.Errorf("per request: %+v", r)
	}
	if got := r.byOp(); got != "select 2.00, update 2.00" {
		t.Errorf("byOp = %q", got)
	}
	if parseStoreCounts(strings.NewReader("mfad_http_requests_total{code=\"200\"} 1\n")) != nil {
		t.Errorf("counts found in metrics without store counters")
	}
}
