package postgres_test

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"testing"

	"github.com/mfad/mfad/store/postgres"
	"github.com/mfad/mfad/store/postgres/pgtest"
)

// TestMigrateCreatesSchema: a URL whose search_path names a schema that
// does not exist yet (a fresh database with ?search_path=mfad) migrates,
// also with several processes starting at once, instead of failing with
// "no schema has been selected to create in".
func TestMigrateCreatesSchema(t *testing.T) {
	base := pgtest.URL(t)
	b := make([]byte, 6)
	rand.Read(b)
	name := "mfad_fresh_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		if err := pgtest.Exec(base, `DROP SCHEMA IF EXISTS `+name+` CASCADE`); err != nil {
			t.Error(err)
		}
	})
	dsn := pgtest.WithParams(t, base, "search_path", name)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 4 {
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
	n, err := postgres.QueryInt(t.Context(), db, `SELECT COUNT(*) FROM pg_namespace WHERE nspname = '`+name+`'`)
	if err != nil || n != 1 {
		t.Fatalf("schema %s: %d, %v", name, n, err)
	}
	if p, err := db.Pending(t.Context()); err != nil || p != 0 {
		t.Fatalf("pending after migrating a fresh schema: %d %v", p, err)
	}
}

func TestFirstSchema(t *testing.T) {
	for in, want := range map[string]string{
		`mfad`:                    "mfad",
		` mfad , public`:          "mfad",
		`"$user", public`:         "public",
		`"$user"`:                 "",
		`"My ""odd"", schema", x`: `My "odd", schema`,
		``:                        "",
	} {
		if got := postgres.FirstSchema(in); got != want {
			t.Errorf("FirstSchema(%q) = %q, want %q", in, got, want)
		}
	}
}
