package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// Backup writes a consistent copy of the database to path with VACUUM INTO,
// while the database stays in use: the copy is one read transaction's
// snapshot, compacted, and a complete database on its own (no WAL). path
// must not exist; it is created with mode 0600 and synced before Backup
// returns. The copy holds only sealed secrets: it is useless without the
// master key, which is kept apart from it.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.memory != "" {
		return errors.New("sqlite: an in-memory database has no backup")
	}
	// Create the file first, so it has mode 0600 whatever the umask;
	// VACUUM INTO accepts an empty file.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	f.Close()
	ok := false
	defer func() {
		if !ok {
			os.Remove(path)
		}
	}()
	if _, err := db.reader.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if f, err = os.OpenFile(path, os.O_RDWR, 0); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	ok = true
	return nil
}
