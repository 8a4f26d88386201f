package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/seal"
)

// app is an opened mfad: its store, key ring and core service.
type app struct {
	cfg   config
	store mfad.Store
	svc   *auth.Service
	log   *slog.Logger
	clock *clock
	keys  string     // where the key ring came from, for messages
	ring  *seal.Ring // the key ring the core seals with
}

// clock is time.Now plus an offset and a skew that only the test build can
// move. The offset is time travel: the server lives later than now (every
// clock it compares with moves too, the database's included). The skew is
// a wrong wall clock: this machine's clock is off, as NTP trouble makes
// it, and the database server's is not.
type clock struct{ offset, skew atomic.Int64 }

func (c *clock) Now() time.Time { return c.Wall().Add(time.Duration(c.offset.Load())) }

// Wall is this machine's clock, right or wrong.
func (c *clock) Wall() time.Time { return time.Now().Add(time.Duration(c.skew.Load())) }

// parse reads flags, the environment and the config file into a config.
// Flags may come before and after the positional arguments
// (mfad user add bob --email b@x.org); "--" ends the flags.
func (e *cmdEnv) parse(name string, args []string, extra func(*flag.FlagSet)) (config, []string, error) {
	fs := flag.NewFlagSet("mfad "+name, flag.ContinueOnError)
	var c config
	c.bind(fs)
	bound := boundNames(fs)
	if extra != nil {
		extra(fs)
	}
	rest, err := e.parseFlags(fs, args)
	if err != nil {
		return c, nil, err
	}
	if err := c.resolve(fs, bound, os.LookupEnv); err != nil {
		return c, nil, err
	}
	return c, rest, nil
}

// parseFlags parses args into fs and returns the positional arguments,
// taking flags wherever they stand. A wrong flag is one line on standard
// error; -h prints the flags to standard output.
func (e *cmdEnv) parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	usage := fs.Usage
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(e.stdout)
			usage()
			return nil, errHelp
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "%s: %v (%s -h lists its flags)\n", fs.Name(), err, fs.Name())
			return nil, errUsage
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// wantArgs checks the number of positional arguments before anything is
// opened, and says in one line what is wrong.
func (e *cmdEnv) wantArgs(rest []string, n int, usage string) error {
	switch {
	case len(rest) < n:
		return e.badArgs("missing argument", usage)
	case len(rest) > n:
		return e.badArgs(fmt.Sprintf("unexpected argument %q", rest[n]), usage)
	}
	return nil
}

// badArgs reports a usage error in one line: what is wrong, then the usage.
func (e *cmdEnv) badArgs(what, usage string) error {
	fmt.Fprintf(e.stderr, "mfad: %s (usage: mfad %s)\n", what, usage)
	return errUsage
}

