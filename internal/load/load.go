// Package load seeds users with 2FA on into a running mfad server, then
// drives scenarios against it and reports throughput, latency and errors.
// It is the tool behind BENCHMARKS.md; `mfad load` parses its flags into
// Options and calls Run.
package load

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/otp"
)

// Usage is the help text of mfad load.
const Usage = `usage: mfad load [flags]

Seeds --users users with 2FA on into the server at --url (through the REST
API as the admin, or with --seed-direct straight into the server's store),
then runs each scenario of --scenario for --duration and reports req/s,
latency percentiles and errors by status, also as JSON (--json FILE, "-"
for standard output).

Scenarios (comma-separated, run in order on the same users):
  ceiling   GET /healthz: the HTTP floor of this server and this client
  verify    POST /v1/me/verify (step-up) with a valid, never-used code;
            each user at most once per 30-s time step
  login     POST /v1/login with password and code (argon2id included)
  second-factor
            POST /v1/login/second-factor: a login's second step, with a
            ticket made straight in the store before the run (--tickets of
            them, each used once; needs the store as --seed-direct does)
  prepare   POST /v1/users/me/2fa/prepare: a secret, its URI and QR codes
  flood     --concurrency logins sent at once, each once (see --requests)

Closed loop by default (--concurrency requests in flight); --rate R sends
R req/s on a fixed schedule instead (open loop) and measures latency from
each request's intended send time, so a stalled server is not hidden.

Where the server exports mfad_store_*_total (GET /metrics), each scenario
also reports the store's statements, round trips and transactions per
request.
`

// Scenarios are the names --scenario accepts, in the order they run best.
var Scenarios = []string{"ceiling", "verify", "second-factor", "login", "prepare", "flood"}

// Options is one run of the load generator.
type Options struct {
	URL         string
	Scenarios   []string
	Users       int
	Duration    time.Duration
	Concurrency int
	Rate        float64
	SeedDirect  bool
	Batch       int
	JSONPath    string
	ServerPID   int
	Requests    int
	Timeout     time.Duration
	Progress    bool
	UsersFile   string
	Tickets     int // login tickets made for the second-factor scenario

	// AdminName and AdminPassword log in to seed through the API; an
	// empty password is read from DataDir/admin-password.
	AdminName, AdminPassword, DataDir string
	// OpenService opens the server's store for SeedDirect and the
	// second-factor scenario's tickets.
	OpenService func(ctx context.Context) (svc *auth.Service, close func() error, err error)
	// Stdout gets the progress lines, the summary and JSON to "-".
	Stdout io.Writer
}

// ParseScenarios splits a comma-separated list of scenario names.
func ParseScenarios(list string) ([]string, error) {
	var out []string
	for s := range strings.SplitSeq(list, ",") {
		s = strings.TrimSpace(s)
		if !slices.Contains(Scenarios, s) {
			return nil, fmt.Errorf("unknown scenario %q: want %s", s, strings.Join(Scenarios, ", "))
		}
		out = append(out, s)
	}
	return out, nil
}

