package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mfad/mfad/otp"
)

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
