package load

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// loadReport is the JSON answer of mfad load.
type loadReport struct {
	URL       string       `json:"url"`
	Users     int          `json:"users"`
	ServerPID int          `json:"server_pid,omitempty"`
	Seed      seedReport   `json:"seed"`
	Scenarios []scenReport `json:"scenarios"`
}

type seedReport struct {
	Method    string  `json:"method"` // api or direct
	Users     int     `json:"users"`  // with the few users without 2FA that prepare uses
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"users_per_second"`
}

type scenReport struct {
	Name        string           `json:"name"`
	Mode        string           `json:"mode"` // closed or open
	Concurrency int              `json:"concurrency"`
	Rate        float64          `json:"rate,omitempty"`
	Seconds     float64          `json:"seconds"`
	Requests    int64            `json:"requests"`
	OK          int64            `json:"ok"`
	PerSecond   float64          `json:"req_per_s"`
	LatencyMS   latencyReport    `json:"latency_ms"`
	Statuses    map[string]int64 `json:"statuses"`
	// Errors counts every answer that is not the scenario's success and
	// every request that got no answer; Lost those minus clean 429s with
	// Retry-After (a shed login is an answer, not a loss).
	Errors int64 `json:"errors"`
	Lost   int64 `json:"lost"`
	// Missed counts open-loop requests still waiting to be sent when the
	// run ended: the server did not keep up with the rate.
	Missed int64 `json:"missed,omitempty"`
	// Exhausted counts the times every user had already proved a code in
	// the current time step: the pool, not the server, held the run back.
	Exhausted int64 `json:"exhausted,omitempty"`
	// CPU time per request of the server and of this client: a cost
	// that noise from other processes on the machine disturbs less than
	// req/s.
	ServerCPUus    float64       `json:"server_cpu_us_per_req,omitempty"`
	ClientCPUus    float64       `json:"client_cpu_us_per_req,omitempty"`
	ServerStartRSS float64       `json:"server_start_rss_mib,omitempty"`
	ServerPeakRSS  float64       `json:"server_peak_rss_mib,omitempty"`
	PeakFrom       string        `json:"server_peak_rss_from,omitempty"`
	Healthz        healthzReport `json:"healthz"`
	RatioToCeiling float64       `json:"ratio_to_ceiling,omitempty"`
	// The server's store work per request (mfad_store_*_total), when it
	// exports it.
	Store *storeReport `json:"store_per_req,omitempty"`
}

type latencyReport struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// healthzReport is a GET /healthz sent every 200 ms during the scenario on
// its own connection.
type healthzReport struct {
	Probes   int64   `json:"probes"`
	Failures int64   `json:"failures"`
	MaxMS    float64 `json:"max_ms"`
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
func ms(d time.Duration) float64 {
	return math.Round(float64(d)/1e3) / 1e3
}

func (l *loader) print(r scenReport) {
	w := l.f.Stdout
	fmt.Fprintf(w, "%s (%s loop, concurrency %d", r.Name, r.Mode, r.Concurrency)
	if r.Rate > 0 {
		fmt.Fprintf(w, ", rate %g/s", r.Rate)
	}
	fmt.Fprintf(w, "): %d requests in %.1f s = %.0f req/s; latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		r.Requests, r.Seconds, r.PerSecond, r.LatencyMS.P50, r.LatencyMS.P90, r.LatencyMS.P99, r.LatencyMS.Max)
	keys := make([]string, 0, len(r.Statuses))
	for k := range r.Statuses {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s: %d", k, r.Statuses[k]))
	}
	fmt.Fprintf(w, "  answers %s; errors %d, lost %d", strings.Join(parts, ", "), r.Errors, r.Lost)
	if r.Missed > 0 {
		fmt.Fprintf(w, "; NOT SUSTAINED: %d requests never sent", r.Missed)
	}
	fmt.Fprintln(w)
	if r.ServerPeakRSS > 0 {
		fmt.Fprintf(w, "  server RSS %.1f MiB at the start, peak %.1f MiB (%s)\n", r.ServerStartRSS, r.ServerPeakRSS, r.PeakFrom)
	}
	if r.ServerCPUus > 0 || r.ClientCPUus > 0 {
		fmt.Fprintf(w, "  CPU per request: server %.1f µs, this client %.1f µs\n", r.ServerCPUus, r.ClientCPUus)
	}
	if st := r.Store; st != nil && st.Statements > 0 {
		fmt.Fprintf(w, "  store per request: %.2f statements (%s), %.2f round trips, %.2f transactions\n",
			st.Statements, st.byOp(), st.RoundTrips, st.Transactions)
	}
	fmt.Fprintf(w, "  /healthz during the run: %d probes, %d failed, slowest %.2f ms\n", r.Healthz.Probes, r.Healthz.Failures, r.Healthz.MaxMS)
	if r.Exhausted > 0 {
		fmt.Fprintf(w, "  WARNING: %d times every user had already proved this time step's code; the user pool held the run back (more --users)\n", r.Exhausted)
	}
}

func (l *loader) summary(rep loadReport) {
	w := l.f.Stdout
	fmt.Fprintf(w, "\n%-8s %6s %10s %9s %9s %9s %9s %8s %10s %10s\n", "scenario", "mode", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors", "/ceiling", "srv µs/req")
	for _, r := range rep.Scenarios {
		ratio := "-"
		if r.RatioToCeiling > 0 {
			ratio = fmt.Sprintf("%.3f", r.RatioToCeiling)
		}
		fmt.Fprintf(w, "%-8s %6s %10.0f %9.2f %9.2f %9.2f %9.2f %8d %10s %10.1f\n", r.Name, r.Mode, r.PerSecond,
			r.LatencyMS.P50, r.LatencyMS.P90, r.LatencyMS.P99, r.LatencyMS.Max, r.Errors, ratio, r.ServerCPUus)
	}
}
