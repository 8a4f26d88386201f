package postgres_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/store/postgres"
	"github.com/mfad/mfad/store/postgres/pgtest"
	"github.com/mfad/mfad/store/storetest"
)

// mustOpen opens a fresh store in a schema of its own and closes it when
// the test ends.
func mustOpen(t testing.TB, params ...string) (*postgres.DB, string) {
	t.Helper()
	dsn := pgtest.Schema(t, params...)
	return mustOpenURL(t, dsn), dsn
}

func mustOpenURL(t testing.TB, dsn string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestConformance runs the store suite, each subtest in its own schema.
// Pools of 8 connections let the races of the suite run 8 transactions at
// a time against each other.
func TestConformance(t *testing.T) {
	pgtest.URL(t)
	storetest.Run(t, func(t *testing.T) mfad.Store {
		db, _ := mustOpen(t, "pool_max_conns", "8")
		return db
	})
}

// TestSettings: commits wait for the WAL flush, and the store works in the
// schema of its search_path, not in public.
func TestSettings(t *testing.T) {
	db, dsn := mustOpen(t)
	v, err := postgres.ShowInUpdate(t.Context(), db, "synchronous_commit")
	if err != nil || v != "on" {
		t.Errorf("synchronous_commit = %q, %v; want on", v, err)
	}
	// Even when the URL asks for less (set in each write transaction, not
	// as a connection parameter, which a pooler would refuse).
	off := mustOpenURL(t, pgtest.WithParams(t, dsn, "synchronous_commit", "off"))
	if v, err := postgres.ShowInUpdate(t.Context(), off, "synchronous_commit"); err != nil || v != "on" {
		t.Errorf("with synchronous_commit=off in the URL: %q, %v; want on", v, err)
	}
	schema := dsn[strings.Index(dsn, "mfad_test_"):]
	schema = schema[:len("mfad_test_")+16]
	n, err := postgres.QueryInt(t.Context(), db, `SELECT COUNT(*) FROM information_schema.tables
		WHERE table_schema = $1 AND table_name IN ('users', 'logins', 'schema_migrations')`, schema)
	if err != nil || n != 3 {
		t.Errorf("tables in %s: %d, %v; want 3", schema, n, err)
	}
	if db.MaxConns() < 1 {
		t.Errorf("MaxConns = %d", db.MaxConns())
	}
	if small := mustOpenURL(t, pgtest.WithParams(t, dsn, "pool_max_conns", "3")); small.MaxConns() != 3 {
		t.Errorf("pool_max_conns=3 gave a pool of %d", small.MaxConns())
	}
}

// TestTwoHandles runs the replay and lockout races across two pools on one
// schema, as two mfad instances would.
func TestTwoHandles(t *testing.T) {
	a, dsn := mustOpen(t)
	b := mustOpenURL(t, dsn)
	u := &mfad.User{Name: "alice", Role: mfad.RoleUser, PasswordHash: "h"}
	err := a.Update(t.Context(), func(tx mfad.Tx) error {
		if err := tx.CreateUser(u); err != nil {
			return err
		}
		return tx.PutFactor(&mfad.Factor{UserID: u.ID, Secret: "s", Algorithm: "SHA1", Digits: 6, Period: 30})
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	wins, failures := 0, map[int]bool{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 60 {
		db := []*postgres.DB{a, b}[i%2]
		wg.Go(func() {
			<-start
			err := db.Update(t.Context(), func(tx mfad.Tx) error {
				ok, err := tx.AdvanceStep(u.ID, 1, 0)
				if err != nil {
					return err
				}
				got, err := tx.RecordMFAFailure(u.ID, func(int) (time.Time, bool) { return time.Time{}, false })
				if err != nil {
					return err
				}
				mu.Lock()
				defer mu.Unlock()
				if ok {
					wins++
				}
				failures[got.MFAFailures] = true
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	if wins != 1 || len(failures) != 60 {
		t.Errorf("%d AdvanceStep wins (want 1), %d distinct failure counts (want 60)", wins, len(failures))
	}
}

// TestUserIDs: generated ids pass preset ones, a preset id below the
// counter leaves it alone, and a deleted user's id is not handed out again.
func TestUserIDs(t *testing.T) {
	db, _ := mustOpen(t)
	create := func(name string, id int64) int64 {
		t.Helper()
		u := &mfad.User{ID: id, Name: name, Role: mfad.RoleUser, PasswordHash: "h"}
		if err := db.Update(t.Context(), func(tx mfad.Tx) error { return tx.CreateUser(u) }); err != nil {
			t.Fatalf("CreateUser(%s, %d): %v", name, id, err)
		}
		return u.ID
	}
	steps := []struct {
		name     string
		id, want int64
	}{
		{"a", 0, 1}, {"b", 0, 2}, {"preset", 10, 10}, {"c", 0, 11}, {"low", 5, 5}, {"d", 0, 12},
	}
	for _, s := range steps {
		if got := create(s.name, s.id); got != s.want {
			t.Errorf("CreateUser(%s, %d) gave id %d; want %d", s.name, s.id, got, s.want)
		}
	}
	if err := db.Update(t.Context(), func(tx mfad.Tx) error { return tx.DeleteUser(12) }); err != nil {
		t.Fatal(err)
	}
	if got := create("e", 0); got != 13 {
		t.Errorf("after deleting the newest user, the next id is %d; want 13", got)
	}
	// A failed creation rolls its id back with it.
	err := db.Update(t.Context(), func(tx mfad.Tx) error { return tx.CreateUser(&mfad.User{Name: "A", Role: mfad.RoleUser}) })
	if err == nil {
		t.Fatal("CreateUser(A) with a taken name succeeded")
	}
	if got := create("f", 0); got != 14 {
		t.Errorf("after a rolled back creation, the next id is %d; want 14", got)
	}
}

// TestFailedStatementPoisons: after a database error, the transaction
// cannot commit, even if fn swallows the error.
func TestFailedStatementPoisons(t *testing.T) {
	db, _ := mustOpen(t)
	err := db.Update(t.Context(), func(tx mfad.Tx) error {
		_ = tx.CreateSession(&mfad.Session{UserID: 999, AccessHash: []byte("x"), Scope: mfad.ScopeFull})
		return tx.PutSetting("k", "v")
	})
	if err == nil {
		t.Fatal("a transaction went on after a failed statement")
	}
	err = db.View(t.Context(), func(tx mfad.Tx) error { _, err := tx.Setting("k"); return err })
	if err != mfad.ErrNoRows {
		t.Errorf("Setting after the failed transaction: %v; want ErrNoRows", err)
	}
}

// TestServerTime: the server's clock, for mfad selftest, is this machine's
// within a minute (both run here).
func TestServerTime(t *testing.T) {
	db, err := postgres.Open(t.Context(), pgtest.Schema(t), postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := db.ServerTime(t.Context())
	if err != nil || st.Sub(time.Now()).Abs() > time.Minute {
		t.Fatalf("ServerTime = %v, %v", st, err)
	}
}