// Run seeds the users, runs the scenarios and prints the report.
func Run(ctx context.Context, f Options) (err error) {
	switch {
	case f.Users < 1:
		return errors.New("--users must be at least 1")
	case f.Concurrency < 1:
		return errors.New("--concurrency must be at least 1")
	case f.Duration <= 0:
		return errors.New("--duration must be positive")
	case f.Rate < 0 || math.IsInf(f.Rate, 0) || math.IsNaN(f.Rate):
		return errors.New("--rate must be a positive number of requests per second")
	}
	// Each user proves one code per time step, so an open-loop run at rate R
	// must have a fresh user for every request of one step.
	if f.Rate > 0 && (slices.Contains(f.Scenarios, "verify") || slices.Contains(f.Scenarios, "login")) {
		window := min(f.Duration, otp.DefaultPeriod*time.Second).Seconds()
		if need := int(math.Ceil(f.Rate * window)); f.Users < need {
			return fmt.Errorf("a verify or login at %g req/s uses each user at most once per %d-s time step, so it needs at least %d users (rate × min(duration, %d s)); got --users %d",
				f.Rate, otp.DefaultPeriod, need, otp.DefaultPeriod, f.Users)
		}
	}
	f.URL = strings.TrimRight(f.URL, "/")
	if _, err := newRawClient(f.URL, f.Timeout); err != nil {
		return err
	}
	if f.ServerPID == 0 {
		f.ServerPID = findServerPID(f.URL)
	}
	l := newLoader(f)
	if err := l.get(ctx, "/healthz"); err != nil {
		return fmt.Errorf("the server at %s does not answer: %w", f.URL, err)
	}
	report := loadReport{URL: f.URL, Users: f.Users, ServerPID: max(f.ServerPID, 0)}
	reused, err := l.loadUsers()
	if err != nil {
		return err
	}
	n2, nPlain := f.Users, l.plainCount()
	if reused {
		report.Seed = seedReport{Method: "reused"}
		fmt.Fprintf(f.Stdout, "reusing %d users with 2FA and %d without from %s\n", f.Users, len(l.plain), f.UsersFile)
		n2, nPlain = 0, max(0, nPlain-len(l.plain)) // prepare may want more users without 2FA
	}
	if n2+nPlain > 0 {
		start := time.Now()
		if f.SeedDirect {
			err = l.seedDirect(ctx, n2, nPlain)
		} else {
			err = l.seedAPI(ctx, n2, nPlain)
		}
		if err != nil {
			return fmt.Errorf("seeding: %w", err)
		}
		report.Seed = seedReport{Method: map[bool]string{true: "direct", false: "api"}[f.SeedDirect], Users: n2 + nPlain,
			Seconds: round3(time.Since(start).Seconds())}
		report.Seed.PerSecond = round1(float64(report.Seed.Users) / max(report.Seed.Seconds, 1e-3))
		fmt.Fprintf(f.Stdout, "seeded %d users (%d with 2FA) %s in %.1f s (%.0f users/s)\n",
			report.Seed.Users, n2, map[bool]string{true: "straight into the store", false: "through the API"}[f.SeedDirect],
			report.Seed.Seconds, report.Seed.PerSecond)
	}
	// Written after the scenarios too, with the steps they used.
	defer func() {
		if serr := l.saveUsers(); serr != nil && err == nil {
			err = serr
		}
	}()
	if err := l.saveUsers(); err != nil {
		return err
	}

	var ceiling float64
	for _, name := range f.Scenarios {
		if ctx.Err() != nil {
			break
		}
		if name == "second-factor" {
			if err := l.seedTickets(ctx); err != nil {
				return fmt.Errorf("second-factor: %w", err)
			}
		}
		r := l.run(ctx, name)
		if name == "ceiling" {
			ceiling = r.PerSecond
		}
		report.Scenarios = append(report.Scenarios, r)
	}
	if ceiling > 0 {
		for i := range report.Scenarios {
			report.Scenarios[i].RatioToCeiling = round3(report.Scenarios[i].PerSecond / ceiling)
		}
	}
	l.summary(report)
	if f.JSONPath != "" {
		b, err := json.MarshalIndent(report, "", "  ")
		if err != nil {
			return err
		}
		b = append(b, '\n')
		if f.JSONPath == "-" {
			_, err = f.Stdout.Write(b)
		} else {
			err = os.WriteFile(f.JSONPath, b, 0o644)
		}
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

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

// loader holds the seeded users and the HTTP client.
type loader struct {
	f      Options
	client *http.Client

	password string
	runID    string // names this run's users: load-<run>-<i>
	users    []loadUser
	plain    []string      // access tokens of the users without 2FA (prepare)
	cursor   atomic.Uint64 // round robin over users
	pcursor  atomic.Uint64 // round robin over plain
	saved    *usersFile    // as read from or written to --users-file
	tickets  []ticket      // for second-factor, each used once
	tcursor  atomic.Uint64
}

// ticket is a login ticket of user i.
type ticket struct {
	i     int
	token string
}

type loadUser struct {
	key   otp.Key
	token string
	last  atomic.Int64 // the last time step whose code was used
}

func newLoader(f Options) *loader {
	tr := &http.Transport{
		MaxIdleConns:        f.Concurrency + 16,
		MaxIdleConnsPerHost: f.Concurrency + 16,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &loader{
		f:        f,
		client:   &http.Client{Transport: tr, Timeout: f.Timeout},
		password: "load-" + rand.Text(),
		runID:    strings.ToLower(rand.Text()[:8]),
		users:    make([]loadUser, f.Users),
	}
}

func (l *loader) name(i int) string { return fmt.Sprintf("load-%s-%d", l.runID, i) }

// plainName names the users without 2FA.
func (l *loader) plainName(p int) string { return fmt.Sprintf("load-%s-p%d", l.runID, p) }

// plainCount is how many users without 2FA are seeded for prepare, which
// re-prepares the same few (each prepare replaces the pending one).
func (l *loader) plainCount() int {
	if !slices.Contains(l.f.Scenarios, "prepare") {
		return 0
	}
	return min(l.f.Concurrency, 64)
}

// take returns a user who has not proved a code in the time step now is in,
// and marks it used in that step. Users are taken round robin, so when the
// next few were all used in this step, all of them were: ok is false.
func (l *loader) take(now time.Time) (i int, step int64, ok bool) {
	step = now.Unix() / otp.DefaultPeriod
	n := uint64(len(l.users))
	for range min(n, 32) {
		i = int((l.cursor.Add(1) - 1) % n)
		u := &l.users[i]
		last := u.last.Load()
		if last < step && u.last.CompareAndSwap(last, step) {
			return i, step, true
		}
	}
	return 0, step, false
}

// --- seeding

// usersFile is what --users-file keeps: enough to prove codes as the
// seeded users again in a later run.
type usersFile struct {
	URL      string
	RunID    string
	Password string
	Secrets  [][]byte
	Tokens   []string
	Last     []int64 // the last time step each user proved
	Plain    []string
	Cursor   uint64 // where the round robin over the users goes on
}

// loadUsers reads --users-file if it exists; it must hold at least
// --users users seeded into the same server.
func (l *loader) loadUsers() (bool, error) {
	if l.f.UsersFile == "" {
		return false, nil
	}
	b, err := os.ReadFile(l.f.UsersFile)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var uf usersFile
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&uf); err != nil {
		return false, fmt.Errorf("%s: %w", l.f.UsersFile, err)
	}
	switch {
	case uf.URL != l.f.URL:
		return false, fmt.Errorf("%s holds users of %s, not of %s", l.f.UsersFile, uf.URL, l.f.URL)
	case len(uf.Secrets) < l.f.Users:
		return false, fmt.Errorf("%s holds %d users; --users asks for %d", l.f.UsersFile, len(uf.Secrets), l.f.Users)
	}
	l.runID, l.password, l.plain = uf.RunID, uf.Password, uf.Plain
	l.users = make([]loadUser, len(uf.Secrets))
	for i := range l.users {
		u := &l.users[i]
		u.key = otp.Key{Secret: uf.Secrets[i], Algorithm: otp.SHA1, Digits: otp.DefaultDigits, Period: otp.DefaultPeriod}
		u.token = uf.Tokens[i]
		u.last.Store(uf.Last[i])
	}
	l.users = l.users[:l.f.Users]
	l.cursor.Store(uf.Cursor)
	l.saved = &uf
	return true, nil
}

// saveUsers writes --users-file (mode 0600: it holds the test users'
// secrets and session tokens).
func (l *loader) saveUsers() error {
	if l.f.UsersFile == "" {
		return nil
	}
	uf := l.saved
	if uf == nil {
		uf = &usersFile{URL: l.f.URL, RunID: l.runID, Password: l.password, Plain: l.plain}
		uf.Secrets, uf.Tokens, uf.Last = make([][]byte, len(l.users)), make([]string, len(l.users)), make([]int64, len(l.users))
		for i := range l.users {
			uf.Secrets[i], uf.Tokens[i] = l.users[i].key.Secret, l.users[i].token
		}
		l.saved = uf
	}
	for i := range l.users {
		uf.Last[i] = l.users[i].last.Load()
	}
	uf.Cursor, uf.Plain = l.cursor.Load(), l.plain
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(uf); err != nil {
		return err
	}
	tmp := l.f.UsersFile + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, l.f.UsersFile)
}

// seedAPI creates n2 users with 2FA and nPlain without through the REST
// API as the admin: create, log in, prepare, confirm. Each costs the
// server two argon2id hashes.
func (l *loader) seedAPI(ctx context.Context, n2, nPlain int) error {
	pw := l.f.AdminPassword
	if pw == "" {
		b, err := os.ReadFile(filepath.Join(l.f.DataDir, "admin-password"))
		if err != nil {
			return fmt.Errorf("the admin password: set MFAD_ADMIN_PASSWORD or give the server's --data-dir: %w", err)
		}
		pw = strings.TrimSpace(string(b))
	}
	var login struct {
		Status string `json:"status"`
		Access string `json:"access_token"`
	}
	if err := l.post(ctx, "/v1/login", "", map[string]string{"login": l.f.AdminName, "password": pw}, http.StatusOK, &login); err != nil {
		return fmt.Errorf("admin login: %w", err)
	}
	if login.Access == "" {
		return fmt.Errorf("admin login answered %q without a session (2FA on the admin?); use --seed-direct", login.Status)
	}
	admin := login.Access
	total, base := n2+nPlain, len(l.plain)
	l.plain = append(l.plain, make([]string, nPlain)...)
	var done atomic.Int64
	stop := l.ticker(func() { fmt.Fprintf(l.f.Stdout, "seeding: %d/%d users\n", done.Load(), total) })
	defer stop()
	jobs := make(chan int)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range jobs {
				var err error
				if i < n2 {
					err = l.seedOne(ctx, admin, i, -1)
				} else {
					err = l.seedOne(ctx, admin, -1, base+i-n2)
				}
				if err != nil {
					select {
					case errc <- err:
					default:
					}
					continue
				}
				done.Add(1)
			}
		})
	}
	for i := 0; i < total; i++ {
		select {
		case jobs <- i:
			continue
		case err := <-errc:
			close(jobs)
			wg.Wait()
			return err
		case <-ctx.Done():
		}
		break
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
	}
	return ctx.Err()
}

