package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/store/sqlite"
)

// TestTwoHandles runs the replay and lockout races across two handles on
// one file, as two mfad processes would: their writers meet in SQLite's
// locks, not in one connection pool.
func TestTwoHandles(t *testing.T) {
	a, path := mustOpen(t)
	b := mustOpenPath(t, path)
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
	for i := range 60 {
		db := []*sqlite.DB{a, b}[i%2]
		wg.Go(func() {
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
	wg.Wait()
	if wins != 1 || len(failures) != 60 {
		t.Errorf("%d AdvanceStep wins (want 1), %d distinct failure counts (want 60)", wins, len(failures))
	}
}

// TestConcurrentOpen: several processes starting at once on a new file
// all open it, and the migrations run once.
func TestConcurrentOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mfad.db")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			db, err := sqlite.Open(t.Context(), path)
			if err != nil {
				t.Error(err)
				return
			}
			db.Close()
		})
	}
	wg.Wait()
	raw := openRaw(t, path)
	var n int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM schema_migrations WHERE version = 1`).Scan(&n); err != nil || n != 1 {
		t.Errorf("migration 1 recorded %d times, %v", n, err)
	}
}

// TestSchemaChecks: Pending counts what is missing, and a database from a
// newer mfad is refused.
func TestSchemaChecks(t *testing.T) {
	db, path := mustOpen(t)
	raw := openRaw(t, path)
	if _, err := raw.Exec(`DELETE FROM schema_migrations WHERE version = 1`); err != nil {
		t.Fatal(err)
	}
	if n, err := db.Pending(t.Context()); err != nil || n != 1 {
		t.Errorf("Pending = %d, %v; want 1", n, err)
	}
	if _, err := raw.Exec(`INSERT INTO schema_migrations VALUES (1, 'x', 0), (9999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	if v, err := db.SchemaVersion(t.Context()); err != nil || v != 9999 {
		t.Errorf("SchemaVersion = %d, %v; want 9999", v, err)
	}
	if db2, err := sqlite.Open(t.Context(), path); err == nil {
		db2.Close()
		t.Errorf("Open accepted a database with a newer schema")
	}
}

// openRaw opens the file with the driver alone, around the store.
func openRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}
