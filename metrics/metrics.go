// Package metrics holds mfad's Prometheus metrics: HTTP requests and their
// latency per route pattern and API dialect, and what the core service
// reports through its Observe hook (verifications by result, lockouts,
// enrollments, scratch codes). Every metric is named mfad_..., the Go
// runtime and process collectors included. The core (package auth) knows
// nothing of this package: cmd/mfad sets auth.Service.Observe to
// Metrics.Observe.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/httpx"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Verification results, as the core reports them; each is exported from
// the start, at zero.
var verifyResults = []string{"ok", "invalid", "replay", "locked", "expired"}

// Metrics is one registry of mfad's metrics.
type Metrics struct {
	reg *prometheus.Registry

	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	inFlight      prometheus.Gauge
	verifications *prometheus.CounterVec
	lockouts      prometheus.Counter
	enrollStarted prometheus.Counter
	enrollDone    prometheus.Counter
	confirmFailed *prometheus.CounterVec
	scratchUsed   prometheus.Counter
}

// New returns the metrics of one mfad process, with mfad_build_info set
// from version and revision.
func New(version, revision string) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mfad_http_requests_total",
			Help: "HTTP requests by API dialect, route pattern, method and status code.",
		}, []string{"dialect", "route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mfad_http_request_duration_seconds",
			Help:    "HTTP request latency by API dialect and route pattern (a WebSocket counts its whole connection).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"dialect", "route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mfad_http_requests_in_flight",
			Help: "HTTP requests being served (open WebSockets included).",
		}),
		verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mfad_verifications_total",
			Help: "Second-factor checks by result: ok, invalid, replay, locked (refused while locked), expired (login ticket timed out).",
		}, []string{"result"}),
		lockouts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mfad_lockouts_total",
			Help: "Second-factor failures that locked the factor.",
		}),
		enrollStarted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mfad_enrollments_started_total",
			Help: "2FA enrollments prepared.",
		}),
		enrollDone: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mfad_enrollments_confirmed_total",
			Help: "2FA enrollments confirmed: 2FA turned on.",
		}),
		confirmFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mfad_enrollment_confirm_failures_total",
			Help: "Refused confirmations of an enrollment, by result: invalid (wrong code), expired.",
		}, []string{"result"}),
		scratchUsed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mfad_scratch_codes_used_total",
			Help: "Scratch codes accepted in place of a TOTP code.",
		}),
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "mfad_build_info",
		Help:        "The version and VCS revision of this mfad; always 1.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision},
	})
	build.Set(1)
	reg.MustRegister(m.requests, m.duration, m.inFlight, m.verifications, m.lockouts,
		m.enrollStarted, m.enrollDone, m.confirmFailed, m.scratchUsed, build)
	prometheus.WrapRegistererWithPrefix("mfad_", reg).MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	for _, r := range verifyResults {
		m.verifications.WithLabelValues(r)
	}
	for _, r := range []string{"invalid", "expired"} {
		m.confirmFailed.WithLabelValues(r)
	}
	return m
}

// Registry returns the registry, for tests and further collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Observe counts an outcome the core reports (auth.Service.Observe).
// Other events (an "import" happens in the mfad import process, which
// serves no metrics) are ignored.
func (m *Metrics) Observe(event, result string) {
	switch event {
	case "verify":
		for _, r := range verifyResults {
			if r == result {
				m.verifications.WithLabelValues(result).Inc()
			}
		}
	case "lockout":
		m.lockouts.Inc()
	case "enroll":
		m.enrollStarted.Inc()
	case "confirm":
		switch result {
		case "ok":
			m.enrollDone.Inc()
		case "invalid", "expired":
			m.confirmFailed.WithLabelValues(result).Inc()
		}
	case "scratch":
		m.scratchUsed.Inc()
	}
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: prometheus.WrapRegistererWithPrefix("mfad_", m.reg)})
}

// Instrument counts and times the requests h serves. h should be a
// ServeMux (or end in one): the route label is the pattern it matched
// (r.Pattern after routing; a front's own mux refines it), so it stays a
// small set whatever the paths; "unmatched" when nothing matched. The
// dialect label is what dialect says of the path (the registry of fronts,
// internal/fronts: metrics names no dialect itself).
func (m *Metrics) Instrument(h http.Handler, dialect func(path string) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		m.inFlight.Inc()
		rec := httpx.NewRecorder(w)
		defer func() {
			m.inFlight.Dec()
			p := recover()
			status := rec.Status()
			if p != nil {
				status = http.StatusInternalServerError
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			d := dialect(r.URL.Path)
			m.requests.WithLabelValues(d, route, method(r.Method), strconv.Itoa(status)).Inc()
			m.duration.WithLabelValues(d, route).Observe(time.Since(start).Seconds())
			if p != nil {
				panic(p)
			}
		}()
		h.ServeHTTP(rec, r)
	})
}

func method(m string) string {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
		return m
	}
	return "OTHER"
}

// Store exports what the store named name (sqlite, postgres) has sent its
// database: mfad_store_statements_total{store,op} by statement kind,
// mfad_store_round_trips_total{store} (a database server's; 0 for SQLite)
// and mfad_store_transactions_total{store,kind} (update, view). Divided by
// the requests of a route, they say what one request costs the database
// (mfad load prints it).
func (m *Metrics) Store(name string, s mfad.StoreCounter) {
	m.reg.MustRegister(storeCollector{name: name, s: s})
}

var (
	storeStatements = prometheus.NewDesc("mfad_store_statements_total",
		"SQL statements the store sent, by store and kind (select, insert, update, delete, begin, commit, ...).", []string{"store", "op"}, nil)
	storeRoundTrips = prometheus.NewDesc("mfad_store_round_trips_total",
		"Exchanges with the database server (several pipelined statements are one); 0 for SQLite.", []string{"store"}, nil)
	storeTxs = prometheus.NewDesc("mfad_store_transactions_total",
		"Store transactions by kind: update (read-write; each run of one), view (read-only), retry (an update run again after a conflict, 40001 or 40P01).", []string{"store", "kind"}, nil)
)

type storeCollector struct {
	name string
	s    mfad.StoreCounter
}

func (c storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- storeStatements
	ch <- storeRoundTrips
	ch <- storeTxs
}

func (c storeCollector) Collect(ch chan<- prometheus.Metric) {
	n := c.s.StoreCounts()
	for op, v := range n.Statements {
		ch <- prometheus.MustNewConstMetric(storeStatements, prometheus.CounterValue, float64(v), c.name, op)
	}
	ch <- prometheus.MustNewConstMetric(storeRoundTrips, prometheus.CounterValue, float64(n.RoundTrips), c.name)
	for kind, v := range n.Transactions {
		ch <- prometheus.MustNewConstMetric(storeTxs, prometheus.CounterValue, float64(v), c.name, kind)
	}
}
