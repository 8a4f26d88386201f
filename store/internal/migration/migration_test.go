package migration_test

import (
	"testing"
	"testing/fstest"

	"github.com/mfad/mfad/store/internal/migration"
)

func TestLoad(t *testing.T) {
	ms, err := migration.Load(fstest.MapFS{
		"m/0010_later.sql": {Data: []byte("B")},
		"m/0002_first.sql": {Data: []byte("A")},
	}, "m")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Version != 2 || ms[0].SQL != "A" || ms[1].Name != "0010_later.sql" {
		t.Fatalf("Load: %+v", ms)
	}
	for name, files := range map[string]fstest.MapFS{
		"no version":   {"m/init.sql": {}},
		"zero version": {"m/0000_x.sql": {}},
		"same version": {"m/0001_a.sql": {}, "m/1_b.sql": {}},
		"no such dir":  {},
	} {
		if _, err := migration.Load(files, "m"); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}
