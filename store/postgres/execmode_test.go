package postgres_test

import (
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/store/postgres"
	"github.com/mfad/mfad/store/postgres/pgtest"
)

// BenchmarkExecModes: one write transaction (read a user by login, count
// a failure, reset it) in each of pgx's statement modes, directly and
// through PgBouncer in transaction mode where it is installed: what the
// default (cache_describe, pooler-safe) costs against named prepared
// statements, which a pooler cannot carry.
//
//	MFAD_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test -run '^$' -bench ExecModes -benchtime 2000x ./store/postgres
func BenchmarkExecModes(b *testing.B) {
	noLock := func(int) (time.Time, bool) { return time.Time{}, false }
	run := func(b *testing.B, dsn string) {
		db, err := postgres.Open(b.Context(), dsn, postgres.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		u := &mfad.User{Name: "bench", Role: mfad.RoleUser, PasswordHash: "x", CreatedAt: time.Now()}
		if err := db.Update(b.Context(), func(tx mfad.Tx) error { return tx.CreateUser(u) }); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for range b.N {
			err := db.Update(b.Context(), func(tx mfad.Tx) error {
				v, err := tx.UserByLogin("bench")
				if err != nil {
					return err
				}
				if _, err := tx.RecordMFAFailure(v.ID, noLock); err != nil {
					return err
				}
				return tx.ResetMFAFailures(v.ID)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, mode := range []string{"cache_statement", "cache_describe", "exec"} {
		b.Run("direct/"+mode, func(b *testing.B) {
			run(b, pgtest.Schema(b, "default_query_exec_mode", mode))
		})
	}
	for _, mode := range []string{"cache_describe", "exec"} {
		b.Run("pgbouncer/"+mode, func(b *testing.B) {
			run(b, pgtest.StartBouncer(b).Database(b, "default_query_exec_mode", mode))
		})
	}
}
