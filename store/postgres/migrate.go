package postgres

import (
	"context"
	crand "crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	migrationpkg "github.com/mfad/mfad/store/internal/migration"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// A migration is one embedded file, "NNNN_name.sql"; NNNN is its version.
type migration = migrationpkg.Migration

// migrations returns the embedded migrations by version.
func migrations() ([]migration, error) {
	ms, err := migrationpkg.Load(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return ms, nil
}

// lockVersion is the row of schema_migrations that holds the migration
// lease (see lease); it names no migration.
const lockVersion = 0

// leaseTTL is how long a migration lease holds without renewal: a process
// that died migrating blocks the others no longer than this. Each
// migration renews it.
const leaseTTL = 2 * time.Minute

// Migrate applies the embedded migrations not yet recorded in
// schema_migrations, in order, under the migration lease, and refuses a
// database migrated by a newer mfad. It is safe to call again, and from
// several processes at once.
func (db *DB) Migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	if err := db.ensureSchema(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if err := db.createMigrationsTable(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if err := db.checkNotNewer(ctx, ms); err != nil {
		return err
	}
	owner, err := db.lease(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer db.release(owner)
	for _, m := range ms {
		if err := db.renew(ctx, owner); err != nil {
			return fmt.Errorf("postgres: migration %s: %w", m.Name, err)
		}
		if err := db.apply(ctx, m); err != nil {
			return fmt.Errorf("postgres: migration %s: %w", m.Name, err)
		}
	}
	return nil
}

// The migration lease is the lock row's name (its owner) and applied_at
// (when the lease ends, in the database server's nanoseconds). It is taken,
// renewed and released each by one statement committed on its own, never
// by a lock held across the migration's DDL: an engine that commits
// before DDL (CockroachDB's autocommit_before_ddl) would release such a
// lock at the first CREATE. A migration that such an engine leaves half
// applied is run again whole, so every migration is idempotent DDL (IF NOT
// EXISTS, ON CONFLICT DO NOTHING; TestMigrationsIdempotent).
const dbNanos = `(extract(epoch from clock_timestamp()) * 1000000)::bigint * 1000`

// lease takes the migration lease, waiting while another process holds a
// live one, and returns the owner name that holds it.
func (db *DB) lease(ctx context.Context) (string, error) {
	b := make([]byte, 8)
	_, _ = crand.Read(b)
	owner := "lock:" + hex.EncodeToString(b)
	for {
		tag, err := db.pool.Exec(ctx, `UPDATE schema_migrations SET name = $1, applied_at = `+dbNanos+` + $2
			WHERE version = $3 AND (name = 'lock' OR applied_at < `+dbNanos+`)`, owner, int64(leaseTTL), lockVersion)
		if err != nil {
			return "", fmt.Errorf("taking the migration lease: %w", err)
		}
		if tag.RowsAffected() == 1 {
			return owner, nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("waiting for the migration lease another process holds: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// renew extends the lease owner holds; an error if it has lost it (it ran
// out and another process took it).
func (db *DB) renew(ctx context.Context, owner string) error {
	tag, err := db.pool.Exec(ctx, `UPDATE schema_migrations SET applied_at = `+dbNanos+` + $1 WHERE version = $2 AND name = $3`,
		int64(leaseTTL), lockVersion, owner)
	if err == nil && tag.RowsAffected() != 1 {
		err = errors.New("the migration lease ran out and another process took it")
	}
	return err
}

// release gives the lease back, if owner still holds it.
func (db *DB) release(owner string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = db.pool.Exec(ctx, `UPDATE schema_migrations SET name = 'lock', applied_at = 0 WHERE version = $1 AND name = $2`, lockVersion, owner)
}

// createMigrationsTable makes schema_migrations and its lock row if they
// are missing. Of two processes creating the table at the same moment, one
// may fail on the catalog (IF NOT EXISTS is checked before the insert into
// the catalog); the loser tries again and finds the table there.
func (db *DB) createMigrationsTable(ctx context.Context) error {
	var err error
	for range 5 {
		_, err = db.pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    BIGINT PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at BIGINT NOT NULL)`)
		if err == nil {
			_, err = db.pool.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at)
				VALUES ($1, 'lock', 0) ON CONFLICT (version) DO NOTHING`, lockVersion)
		}
		// unique_violation (on the catalog), duplicate_table, duplicate_object
		// (the table's row type): the other process made it first.
		if !isCode(err, "23505", "42P07", "42710") {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

// checkNotNewer refuses a database migrated by a newer mfad.
func (db *DB) checkNotNewer(ctx context.Context, ms []migration) error {
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if latest := ms[len(ms)-1].Version; v > latest {
		return fmt.Errorf("postgres: database schema version %d is newer than this mfad's %d", v, latest)
	}
	return nil
}

// apply runs m unless it is recorded already, under the lease: its DDL and
// its record in one transaction where the engine allows it (PostgreSQL).
func (db *DB) apply(ctx context.Context, m migration) error {
	ptx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return err
	}
	defer rollback(ptx)
	var n int
	if err := ptx.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil || n > 0 {
		return err
	}
	if _, err := ptx.Exec(ctx, m.SQL); err != nil { // no arguments: the simple protocol runs every statement
		return err
	}
	_, err = ptx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.Version, m.Name, time.Now().UnixNano())
	if err != nil {
		return err
	}
	return ptx.Commit(ctx)
}

// SchemaVersion returns the version of the last applied migration, 0 for
// none.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if isCode(err, "42P01") { // undefined_table: nothing applied yet
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: schema version: %w", err)
	}
	return v, nil
}

// Pending returns how many embedded migrations the database lacks: 0 when
// it is ready.
func (db *DB) Pending(ctx context.Context) (int, error) {
	ms, err := migrations()
	if err != nil {
		return 0, err
	}
	applied := map[int]bool{}
	rows, err := db.pool.Query(ctx, `SELECT version FROM schema_migrations`)
	if err == nil {
		var v int
		_, err = pgx.ForEachRow(rows, []any{&v}, func() error { applied[v] = true; return nil })
	}
	if err != nil && !isCode(err, "42P01") {
		return 0, fmt.Errorf("postgres: pending migrations: %w", err)
	}
	n := 0
	for _, m := range ms {
		if !applied[m.Version] {
			n++
		}
	}
	return n, nil
}

// checkSchema is Open's check with NoMigrate: the schema must be current.
func (db *DB) checkSchema(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	if err := db.checkNotNewer(ctx, ms); err != nil {
		return err
	}
	n, err := db.Pending(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("postgres: %d schema migration(s) pending and migration is off: run mfad migrate", n)
	}
	return nil
}

// isCode reports whether err is a PostgreSQL error with one of the codes.
func isCode(err error, codes ...string) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	for _, c := range codes {
		if pe.Code == c {
			return true
		}
	}
	return false
}

// rollback ends a migration's transaction that was not committed; after a
// commit it does nothing.
func rollback(t pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = t.Rollback(ctx) // on failure pgx closes the connection; the pool drops it
}
