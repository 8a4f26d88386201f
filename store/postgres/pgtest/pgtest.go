// Package pgtest gives tests their own PostgreSQL schema on the server
// named by MFAD_TEST_POSTGRES, so parallel tests and parallel runs never
// meet. It is for tests only.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env is the environment variable that names the test server, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const Env = "MFAD_TEST_POSTGRES"

// URL returns the test server's URL, skipping the test when Env is unset.
func URL(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(Env)
	if dsn == "" {
		t.Skip(Env + " is not set: no PostgreSQL to test against")
	}
	return dsn
}

// Schema creates a new empty schema mfad_test_<random> on the test server
// and returns a URL whose search_path is that schema (with params added to
// the query, e.g. "pool_max_conns", "8"). The schema is dropped, with all
// it holds, when the test ends (after the cleanups registered later, such
// as closing the stores that use it).
func Schema(t testing.TB, params ...string) string {
	t.Helper()
	base := URL(t)
	b := make([]byte, 8)
	rand.Read(b)
	name := "mfad_test_" + hex.EncodeToString(b)
	if err := Exec(base, `CREATE SCHEMA `+name); err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	t.Cleanup(func() {
		if err := Exec(base, `DROP SCHEMA IF EXISTS `+name+` CASCADE`); err != nil {
			t.Errorf("%s: %v", Env, err)
		}
	})
	return WithParams(t, base, append([]string{"search_path", name}, params...)...)
}

// WithParams returns dsn with the given key, value pairs set in its query.
func WithParams(t testing.TB, dsn string, kv ...string) string {
	t.Helper()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		for i := 0; i+1 < len(kv); i += 2 { // keyword/value form
			dsn += " " + kv[i] + "=" + kv[i+1]
		}
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Exec runs one statement on its own connection to dsn.
func Exec(dsn, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

// Count runs a query returning one integer on its own connection to dsn.
func Count(dsn, sql string) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int64
	err = conn.QueryRow(ctx, sql).Scan(&n)
	return n, err
}
