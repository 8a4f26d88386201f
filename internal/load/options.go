package load

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/mfad/mfad/auth"
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
