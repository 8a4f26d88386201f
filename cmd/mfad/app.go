package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/seal"
	"github.com/mfad/mfad/store/postgres"
	"github.com/mfad/mfad/store/sqlite"
)

// app is an opened mfad: its store, key ring and core service.
type app struct {
	cfg   config
	store mfad.Store
	svc   *auth.Service
	log   *slog.Logger
	clock *clock
	keys  string // where the key ring came from, for messages
}

// clock is time.Now plus an offset that only the test build can move.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// parse reads flags, the environment and the config file into a config.
func (e *cmdEnv) parse(name string, args []string, extra func(*flag.FlagSet)) (config, []string, error) {
	fs := flag.NewFlagSet("mfad "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var c config
	c.bind(fs)
	bound := boundNames(fs)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return c, nil, errUsage
	}
	if err := c.resolve(fs, bound, os.LookupEnv); err != nil {
		return c, nil, err
	}
	return c, fs.Args(), nil
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

// open opens the store and key ring and checks that they belong together.
func (e *cmdEnv) open(ctx context.Context, c config) (*app, error) {
	log, err := e.logger(c)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	ring, from, err := loadRing(c, log)
	if err != nil {
		return nil, err
	}
	store, err := openStore(ctx, c)
	if err != nil {
		return nil, err
	}
	acfg, err := c.authConfig()
	if err != nil {
		store.Close()
		return nil, err
	}
	a := &app{cfg: c, store: store, log: log, clock: &clock{}, keys: from}
	a.svc = auth.New(store, ring, acfg, auth.WithClock(a.clock.Now), auth.WithLogger(log))
	if err := a.svc.CheckKeys(ctx); err != nil {
		store.Close()
		if errors.Is(err, seal.ErrWrongKey) {
			return nil, fmt.Errorf("the master key (%s) is not the one this database was sealed with: %w", from, err)
		}
		return nil, err
	}
	return a, nil
}

func (a *app) Close() error { return a.store.Close() }

// openStore opens the database the config names: PostgreSQL for a
// postgres:// URL, migrated unless --no-migrate (then a pending migration is
// an error), else the SQLite file, which always migrates on open (one
// process owns it).
func openStore(ctx context.Context, c config) (mfad.Store, error) {
	if c.postgres() {
		return postgres.Open(ctx, c.DB, postgres.Options{NoMigrate: c.NoMigrate})
	}
	path := c.DB
	if path == "" {
		path = filepath.Join(c.DataDir, "mfad.db")
	}
	return sqlite.Open(ctx, path)
}

// loadRing finds the master key ring: MFAD_MASTER_KEY, else the key file.
// With SQLite a missing key file is created (back it up apart from the
// database); with PostgreSQL the key must be given, since every instance
// needs the same one.
func loadRing(c config, log *slog.Logger) (*seal.Ring, string, error) {
	if c.MasterKey != "" {
		r, err := seal.ParseRing(c.MasterKey)
		if err != nil {
			return nil, "", fmt.Errorf("MFAD_MASTER_KEY: %w", err)
		}
		return r, "MFAD_MASTER_KEY", nil
	}
	path := c.KeyFile
	if path == "" {
		path = filepath.Join(c.DataDir, "master.key")
	}
	if c.postgres() {
		r, err := seal.LoadFile(path)
		if err != nil {
			return nil, "", fmt.Errorf("with PostgreSQL the master key must be given (MFAD_MASTER_KEY or --key-file): %w", err)
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
