package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/store/sqlite"
)

// TestBackup copies a database while a writer changes it: the copy is one
// consistent snapshot (two values written together are equal in it), a
// complete database at the current schema, and mode 0600.
func TestBackup(t *testing.T) {
	db, _ := mustOpen(t)
	ctx := t.Context()
	put := func(i int) error {
		return db.Update(ctx, func(tx mfad.Tx) error {
			if err := tx.PutSetting("a", strconv.Itoa(i)); err != nil {
				return err
			}
			return tx.PutSetting("b", strconv.Itoa(i))
		})
	}
	if err := put(0); err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 1; wctx.Err() == nil; i++ {
			if err := put(i); err != nil && wctx.Err() == nil {
				t.Error(err)
				return
			}
		}
	})
	dir := t.TempDir()
	var paths []string
	for i := range 3 {
		p := filepath.Join(dir, "backup"+strconv.Itoa(i)+".db")
		if err := db.Backup(ctx, p); err != nil {
			t.Fatalf("Backup: %v", err)
		}
		paths = append(paths, p)
	}
	stop()
	wg.Wait()

	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("backup mode %o, want 600", fi.Mode().Perm())
		}
		for _, side := range []string{"-wal", "-shm"} {
			if _, err := os.Stat(p + side); err == nil {
				t.Errorf("backup left a %s file", side)
			}
		}
		copyDB := mustOpenPath(t, p)
		var a, b string
		err = copyDB.View(ctx, func(tx mfad.Tx) (err error) {
			if a, err = tx.Setting("a"); err != nil {
				return err
			}
			b, err = tx.Setting("b")
			return err
		})
		if err != nil || a != b {
			t.Fatalf("backup holds a=%q b=%q (%v): not one snapshot", a, b, err)
		}
		if n, err := copyDB.Pending(ctx); err != nil || n != 0 {
			t.Fatalf("backup has %d pending migrations (%v)", n, err)
		}
	}

	// An existing file is never overwritten.
	if err := db.Backup(ctx, paths[0]); err == nil {
		t.Fatal("Backup overwrote an existing file")
	}
	mem, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	if err := mem.Backup(ctx, filepath.Join(dir, "mem.db")); err == nil {
		t.Fatal("Backup of an in-memory database succeeded")
	}
}
