package postgres_test

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/store/postgres"
	"github.com/mfad/mfad/store/postgres/pgtest"
	"github.com/mfad/mfad/store/storetest"
)

// poolerParams are what a URL through a transaction pooler needs: pgx's
// statements in a mode that names no prepared statement across
// transactions (docs: README "Running several instances").
var poolerParams = []string{"default_query_exec_mode", "exec"}

// TestConformanceThroughPgBouncer runs the store suite, races included,
// through a real PgBouncer in transaction pooling mode, each subtest on a
// database of its own: no startup parameter it refuses (synchronous_commit
// is set in each write transaction) and no prepared statement outliving a
// transaction.
func TestConformanceThroughPgBouncer(t *testing.T) {
	b := pgtest.StartBouncer(t)
	storetest.Run(t, func(t *testing.T) mfad.Store {
		db, err := postgres.Open(t.Context(), b.Database(t, append(poolerParams, "pool_max_conns", "8")...), postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}

// TestPgBouncerDurableAndConcurrent: through the pooler a write
// transaction still commits with synchronous_commit on, and 32 concurrent
// writers on 8 pooled server connections (the default statement mode
// names prepared statements, which a pooler hands to the wrong client)
// meet no error.
func TestPgBouncerDurableAndConcurrent(t *testing.T) {
	b := pgtest.StartBouncer(t)
	db, err := postgres.Open(t.Context(), b.Database(t, append(poolerParams, "pool_max_conns", "32")...), postgres.Options{})
	if err != nil {
		t.Fatalf("Open through PgBouncer: %v", err)
	}
	defer db.Close()
	if v, err := postgres.ShowInUpdate(t.Context(), db, "synchronous_commit"); err != nil || v != "on" {
		t.Errorf("synchronous_commit through the pooler = %q, %v; want on", v, err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 32*20)
	for w := range 32 {
		wg.Go(func() {
			for i := range 20 {
				err := db.Update(t.Context(), func(tx mfad.Tx) error {
					u := &mfad.User{Name: "u" + strings.Repeat("x", w%3) + time.Now().Format("150405.000000000") + string(rune('a'+w)) + string(rune('a'+i%26)),
						Role: mfad.RoleUser, PasswordHash: "x", CreatedAt: time.Now()}
					if err := tx.CreateUser(u); err != nil {
						return err
					}
					_, err := tx.UserByID(u.ID)
					return err
				})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a write through the pooler: %v", err)
	}
	n, err := postgres.QueryInt(t.Context(), db, `SELECT COUNT(*) FROM users`)
	if err != nil || n != 32*20 {
		t.Errorf("%d users, %v; want %d", n, err, 32*20)
	}
}

// TestPoolerDetected: with nothing but the URL a user already has (no
// statement mode in it), the store finds it talks to a transaction pooler
// and names no prepared statement: 32 concurrent writers meet no error.
// Directly on PostgreSQL it keeps its prepared statements.
func TestPoolerDetected(t *testing.T) {
	b := pgtest.StartBouncer(t)
	db, err := postgres.Open(t.Context(), b.Database(t, "pool_max_conns", "32"), postgres.Options{})
	if err != nil {
		t.Fatalf("Open through PgBouncer with a plain URL: %v", err)
	}
	defer db.Close()
	if m := postgres.ExecMode(db); m != "exec" {
		t.Errorf("through the pooler: statement mode %s, want exec", m)
	}
	var wg sync.WaitGroup
	var failed atomic.Int32
	for w := range 32 {
		wg.Go(func() {
			for i := range 10 {
				err := db.Update(t.Context(), func(tx mfad.Tx) error {
					u := &mfad.User{Name: fmt.Sprintf("p%d-%d", w, i), Role: mfad.RoleUser, PasswordHash: "x", CreatedAt: time.Now()}
					if err := tx.CreateUser(u); err != nil {
						return err
					}
					_, err := tx.UserByID(u.ID)
					return err
				})
				if err != nil {
					failed.Add(1)
					t.Log(err)
				}
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n != 0 {
		t.Errorf("%d of 320 writes through the pooler failed", n)
	}
	direct, _ := mustOpen(t)
	if m := postgres.ExecMode(direct); m != "cache statement" {
		t.Errorf("directly on PostgreSQL: statement mode %s, want cache statement", m)
	}
}
