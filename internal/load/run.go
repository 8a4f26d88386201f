// Package load seeds users with 2FA on into a running mfad server, then
// drives scenarios against it and reports throughput, latency and errors.
// It is the tool behind BENCHMARKS.md; `mfad load` parses its flags into
// Options and calls Run.
//
// Its files by job: options.go (the flags, the scenarios), run.go (Run and
// the pool of seeded users), seed.go (seeding through the API, or
// directly into the store, and the users file), scenario.go (each
// scenario's requests, closed and open loops, the health probe), http.go
// (the requests), report.go (the report and the summary), stats.go
// (latency histograms, CPU and memory), storecounts.go (the store's work
// per request).
package load

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mfad/mfad/otp"
)

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
