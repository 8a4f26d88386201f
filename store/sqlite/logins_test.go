package sqlite

import (
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mfad/mfad"
)

// TestLoginsMigration upgrades a database of the schema before
// NNNN_logins.sql, whose namespace was kept in the folded columns of
// users, and checks that the migration carried
// every name and email into logins: each still finds its user and is still
// refused to another.
func TestLoginsMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mfad.db")
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := raw.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`)
	for _, m := range ms {
		if strings.HasSuffix(m.Name, "_logins.sql") {
			break
		}
		exec(m.SQL)
		exec(`INSERT INTO schema_migrations VALUES (?, ?, 0)`, m.Version, m.Name)
	}
	for _, u := range [][3]any{{"Alice", "Alice@X", "alice@x"}, {"bob", nil, nil}, {"dave@x", "DAVE@x", "dave@x"}} {
		exec(`INSERT INTO users (name, email, name_folded, email_folded, role, password_hash)
			VALUES (?, ?, ?, ?, 'user', 'h')`, u[0], u[1], mfad.Fold(u[0].(string)), u[2])
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tt := range []struct{ login, want string }{
		{"ALICE", "Alice"}, {"alice@x", "Alice"}, {"Bob", "bob"}, {"dave@X", "dave@x"}, {"carol", ""},
	} {
		err := db.View(t.Context(), func(tx mfad.Tx) error {
			u, err := tx.UserByLogin(tt.login)
			if tt.want == "" {
				if !errors.Is(err, mfad.ErrNoRows) {
					t.Errorf("UserByLogin(%q) = %v, %v; want ErrNoRows", tt.login, u, err)
				}
				return nil
			}
			if err != nil || u.Name != tt.want {
				t.Errorf("UserByLogin(%q) = %v, %v; want %s", tt.login, u, err, tt.want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct{ name, email string }{{"ALICE@x", ""}, {"carol", "Bob"}, {"carol", "dave@x"}} {
		err := db.Update(t.Context(), func(tx mfad.Tx) error {
			return tx.CreateUser(&mfad.User{Name: tt.name, Email: tt.email, Role: mfad.RoleUser, PasswordHash: "h"})
		})
		if !errors.Is(err, mfad.ErrDuplicate) {
			t.Errorf("CreateUser(%q, %q) after migration = %v; want ErrDuplicate", tt.name, tt.email, err)
		}
	}
}
