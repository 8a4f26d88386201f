package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/internal/load"
)

// load parses the flags of mfad load; the generator itself is
// internal/load, so the server's command carries only its wiring.
func (e *cmdEnv) load(ctx context.Context, args []string) error {
	f := load.Options{Stdout: e.stdout}
	var scen string
	c, rest, err := e.parse("load", args, func(fs *flag.FlagSet) {
		fs.Usage = func() { fmt.Fprint(e.stderr, load.Usage, "\nFlags:\n"); fs.PrintDefaults() }
		fs.StringVar(&f.URL, "url", "http://127.0.0.1:8080", "base URL of the running server")
		fs.StringVar(&scen, "scenario", "verify", "scenarios to run, comma-separated: "+strings.Join(load.Scenarios, ", "))
		fs.IntVar(&f.Users, "users", 1000, "users to seed, with 2FA on")
		fs.DurationVar(&f.Duration, "duration", 10*time.Second, "how long each scenario runs")
		fs.IntVar(&f.Concurrency, "concurrency", 16, "requests in flight (closed loop), or at most in flight (open loop)")
		fs.Float64Var(&f.Rate, "rate", 0, "open loop: requests per second on a fixed schedule (0: closed loop)")
		fs.BoolVar(&f.SeedDirect, "seed-direct", false, "seed straight into the server's store (give its --data-dir or --db and key); for many users")
		fs.IntVar(&f.Batch, "batch", 10000, "users per transaction with --seed-direct")
		fs.StringVar(&f.JSONPath, "json", "", "also write the results as JSON to this file (- for standard output)")
		fs.IntVar(&f.ServerPID, "server-pid", 0, "process id of the server, for its peak RSS (0: find the process listening on a loopback --url; -1: none)")
		fs.IntVar(&f.Requests, "requests", 0, "stop each scenario after this many requests (0: only --duration ends it)")
		fs.DurationVar(&f.Timeout, "timeout", 60*time.Second, "timeout of one request")
		fs.BoolVar(&f.Progress, "progress", true, "print a progress line every second")
		fs.IntVar(&f.Tickets, "tickets", 20000, "login tickets made straight in the store for the second-factor scenario, each used once (give --data-dir or --db and the key)")
		fs.StringVar(&f.UsersFile, "users-file", "", "keep the seeded users (names, secrets, tokens: test users only) in this file, and reuse them when it exists")
	})
	if err != nil {
		return err
	}
	if err := e.wantArgs(rest, 0, "load [flags] (mfad load -h lists them)"); err != nil {
		return err
	}
	if f.Scenarios, err = load.ParseScenarios(scen); err != nil {
		return err
	}
	f.AdminName, f.AdminPassword, f.DataDir = c.AdminName, c.AdminPassword, c.DataDir
	f.OpenService = func(ctx context.Context) (*auth.Service, func() error, error) {
		a, err := e.open(ctx, c)
		if err != nil {
			return nil, nil, err
		}
		return a.svc, a.Close, nil
	}
	return load.Run(ctx, f)
}