// seedOne creates the user with 2FA number i, or else the one without
// number p.
func (l *loader) seedOne(ctx context.Context, admin string, i, p int) error {
	name := l.name(i)
	if i < 0 {
		name = l.plainName(p)
	}
	if err := l.post(ctx, "/v1/users", admin, map[string]string{"name": name, "password": l.password}, http.StatusCreated, nil); err != nil {
		return fmt.Errorf("creating %s: %w", name, err)
	}
	var login struct {
		Access string `json:"access_token"`
	}
	if err := l.post(ctx, "/v1/login", "", map[string]string{"login": name, "password": l.password}, http.StatusOK, &login); err != nil {
		return fmt.Errorf("logging in %s: %w", name, err)
	}
	if i < 0 {
		l.plain[p] = login.Access
		return nil
	}
	var prep struct {
		Secret string `json:"secret"`
		Token  string `json:"enrollment_token"`
	}
	if err := l.post(ctx, "/v1/users/me/2fa/prepare", login.Access, map[string]string{}, http.StatusOK, &prep); err != nil {
		return fmt.Errorf("preparing 2FA of %s: %w", name, err)
	}
	secret, err := otp.DecodeSecret(prep.Secret)
	if err != nil {
		return err
	}
	key := otp.Key{Secret: secret, Algorithm: otp.SHA1, Digits: otp.DefaultDigits, Period: otp.DefaultPeriod}
	// Confirm with the previous step's code (the window accepts it), so
	// the current step's code is still fresh for the scenarios. A server
	// with --window 0 refuses it: then the current one.
	step := time.Now().Unix()/otp.DefaultPeriod - 1
	for {
		body := map[string]string{"enrollment_token": prep.Token, "code": key.CodeAt(step)}
		err := l.post(ctx, "/v1/users/me/2fa/confirm", login.Access, body, http.StatusOK, nil)
		var se *statusError
		if errors.As(err, &se) && se.status == http.StatusUnauthorized && step < time.Now().Unix()/otp.DefaultPeriod {
			step++
			continue
		}
		if err != nil {
			return fmt.Errorf("confirming 2FA of %s: %w", name, err)
		}
		break
	}
	u := &l.users[i]
	u.key, u.token = key, login.Access
	u.last.Store(step)
	return nil
}

