package sqlite

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mfad/mfad"
)

// TestCheckpointer: commits reach the database file while the database is
// open, though the writer never checkpoints (wal_autocheckpoint=0) and the
// WAL stays far below SQLite's own threshold of 1,000 pages.
func TestCheckpointer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mfad.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	before := fileSize(t, path)
	for i := range 200 {
		if err := db.Update(t.Context(), func(tx mfad.Tx) error { return createIn(tx, fmt.Sprintf("cp%d", i)) }); err != nil {
			t.Fatal(err)
		}
	}
	// Wait for the checkpointer (it pauses between rounds); a deadline only
	// bounds a failing run.
	for deadline := time.Now().Add(30 * time.Second); fileSize(t, path) <= before; {
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes after 200 commits: nothing checkpointed", before)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !userNamed(t, db, "cp199") {
		t.Error("last user missing")
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestCloseTwice: a second Close, as deferred cleanups do after an explicit
// one, is harmless.
func TestCloseTwice(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "mfad.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
