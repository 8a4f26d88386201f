package postgres_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/store/postgres"
	"github.com/mfad/mfad/store/postgres/pgtest"
)

// TestConcurrentMigrate: several processes starting at once on an empty
// schema all open it, and each migration runs once. Five schemas, eight
// openers each, released together: the race on creating schema_migrations
// itself shows up in a few rounds.
func TestConcurrentMigrate(t *testing.T) {
	for range 5 {
		dsn := pgtest.Schema(t)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 8 {
			wg.Go(func() {
				<-start
				db, err := postgres.Open(t.Context(), dsn, postgres.Options{})
				if err != nil {
					t.Error(err)
					return
				}
				db.Close()
			})
		}
		close(start)
		wg.Wait()
		db := mustOpenURL(t, dsn)
		n, err := postgres.QueryInt(t.Context(), db, `SELECT COUNT(*) FROM schema_migrations WHERE version = 1`)
		if err != nil || n != 1 {
			t.Errorf("migration 1 recorded %d times, %v", n, err)
		}
		if p, err := db.Pending(t.Context()); err != nil || p != 0 {
			t.Errorf("Pending = %d, %v; want 0", p, err)
		}
	}
}

// TestNoMigrate: with NoMigrate, Open refuses an empty or outdated schema
// and changes nothing; after Migrate it opens.
func TestNoMigrate(t *testing.T) {
	dsn := pgtest.Schema(t)
	_, err := postgres.Open(t.Context(), dsn, postgres.Options{NoMigrate: true})
	if err == nil || !strings.Contains(err.Error(), "mfad migrate") {
		t.Fatalf("Open(NoMigrate) on an empty schema: %v; want a pending migration error", err)
	}
	if err := pgtest.Exec(dsn, `SELECT 1 FROM schema_migrations`); err == nil {
		t.Errorf("Open(NoMigrate) created schema_migrations")
	}
	db := mustOpenURL(t, dsn) // migrates
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}
	v, err := db.SchemaVersion(t.Context())
	if err != nil || v < 1 {
		t.Fatalf("SchemaVersion = %d, %v", v, err)
	}
	ready, err := postgres.Open(t.Context(), dsn, postgres.Options{NoMigrate: true})
	if err != nil {
		t.Fatalf("Open(NoMigrate) on a migrated schema: %v", err)
	}
	ready.Close()
}

// TestSchemaChecks: Pending counts what is missing, and a database from a
// newer mfad is refused.
func TestSchemaChecks(t *testing.T) {
	db, dsn := mustOpen(t)
	if err := pgtest.Exec(dsn, `DELETE FROM schema_migrations WHERE version = 1`); err != nil {
		t.Fatal(err)
	}
	if n, err := db.Pending(t.Context()); err != nil || n != 1 {
		t.Errorf("Pending = %d, %v; want 1", n, err)
	}
	if _, err := postgres.Open(t.Context(), dsn, postgres.Options{NoMigrate: true}); err == nil {
		t.Errorf("Open(NoMigrate) accepted a pending migration")
	}
	if err := pgtest.Exec(dsn, `INSERT INTO schema_migrations VALUES (1, 'x', 0), (9999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	if v, err := db.SchemaVersion(t.Context()); err != nil || v != 9999 {
		t.Errorf("SchemaVersion = %d, %v; want 9999", v, err)
	}
	for _, o := range []postgres.Options{{}, {NoMigrate: true}} {
		if db2, err := postgres.Open(t.Context(), dsn, o); err == nil {
			db2.Close()
			t.Errorf("Open(%+v) accepted a database with a newer schema", o)
		}
	}
}

// TestReopen: data survives closing, and reopening migrates nothing.
func TestReopen(t *testing.T) {
	db, dsn := mustOpen(t)
	u := &mfad.User{Name: "alice", Role: mfad.RoleUser, PasswordHash: "h"}
	if err := db.Update(t.Context(), func(tx mfad.Tx) error { return tx.CreateUser(u) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = mustOpenURL(t, dsn)
	err := db.View(t.Context(), func(tx mfad.Tx) error {
		got, err := tx.UserByLogin("ALICE")
		if err == nil && got.ID != u.ID {
			t.Errorf("reopened: user %d; want %d", got.ID, u.ID)
		}
		return err
	})
	if err != nil {
		t.Errorf("reopened: %v", err)
	}
}

// TestMigrationsIdempotent: every migration runs again on a migrated
// database without an error and without changing its data, as it must on
// an engine that commits before DDL (CockroachDB's autocommit_before_ddl),
// where a crash may leave a migration's DDL applied and unrecorded.
func TestMigrationsIdempotent(t *testing.T) {
	db := mustOpenURL(t, pgtest.Schema(t))
	if err := db.Update(t.Context(), func(tx mfad.Tx) error {
		return tx.CreateUser(&mfad.User{Name: "kept", Role: mfad.RoleUser, PasswordHash: "x", CreatedAt: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	if err := postgres.ReapplyAll(t.Context(), db); err != nil {
		t.Fatalf("a migration is not idempotent: %v", err)
	}
	if n, err := postgres.QueryInt(t.Context(), db, `SELECT COUNT(*) FROM users`); err != nil || n != 1 {
		t.Fatalf("users after running the migrations again: %d, %v", n, err)
	}
	if n, err := postgres.QueryInt(t.Context(), db, `SELECT last FROM id_counters WHERE name = 'users'`); err != nil || n != 1 {
		t.Fatalf("the users id counter after running the migrations again: %d, %v", n, err)
	}
}

// TestMigrationLease: the migration lock is a lease, not a row lock held
// across DDL. A live lease of another process makes Migrate wait (here
// until its context ends); one that ran out (a process that died
// migrating) is taken over; Migrate leaves the lease free.
func TestMigrationLease(t *testing.T) {
	dsn := pgtest.Schema(t)
	db := mustOpenURL(t, dsn)
	hold := `UPDATE schema_migrations SET name = 'lock:other', applied_at = (extract(epoch from clock_timestamp()) * 1000000)::bigint * 1000 + $1 WHERE version = 0`
	if err := postgres.Exec(t.Context(), db, hold, int64(time.Hour)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if err := db.Migrate(ctx); err == nil || !strings.Contains(err.Error(), "lease") {
		t.Fatalf("Migrate while another process holds a live lease: %v", err)
	}
	if err := postgres.Exec(t.Context(), db, hold, -int64(time.Second)); err != nil { // it ran out
		t.Fatal(err)
	}
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate after the other's lease ran out: %v", err)
	}
	if n, err := postgres.QueryInt(t.Context(), db, `SELECT COUNT(*) FROM schema_migrations WHERE version = 0 AND name = 'lock' AND applied_at = 0`); err != nil || n != 1 {
		t.Fatalf("the lease after Migrate: %d free rows, %v", n, err)
	}
}
