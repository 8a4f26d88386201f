package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/mfad/mfad"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/internal/fronts"
	"github.com/mfad/mfad/metrics"
)

func (e *cmdEnv) serve(ctx context.Context, args []string) error {
	c, rest, err := e.parse("serve", args, nil)
	if err != nil {
		return err
	}
	if err := e.wantArgs(rest, 0, "serve [flags] (mfad serve -h lists them)"); err != nil {
		return err
	}
	proxies, err := httpx.ParseProxies(c.TrustedProxies)
	if err != nil {
		return err
	}
	a, err := e.create(ctx, c)
	if err != nil {
		return err
	}
	defer a.Close()
	slog.SetDefault(a.log) // the fronts log through slog's default logger
	m := metrics.New(version(), revision())
	a.svc.Observe = m.Observe
	if sc, ok := a.store.(mfad.StoreCounter); ok {
		m.Store(storeName(c), sc)
	}
	if err := a.bootstrap(ctx); err != nil {
		return err
	}
	a.logSelftest(ctx)
	var tlsCfg *tls.Config
	if c.TLSCert != "" {
		if tlsCfg, err = tlsConfig(c.TLSCert, c.TLSKey, a.log); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	mux := a.routes()
	if err := servePprof(ctx, c.PprofAddr, a.log); err != nil {
		ln.Close()
		return err
	}
	if err := a.startNotifications(ctx); err != nil {
		return err
	}
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{
		Handler:           httpx.Wrap(m.Instrument(mux, fronts.Dialect), proxies, a.log),
		TLSConfig:         tlsCfg,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	go a.maintain(ctx)
	a.log.Info("listening", "addr", ln.Addr().String(), "tls", c.TLSCert != "", "keys", a.keys)
	errc := make(chan error, 1)
	go func() {
		if tlsCfg != nil {
			errc <- srv.ServeTLS(ln, "", "") // the certificate comes from tlsCfg
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// initCmd creates what serve creates on first start (the data dir, the
// SQLite database or PostgreSQL schema, the master key file, the admin
// user) and stops: for installers and scripts that run administration
// commands before the first start.
//
//	mfad init [flags]
func (e *cmdEnv) initCmd(ctx context.Context, args []string) error {
	c, rest, err := e.parse("init", args, nil)
	if err != nil {
		return err
	}
	if err := e.wantArgs(rest, 0, "init [flags]"); err != nil {
		return err
	}
	a, err := e.create(ctx, c)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.bootstrap(ctx); err != nil {
		return err
	}
	where := c.store().Where(c.spec(nil))
	fmt.Fprintf(e.stdout, "mfad is set up: database %s, master key %s\n", where, a.keys)
	return nil
}

// routes mounts every front on one mux.
func (a *app) routes() *http.ServeMux {
	mux := http.NewServeMux()
	origins, _ := httpx.ParseOrigins(a.cfg.CORSOrigins) // validated at start
	fronts.Mount(mux, fronts.Deps{Svc: a.svc, CORSOrigins: origins,
		TchmiOrigins: list(a.cfg.TchmiOrigins), PublicHosts: list(a.cfg.PublicHosts)})
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("GET /readyz", a.readyz) // GET /metrics: see serve
	testHooks(mux, a)
	return mux
}

// bootstrap creates the first admin on an empty database. Its password
// comes from MFAD_ADMIN_PASSWORD or is made up and written to a 0600 file;
// only the file's path is logged.
func (a *app) bootstrap(ctx context.Context) error {
	pw, fromEnv := a.cfg.AdminPassword, a.cfg.AdminPassword != ""
	if !fromEnv {
		pw = randomPassword(24)
	}
	created, err := a.svc.Bootstrap(ctx, a.cfg.AdminName, a.cfg.AdminEmail, pw)
	if err != nil || !created {
		return err
	}
	if fromEnv {
		a.log.Info("created admin user", "name", a.cfg.AdminName, "email", a.cfg.AdminEmail, "password", "from MFAD_ADMIN_PASSWORD")
		return nil
	}
	path := filepath.Join(a.cfg.DataDir, "admin-password")
	if err := os.WriteFile(path, []byte(pw+"\n"), 0o600); err != nil {
		return fmt.Errorf("writing the admin password file: %w", err)
	}
	a.log.Info("created admin user; its password is in a file readable only by this user", "name", a.cfg.AdminName, "email", a.cfg.AdminEmail, "password_file", path)
	return nil
}

// maintain prunes expired rows and old audit events once an hour.
func (a *app) maintain(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := a.svc.PruneAudit(ctx, a.cfg.AuditRetention); err != nil {
			a.log.Warn("pruning failed", "err", err)
		} else if n > 0 {
			a.log.Info("pruned audit events", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func randomPassword(n int) string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, n)
	for i := range b {
		v, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			panic(err)
		}
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}

// list splits a comma-separated setting, dropping empty entries.
func list(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