// seedDirect writes n2 users with 2FA and nPlain without straight into
// the server's store, in batches of --batch users per transaction, all
// with one argon2id hash computed once.
func (l *loader) seedDirect(ctx context.Context, n2, nPlain int) error {
	svc, closeSvc, err := l.f.OpenService(ctx)
	if err != nil {
		return err
	}
	defer closeSvc()
	act := auth.System("load")
	hash, err := auth.NewSeeder(svc).HashPassword(ctx, act, l.password)
	if err != nil {
		return err
	}
	total, base := n2+nPlain, len(l.plain)
	l.plain = append(l.plain, make([]string, nPlain)...)
	var done atomic.Int64
	stop := l.ticker(func() { fmt.Fprintf(l.f.Stdout, "seeding: %d/%d users\n", done.Load(), total) })
	defer stop()
	// The previous step counts as used, so the current one is fresh.
	last := time.Now().Unix()/otp.DefaultPeriod - 1
	batch := max(1, min(l.f.Batch, 50_000))
	for lo := 0; lo < total; lo += batch {
		hi := min(lo+batch, total)
		seed := auth.Seed{PasswordHash: hash, SessionTTL: 24 * time.Hour, Users: make([]auth.SeedUser, hi-lo)}
		for i := lo; i < hi; i++ {
			su := &seed.Users[i-lo]
			if i >= n2 {
				su.Name = l.plainName(base + i - n2)
				continue
			}
			su.Name, su.LastStep = l.name(i), last
			su.Secret = make([]byte, otp.DefaultSecretSize)
			rand.Read(su.Secret)
		}
		out, err := auth.NewSeeder(svc).SeedUsers(ctx, act, seed)
		if err != nil {
			return err
		}
		for i := lo; i < hi; i++ {
			if i >= n2 {
				l.plain[base+i-n2] = out[i-lo].AccessToken
				continue
			}
			u := &l.users[i]
			u.key = otp.Key{Secret: seed.Users[i-lo].Secret, Algorithm: otp.SHA1, Digits: otp.DefaultDigits, Period: otp.DefaultPeriod}
			u.token = out[i-lo].AccessToken
			u.last.Store(last)
		}
		done.Store(int64(hi))
	}
	return nil
}

