package load

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mfad/mfad/auth"
)

// storeCounts are the server's mfad_store_*_total counters at one moment.
type storeCounts struct {
	statements   map[string]float64 // by op
	roundTrips   float64
	transactions float64
}

// storeReport is a scenario's store work per request, measured from the
// server's counters before and after it (the /healthz probes of the run
// count too, but touch no store).
type storeReport struct {
	Statements   float64            `json:"statements"`
	ByOp         map[string]float64 `json:"statements_by_op"`
	RoundTrips   float64            `json:"round_trips"`
	Transactions float64            `json:"transactions"`
}

// storeCounts scrapes GET /metrics; nil if the server exports no store
// counters (or no metrics).
func (l *loader) storeCounts(ctx context.Context) *storeCounts {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.f.URL+"/metrics", nil)
	if err != nil {
		return nil
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return nil
	}
	return parseStoreCounts(resp.Body)
}

// parseStoreCounts reads the store counters out of the Prometheus text
// format.
func parseStoreCounts(r io.Reader) *storeCounts {
	c := &storeCounts{statements: map[string]float64{}}
	found := false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		name, rest, ok := strings.Cut(line, "{")
		if !ok || !strings.HasPrefix(name, "mfad_store_") {
			continue
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			continue
		}
		found = true
		switch name {
		case "mfad_store_statements_total":
			c.statements[label(labels, "op")] += v
		case "mfad_store_round_trips_total":
			c.roundTrips += v
		case "mfad_store_transactions_total":
			if label(labels, "kind") != "retry" { // retries are counted as updates too
				c.transactions += v
			}
		}
	}
	if !found {
		return nil
	}
	return c
}

// label returns the value of label name in a Prometheus label list.
func label(labels, name string) string {
	for part := range strings.SplitSeq(labels, ",") {
		k, v, _ := strings.Cut(part, "=")
		if k == name {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

func (c *storeCounts) minus(o *storeCounts) *storeCounts {
	d := &storeCounts{statements: map[string]float64{}, roundTrips: c.roundTrips - o.roundTrips,
		transactions: c.transactions - o.transactions}
	for op, v := range c.statements {
		d.statements[op] = v - o.statements[op]
	}
	return d
}

func (c *storeCounts) per(n int64) *storeReport {
	r := &storeReport{ByOp: map[string]float64{}, RoundTrips: round2(c.roundTrips / float64(n)),
		Transactions: round2(c.transactions / float64(n))}
	total := 0.0
	for op, v := range c.statements {
		total += v
		if v > 0 {
			r.ByOp[op] = round2(v / float64(n))
		}
	}
	r.Statements = round2(total / float64(n))
	return r
}

// byOp lists the statements per request by kind, most first.
func (r *storeReport) byOp() string {
	ops := slices.Collect(maps.Keys(r.ByOp))
	slices.SortFunc(ops, func(a, b string) int {
		if r.ByOp[a] != r.ByOp[b] {
			return int(math.Copysign(1, r.ByOp[b]-r.ByOp[a]))
		}
		return strings.Compare(a, b)
	})
	var parts []string
	for _, op := range ops {
		parts = append(parts, fmt.Sprintf("%s %.2f", op, r.ByOp[op]))
	}
	return strings.Join(parts, ", ")
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// seedTickets makes --tickets login tickets straight in the store for the
// users after the round robin's cursor (so none proves a code twice in a
// step), for the second-factor scenario.
func (l *loader) seedTickets(ctx context.Context) error {
	if l.f.OpenService == nil {
		return fmt.Errorf("needs the server's store (--data-dir or --db, and its key) to make login tickets")
	}
	n := min(max(l.f.Tickets, 1), len(l.users))
	svc, closeSvc, err := l.f.OpenService(ctx)
	if err != nil {
		return err
	}
	defer closeSvc()
	start := time.Now()
	first := int((l.cursor.Add(uint64(n)) - uint64(n)) % uint64(len(l.users)))
	l.tickets = make([]ticket, 0, n)
	l.tcursor.Store(0)
	const batch = 10_000
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		names := make([]string, 0, hi-lo)
		idx := make([]int, 0, hi-lo)
		for k := lo; k < hi; k++ {
			i := (first + k) % len(l.users)
			names, idx = append(names, l.name(i)), append(idx, i)
		}
		tokens, err := auth.NewSeeder(svc).SeedTickets(ctx, auth.System("load"), names, 10*time.Minute)
		if err != nil {
			return err
		}
		for k, tok := range tokens {
			l.tickets = append(l.tickets, ticket{i: idx[k], token: tok})
		}
	}
	fmt.Fprintf(l.f.Stdout, "made %d login tickets straight in the store in %.1f s\n", n, time.Since(start).Seconds())
	return nil
}
