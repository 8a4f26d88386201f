package stores_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/internal/stores"
	"github.com/mfad/mfad/store/postgres/pgtest"
)

// TestFor: which store a --db value names, and what the command must know
// of it.
func TestFor(t *testing.T) {
	for _, tt := range []struct {
		db, name string
		shared   bool
		file     string
	}{
		{"", "sqlite", false, filepath.Join("data", "mfad.db")},
		{"/var/lib/mfad/x.db", "sqlite", false, "/var/lib/mfad/x.db"},
		{"postgres://mfad@db/mfad", "postgres", true, ""},
		{"postgresql://mfad@db/mfad", "postgres", true, ""},
		{"postgresfile.db", "sqlite", false, "postgresfile.db"},
	} {
		st := stores.For(tt.db)
		spec := stores.Spec{DB: tt.db, DataDir: "data"}
		if st.Name != tt.name || st.Shared != tt.shared || st.File(spec) != tt.file {
			t.Errorf("For(%q) = %s (shared %v, file %q), want %s (shared %v, file %q)", tt.db, st.Name, st.Shared, st.File(spec), tt.name, tt.shared, tt.file)
		}
		if st.Where(spec) == "" || st.Open == nil || st.Migrate == nil {
			t.Errorf("For(%q): Where, Open and Migrate are required", tt.db)
		}
		if tt.file == "" && st.BackupHint == "" {
			t.Errorf("For(%q): a store mfad cannot copy says how to back it up", tt.db)
		}
	}
}

// TestOpen: each store opens through the registry and answers its optional
// capabilities as documented (SQLite copies itself, PostgreSQL has a clock).
func TestOpen(t *testing.T) {
	dir := t.TempDir()
	spec := stores.Spec{DataDir: dir}
	db, err := stores.For("").Open(t.Context(), spec)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, ok := db.(stores.Backuper); !ok {
		t.Error("SQLite is no Backuper")
	}
	if _, ok := db.(stores.ServerClock); ok {
		t.Error("SQLite claims a server clock")
	}
	if err := db.Update(t.Context(), func(tx mfad.Tx) error { _, err := tx.CountUsers(); return err }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "mfad.db")); err != nil {
		t.Fatal(err)
	}
	report, err := stores.For("").Migrate(t.Context(), spec)
	if err != nil || report == "" {
		t.Fatalf("Migrate: %q, %v", report, err)
	}
	if os.Getenv("MFAD_TEST_POSTGRES") == "" {
		return
	}
	pg := stores.Spec{DB: pgtest.Schema(t)}
	pdb, err := stores.For(pg.DB).Open(t.Context(), pg)
	if err != nil {
		t.Fatal(err)
	}
	defer pdb.Close()
	if _, ok := pdb.(stores.ServerClock); !ok {
		t.Error("PostgreSQL has no ServerClock")
	}
	if _, ok := pdb.(stores.Backuper); ok {
		t.Error("PostgreSQL claims to copy itself")
	}
}