// ticker calls fn every second until stop is called.
func (l *loader) ticker(fn func()) (stop func()) {
	if !l.f.Progress {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fn()
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// --- HTTP

type statusError struct {
	status int
	body   string
}

func (e *statusError) Error() string { return fmt.Sprintf("status %d: %s", e.status, e.body) }

func (l *loader) post(ctx context.Context, path, token string, body any, want int, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.f.URL+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return &statusError{resp.StatusCode, strings.TrimSpace(string(rb))}
	}
	if out != nil {
		return json.Unmarshal(rb, out)
	}
	return nil
}

func (l *loader) get(ctx context.Context, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.f.URL+path, nil)
	if err != nil {
		return err
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return &statusError{resp.StatusCode, ""}
	}
	return nil
}

// --- scenarios

// scenRun is one scenario's counters.
type scenRun struct {
	name      string
	hist      latencyHist
	interval  atomic.Pointer[latencyHist] // the current second's latencies, for the progress line
	requests  atomic.Int64
	ok        atomic.Int64
	errors    atomic.Int64
	missed    atomic.Int64
	exhausted atomic.Int64
	inflight  atomic.Int64
	mu        sync.Mutex
	statuses  map[string]int64
	clean429  int64
}

func (r *scenRun) record(lat time.Duration, status string, ok, clean429 bool) {
	r.hist.record(lat)
	r.interval.Load().record(lat)
	r.requests.Add(1)
	if ok {
		r.ok.Add(1)
	} else {
		r.errors.Add(1)
	}
	r.mu.Lock()
	r.statuses[status]++
	if clean429 {
		r.clean429++
	}
	r.mu.Unlock()
}

