package sqlite

import (
	"github.com/mfad/mfad"
)

// folded returns the folded name and the folded email (NULL when none),
// which SQLite's users table also keeps (NOT NULL and UNIQUE since
// migration 0001); the namespace itself is the logins table (sqlq).
func folded(u *mfad.User) (name string, email any) {
	return mfad.Fold(u.Name), text(mfad.Fold(u.Email))
}

// CreateUser inserts u and claims its name and email (sqlq.ClaimLogins).
// SQLite assigns the id (INTEGER PRIMARY KEY) unless u.ID is set.
func (t *tx) CreateUser(u *mfad.User) error {
	var id any // NULL: SQLite assigns the next id
	if u.ID != 0 {
		id = u.ID
	}
	name, email := folded(u)
	err := t.row(`INSERT INTO users (id, name, email, name_folded, email_folded, role, password_hash,
		created_at, password_changed_at, mfa_failures, mfa_locked_until, mfa_hard_locked)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		id, u.Name, text(u.Email), name, email, u.Role, u.PasswordHash,
		nanos(u.CreatedAt), nanos(u.PasswordChangedAt), u.MFAFailures, nanos(u.MFALockedUntil), u.MFAHardLocked,
	).Scan(&u.ID)
	if err != nil {
		return err
	}
	return t.ClaimLogins(u)
}

// UpdateUser changes the user's name, email, role and password, and moves
// its claims in the namespace (sqlq.MoveLogins).
func (t *tx) UpdateUser(u *mfad.User) error {
	name, email := folded(u)
	err := t.execOne(`UPDATE users SET name = ?, email = ?, name_folded = ?, email_folded = ?,
		role = ?, password_hash = ?, password_changed_at = ? WHERE id = ?`,
		u.Name, text(u.Email), name, email, u.Role, u.PasswordHash, nanos(u.PasswordChangedAt), u.ID)
	if err != nil {
		return err
	}
	return t.MoveLogins(u)
}
