package sqlite_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/store/sqlite"
	"github.com/mfad/mfad/store/storetest"
)

// mustOpen opens a fresh database file in a temporary directory and closes
// it when the test ends.
func mustOpen(t testing.TB) (*sqlite.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mfad.db")
	return mustOpenPath(t, path), path
}

func mustOpenPath(t testing.TB, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) mfad.Store {
		db, _ := mustOpen(t)
		return db
	})
}

func TestConformanceMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	storetest.Run(t, func(t *testing.T) mfad.Store { return mustOpenPath(t, ":memory:") })
}

func TestFileModes(t *testing.T) {
	db, path := mustOpen(t)
	if err := db.Update(t.Context(), func(tx mfad.Tx) error { return tx.PutSetting("k", "v") }); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("%s: mode %o; want 600", filepath.Base(name), got)
		}
	}
}

func TestPragmas(t *testing.T) {
	db, _ := mustOpen(t)
	writerOnly := map[string]bool{"synchronous": true, "temp_store": true, "cache_size": true, "wal_autocheckpoint": true}
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
		{"busy_timeout", "10000"},
		{"temp_store", "2"},         // MEMORY, writer only
		{"cache_size", "-16384"},    // KiB, writer only
		{"wal_autocheckpoint", "0"}, // writer only: checkpoint.go checkpoints
	}
	for _, tt := range tests {
		got, err := sqlite.Pragma(t.Context(), db, tt.pragma)
		if err != nil {
			t.Fatal(err)
		}
		for pool, v := range got {
			if pool == "writer" || !writerOnly[tt.pragma] {
				if v != tt.want {
					t.Errorf("%s pool: PRAGMA %s = %s; want %s", pool, tt.pragma, v, tt.want)
				}
			}
		}
	}
}

func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mfad.db")
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	u := &mfad.User{Name: "alice", Role: mfad.RoleUser, PasswordHash: "h"}
	if err := db.Update(t.Context(), func(tx mfad.Tx) error { return tx.CreateUser(u) }); err != nil {
		t.Fatal(err)
	}
	v1, err := db.SchemaVersion(t.Context())
	if err != nil || v1 == 0 {
		t.Fatalf("SchemaVersion = %d, %v", v1, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = mustOpenPath(t, path) // migrations run again: nothing to do
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}
	v2, err := db.SchemaVersion(t.Context())
	if err != nil || v2 != v1 {
		t.Errorf("SchemaVersion after reopen = %d, %v; want %d", v2, err, v1)
	}
	if n, err := db.Pending(t.Context()); err != nil || n != 0 {
		t.Errorf("Pending = %d, %v; want 0", n, err)
	}
	err = db.View(t.Context(), func(tx mfad.Tx) error {
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