// loadReq is one request of a scenario.
type loadReq struct {
	method, path, token string
	body                []byte
}

// request builds the next request of scenario name; ok is false when no
// user may prove a code now (the pool is exhausted for this time step).
func (l *loader) request(name string, now time.Time) (q loadReq, ok bool) {
	switch name {
	case "ceiling":
		return loadReq{method: http.MethodGet, path: "/healthz"}, true
	case "verify":
		i, step, ok := l.take(now)
		if !ok {
			return q, false
		}
		u := &l.users[i]
		return loadReq{http.MethodPost, "/v1/me/verify", u.token, []byte(`{"code":"` + u.key.CodeAt(step) + `"}`)}, true
	case "login", "flood":
		i, step, ok := l.take(now)
		if !ok {
			return q, false
		}
		body := `{"login":"` + l.name(i) + `","password":"` + l.password + `","code":"` + l.users[i].key.CodeAt(step) + `"}`
		return loadReq{http.MethodPost, "/v1/login", "", []byte(body)}, true
	case "second-factor":
		j := l.tcursor.Add(1) - 1
		if j >= uint64(len(l.tickets)) {
			return q, false
		}
		k := l.tickets[j]
		step := now.Unix() / otp.DefaultPeriod
		u := &l.users[k.i]
		if last := u.last.Load(); last < step {
			u.last.CompareAndSwap(last, step)
		}
		body := `{"ticket":"` + k.token + `","code":"` + u.key.CodeAt(step) + `"}`
		return loadReq{http.MethodPost, "/v1/login/second-factor", "", []byte(body)}, true
	case "prepare":
		n := uint64(len(l.plain))
		return loadReq{http.MethodPost, "/v1/users/me/2fa/prepare", l.plain[(l.pcursor.Add(1)-1)%n], []byte(`{}`)}, true
	}
	panic("unknown scenario " + name)
}

// send sends q on c and records the answer, with latency measured from
// start.
func (l *loader) send(r *scenRun, c *rawClient, q loadReq, start time.Time) {
	r.inflight.Add(1)
	defer r.inflight.Add(-1)
	login := r.name == "login" || r.name == "flood" || r.name == "second-factor"
	ans, err := c.do(q.method, q.path, q.token, q.body, login)
	lat := time.Since(start)
	if err != nil {
		kind := "error"
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			kind = "timeout"
		case errors.Is(err, syscall.ECONNRESET):
			kind = "connection reset"
		case errors.Is(err, syscall.ECONNREFUSED):
			kind = "connection refused"
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			kind = "connection closed"
		}
		r.record(lat, kind, false, false)
		return
	}
	status := strconv.Itoa(ans.status)
	want := map[string]int{"ceiling": 200, "verify": 204, "second-factor": 200, "login": 200, "flood": 200, "prepare": 200}[r.name]
	ok := ans.status == want
	if ok && login && !bytes.Contains(ans.body, []byte(`"status":"ok"`)) {
		ok, status = false, status+" without a session"
	}
	clean := ans.status == http.StatusTooManyRequests && ans.retryAfter
	if ans.status == http.StatusTooManyRequests && !clean {
		status += " without Retry-After"
	}
	r.record(lat, status, ok, clean)
}

