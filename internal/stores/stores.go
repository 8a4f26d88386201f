// Package stores is the registry of mfad's stores: which store a --db
// value names, how it opens and migrates, and what the command must do
// differently for it. The mfad command reads this table instead of asking
// "is it PostgreSQL?" wherever a store differs, so a new store is its
// package plus one entry here (docs/adding-a-store.md).
//
// What only some stores can do is an interface a store may implement, found
// on the opened mfad.Store with a type assertion:
//
//   - ServerClock: a database server with a clock of its own (PostgreSQL),
//     which mfad selftest compares with this machine's;
//   - Backuper: an embedded database mfad can copy while it serves (SQLite:
//     mfad backup).
package stores

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/store/postgres"
	"github.com/mfad/mfad/store/sqlite"
)

// Spec is where a store's data is, as the configuration says.
type Spec struct {
	DB        string // --db: a URL, a file, or "" for the data dir's default
	DataDir   string // --data-dir
	NoMigrate bool   // --no-migrate: apply nothing at open, refuse a pending migration
	// Wall is this machine's clock (nil: time.Now), for a store that
	// judges times on its server's clock (see postgres.Options.Wall).
	Wall func() time.Time
}

// Store is one entry of the registry.
type Store struct {
	Name string // "sqlite", "postgres": the metrics' store label
	// Shared: several mfad instances use one database, so the master key
	// ring must be given (MFAD_MASTER_KEY or a key file) and is never
	// made, and nothing of the database lives in the data dir.
	Shared bool
	// Claims reports whether a --db value names this store.
	Claims func(db string) bool
	// Open opens (and, unless NoMigrate, migrates) the database.
	Open func(ctx context.Context, s Spec) (mfad.Store, error)
	// File is the database file a command other than serve and init
	// needs to exist ("" for a database server).
	File func(s Spec) string
	// Where names the database in messages.
	Where func(s Spec) string
	// Migrate applies pending migrations and reports what it did.
	Migrate func(ctx context.Context, s Spec) (string, error)
	// BackupHint, for a store without Backuper, says how to back it up.
	BackupHint string
}

// ServerClock is a store whose database server has a clock of its own.
type ServerClock interface {
	ServerTime(ctx context.Context) (time.Time, error)
}

// Backuper is a store mfad can copy to a file while it serves.
type Backuper interface {
	Backup(ctx context.Context, path string) error
}

// All is every store; the last claims whatever the others do not.
var All = []Store{
	{
		Name:   "postgres",
		Shared: true,
		Claims: func(db string) bool {
			return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
		},
		Open: func(ctx context.Context, s Spec) (mfad.Store, error) {
			return postgres.Open(ctx, s.DB, postgres.Options{NoMigrate: s.NoMigrate, Wall: s.Wall})
		},
		File:       func(Spec) string { return "" },
		Where:      func(Spec) string { return "PostgreSQL" },
		Migrate:    migratePostgres,
		BackupHint: "back up PostgreSQL with its own tools (pg_dump, base backups)",
	},
	{
		Name:   "sqlite",
		Claims: func(string) bool { return true },
		Open: func(ctx context.Context, s Spec) (mfad.Store, error) {
			return sqlite.Open(ctx, sqlitePath(s)) // one process owns it: it always migrates
		},
		File:    sqlitePath,
		Where:   sqlitePath,
		Migrate: migrateSQLite,
	},
}

// For is the store a --db value names.
func For(db string) Store {
	for _, s := range All {
		if s.Claims(db) {
			return s
		}
	}
	return All[len(All)-1]
}

// sqlitePath is the SQLite file: --db, or mfad.db in the data dir.
func sqlitePath(s Spec) string {
	if s.DB != "" {
		return s.DB
	}
	return filepath.Join(s.DataDir, "mfad.db")
}

func migrateSQLite(ctx context.Context, s Spec) (string, error) {
	db, err := sqlite.Open(ctx, sqlitePath(s)) // migrates as it opens
	if err != nil {
		return "", err
	}
	defer db.Close()
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("SQLite database %s: schema version %d, nothing pending", db.Path(), v), nil
}

func migratePostgres(ctx context.Context, s Spec) (string, error) {
	db, err := postgres.Connect(ctx, s.DB)
	if err != nil {
		return "", err
	}
	defer db.Close()
	pending, err := db.Pending(ctx)
	if err != nil {
		return "", err
	}
	if err := db.Migrate(ctx); err != nil {
		return "", err
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("PostgreSQL: %d migration(s) were pending; schema version %d, nothing pending", pending, v), nil
}
