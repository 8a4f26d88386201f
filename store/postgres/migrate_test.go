package postgres_test

import (
	"strings"
	"sync"
	"testing"

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