// newClient returns a client of the server for one worker.
func (l *loader) newClient() *rawClient {
	c, err := newRawClient(l.f.URL, l.f.Timeout)
	if err != nil {
		panic(err) // the URL was checked before seeding
	}
	return c
}

// run runs one scenario and prints its progress and result.
func (l *loader) run(ctx context.Context, name string) scenReport {
	r := &scenRun{name: name, statuses: map[string]int64{}}
	r.interval.Store(new(latencyHist))
	rep := scenReport{Name: name, Mode: "closed", Concurrency: l.f.Concurrency, Rate: l.f.Rate}
	if l.f.Rate > 0 {
		rep.Mode = "open"
	}
	requests := int64(l.f.Requests)
	conc := l.f.Concurrency
	if name == "flood" {
		// All at once, each once: --concurrency logins in flight together.
		rep.Mode, rep.Rate, requests = "burst", 0, int64(conc)
	}
	if name == "second-factor" && (requests == 0 || requests > int64(len(l.tickets))) {
		requests = int64(len(l.tickets)) // each ticket once
	}
	store0 := l.storeCounts(ctx)
	peakFrom := ""
	if l.f.ServerPID > 0 {
		peakFrom = "VmHWM"
		if resetPeakRSS(l.f.ServerPID) != nil {
			peakFrom = "VmRSS sampled every second"
		}
	}
	var peakSampled atomic.Int64
	sampleRSS := func() int64 {
		if l.f.ServerPID <= 0 {
			return 0
		}
		v, err := procStatus(l.f.ServerPID, "VmRSS")
		if err == nil && v > peakSampled.Load() {
			peakSampled.Store(v)
		}
		return v
	}
	rep.ServerStartRSS = round1(float64(sampleRSS()) / (1 << 20))
	serverCPU0, _ := procCPU(max(l.f.ServerPID, 0))
	clientCPU0, _ := procCPU(os.Getpid())

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	hz := l.probe(runCtx)

	start := time.Now()
	end := start.Add(l.f.Duration)
	last, lastN := start, int64(0)
	stopTicker := l.ticker(func() {
		now := time.Now()
		n := r.requests.Load()
		iv := r.interval.Swap(new(latencyHist))
		rss := sampleRSS()
		line := fmt.Sprintf("[%s] %3.0fs %9.0f req/s  p99 %7.2f ms  errors %d  in flight %d",
			name, now.Sub(start).Seconds(), float64(n-lastN)/now.Sub(last).Seconds(),
			ms(iv.quantile(0.99)), r.errors.Load(), r.inflight.Load())
		if rss > 0 {
			line += fmt.Sprintf("  server RSS %.1f MiB", float64(rss)/(1<<20))
		}
		if x := r.exhausted.Load(); x > 0 {
			line += fmt.Sprintf("  users exhausted %d", x)
		}
		fmt.Fprintln(l.f.Stdout, line)
		last, lastN = now, n
	})

	var issued atomic.Int64
	// more reserves the next request, or reports the run over.
	more := func() bool {
		if time.Now().After(end) || runCtx.Err() != nil {
			return false
		}
		return requests == 0 || issued.Add(1) <= requests
	}
	var wg sync.WaitGroup
	if l.f.Rate > 0 && name != "flood" {
		l.openLoop(runCtx, r, conc, end, more)
	} else {
		var gate sync.WaitGroup // a burst starts all its workers together
		gate.Add(1)
		for range conc {
			wg.Go(func() {
				gate.Wait()
				c := l.newClient()
				defer c.close()
				for more() {
					now := time.Now()
					q, ok := l.request(name, now)
					if !ok {
						// Every user proved a code in this step: wait for
						// the next one (the pool, not the server, limits).
						r.exhausted.Add(1)
						next := time.Unix((now.Unix()/otp.DefaultPeriod+1)*otp.DefaultPeriod, 0)
						select {
						case <-time.After(min(time.Until(next), time.Until(end))):
						case <-runCtx.Done():
						}
						if requests > 0 {
							issued.Add(-1)
						}
						continue
					}
					l.send(r, c, q, now)
				}
			})
		}
		gate.Done()
		wg.Wait()
	}
	elapsed := time.Since(start)
	store1 := l.storeCounts(ctx)
	serverCPU1, serr := procCPU(max(l.f.ServerPID, 0))
	clientCPU1, cerr := procCPU(os.Getpid())
	stopTicker()
	cancel()
	h := <-hz
	sampleRSS()

	rep.Seconds = round3(elapsed.Seconds())
	rep.Requests, rep.OK = r.requests.Load(), r.ok.Load()
	rep.PerSecond = round1(float64(rep.Requests) / elapsed.Seconds())
	rep.LatencyMS = latencyReport{ms(r.hist.quantile(0.5)), ms(r.hist.quantile(0.9)), ms(r.hist.quantile(0.99)), ms(r.hist.quantile(1))}
	rep.Statuses = r.statuses
	rep.Errors = rep.Requests - rep.OK
	rep.Lost = rep.Errors - r.clean429
	rep.Missed, rep.Exhausted = r.missed.Load(), r.exhausted.Load()
	rep.Healthz = h
	if store0 != nil && store1 != nil && rep.Requests > 0 {
		rep.Store = store1.minus(store0).per(rep.Requests)
	}
	if n := float64(rep.Requests); n > 0 {
		if serr == nil && l.f.ServerPID > 0 {
			rep.ServerCPUus = round1(float64(serverCPU1-serverCPU0) / 1e3 / n)
		}
		if cerr == nil {
			rep.ClientCPUus = round1(float64(clientCPU1-clientCPU0) / 1e3 / n)
		}
	}
	if l.f.ServerPID > 0 {
		peak := peakSampled.Load()
		if peakFrom == "VmHWM" {
			if v, err := procStatus(l.f.ServerPID, "VmHWM"); err == nil {
				peak = max(peak, v)
			}
		}
		rep.ServerPeakRSS, rep.PeakFrom = round1(float64(peak)/(1<<20)), peakFrom
	}
	l.print(rep)
	return rep
}