// logger logs text or JSON to standard error; a line logged with a
// request's context carries its request_id.
func (e *cmdEnv) logger(c config) (*slog.Logger, error) {
	level, err := parseLevel(c.LogLevel)
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.LogFormat {
	case "text":
		return slog.New(httpx.LogHandler(slog.NewTextHandler(e.stderr, opts))), nil
	case "json":
		return slog.New(httpx.LogHandler(slog.NewJSONHandler(e.stderr, opts))), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", c.LogFormat)
}

// open opens an existing mfad: its store and key ring, checked to belong
// together. It creates nothing: an administration command run without the
// server's --config or --data-dir fails, naming the path it looked at,
// instead of making an empty database.
func (e *cmdEnv) open(ctx context.Context, c config) (*app, error) {
	if err := mustExist(c); err != nil {
		return nil, err
	}
	return e.openApp(ctx, c, false)
}

// create opens mfad as serve and init do: a missing data dir, SQLite
// database and key file are created.
func (e *cmdEnv) create(ctx context.Context, c config) (*app, error) {
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	return e.openApp(ctx, c, true)
}

func (e *cmdEnv) openApp(ctx context.Context, c config, create bool) (*app, error) {
	a, err := e.assemble(ctx, c, create)
	if err != nil {
		return nil, err
	}
	if err := a.checkKeys(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// checkKeys holds the key ring against the database's key check values.
func (a *app) checkKeys(ctx context.Context) error {
	err := a.svc.CheckKeys(ctx)
	if errors.Is(err, seal.ErrWrongKey) {
		return fmt.Errorf("the master key (%s) is not the one this database was sealed with: %w", a.keys, err)
	}
	return err
}

// assemble opens the store and the key ring and makes the core, without
// holding the ring against the database (openApp does; selftest reports
// it as a check).
func (e *cmdEnv) assemble(ctx context.Context, c config, create bool) (*app, error) {
	log, err := e.logger(c)
	if err != nil {
		return nil, err
	}
	ring, from, err := loadRing(c, log, create)
	if err != nil {
		return nil, err
	}
	clk := &clock{}
	store, err := openStoreWith(ctx, c, clk.Wall)
	if err != nil {
		return nil, err
	}
	acfg, err := c.authConfig()
	if err != nil {
		store.Close()
		return nil, err
	}
	a := &app{cfg: c, store: store, log: log, clock: clk, keys: from, ring: ring}
	a.svc = auth.New(store, ring, acfg, auth.WithClock(a.clock.Now), auth.WithLogger(log))
	return a, nil
}

// mustExist refuses an embedded database or key file that does not exist.
func mustExist(c config) error {
	st := c.store()
	if f := st.File(c.spec(nil)); f != "" {
		if err := exists(f, "database"); err != nil {
			return err
		}
	}
	if c.MasterKey == "" && !st.Shared { // shared: loadRing says the key must be given
		return exists(keyPath(c), "master key file")
	}
	return nil
}

func exists(path, what string) error {
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no mfad %s at %s: only mfad serve (or mfad init) creates one; give this command the server's --config, --data-dir or --db", what, path)
	}
	return err
}

func (a *app) Close() error { return a.store.Close() }

// openStore opens the database the config names (internal/stores: a
// postgres:// URL is PostgreSQL, migrated unless --no-migrate, then a
// pending migration is an error; anything else the SQLite file, which
// always migrates on open, as one process owns it).
func openStore(ctx context.Context, c config) (mfad.Store, error) {
	return openStoreWith(ctx, c, nil)
}

// openStoreWith is openStore with this machine's clock as the server sees
// it (nil: time.Now), against which PostgreSQL's store finds how far the
// core's clock travelled (the test build's clock).
func openStoreWith(ctx context.Context, c config, wall func() time.Time) (mfad.Store, error) {
	return c.store().Open(ctx, c.spec(wall))
}

// loadRing finds the master key ring: MFAD_MASTER_KEY, else the key file.
// With SQLite and create a missing key file is created (back it up apart
// from the database); with PostgreSQL the key must be given, since every
// instance needs the same one.
func loadRing(c config, log *slog.Logger, create bool) (*seal.Ring, string, error) {
	if c.MasterKey != "" {
		r, err := seal.ParseRing(c.MasterKey)
		if err != nil {
			return nil, "", fmt.Errorf("MFAD_MASTER_KEY: %w", err)
		}
		return r, "MFAD_MASTER_KEY", nil
	}
	path := keyPath(c)
	if st := c.store(); st.Shared {
		r, err := seal.LoadFile(path)
		if err != nil {
			return nil, "", fmt.Errorf("with %s the master key must be given (MFAD_MASTER_KEY or --key-file): %w", st.Where(c.spec(nil)), err)
		}
		return r, path, nil
	}
	if !create {
		r, err := seal.LoadFile(path)
		if err != nil {
			return nil, "", fmt.Errorf("master key file %s: %w", path, err)
		}
		return r, path, nil
	}
	r, created, err := seal.LoadOrCreateFile(path)
	if err != nil {
		return nil, "", err
	}
	if created {
		log.Warn("created a new master key; back it up apart from the database", "path", path)
	}
	return r, path, nil
}

// readSecret reads a password from the environment variable env or the first
// line of standard input, so it never shows in a process listing.
func (e *cmdEnv) readSecret(env string) (string, error) {
	if v := os.Getenv(env); v != "" {
		return v, nil
	}
	b, err := io.ReadAll(io.LimitReader(e.stdin, 4096))
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimRight(line, "\r")
	if line == "" {
		return "", fmt.Errorf("no password: set %s or write it to standard input", env)
	}
	return line, nil
}

// storeName names the store in metrics: postgres or sqlite.
func storeName(c config) string { return c.store().Name }