// openLoop sends requests on a fixed schedule: request k is due at
// start + k/rate, whether or not earlier ones have been answered, and its
// latency counts from then. At most conc are in flight; the others wait,
// and that wait is part of their latency (no coordinated omission).
func (l *loader) openLoop(ctx context.Context, r *scenRun, conc int, end time.Time, more func() bool) {
	due := make(chan time.Time, conc)
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			c := l.newClient()
			defer c.close()
			for t := range due {
				if q, ok := l.request(r.name, t); ok {
					l.send(r, c, q, t)
				} else {
					r.exhausted.Add(1)
				}
			}
		})
	}
	start := time.Now()
	interval := time.Duration(float64(time.Second) / l.f.Rate)
schedule:
	for k := int64(0); ; k++ {
		t := start.Add(time.Duration(k) * interval)
		if !t.Before(end) || !more() {
			break
		}
		if d := time.Until(t); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				break schedule
			}
		}
		select {
		case due <- t:
		case <-ctx.Done():
			break schedule
		case <-time.After(time.Until(end)):
			// Every worker stayed busy until the end: what was still due
			// was never sent.
			r.missed.Add(int64(end.Sub(t)/interval) + 1)
			break schedule
		}
	}
	close(due)
	wg.Wait()
}

// probe sends GET /healthz every 200 ms on a connection of its own until
// ctx ends, and reports how it went.
func (l *loader) probe(ctx context.Context) <-chan healthzReport {
	out := make(chan healthzReport, 1)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}, Timeout: 10 * time.Second}
	go func() {
		var h healthzReport
		var worst time.Duration
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				h.MaxMS = ms(worst)
				out <- h
				return
			case <-t.C:
			}
			start := time.Now()
			req, _ := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodGet, l.f.URL+"/healthz", nil)
			resp, err := client.Do(req)
			h.Probes++
			if err != nil {
				h.Failures++
				continue
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				h.Failures++
			}
			worst = max(worst, time.Since(start))
		}
	}()
	return out
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
