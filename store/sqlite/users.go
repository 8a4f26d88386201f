package sqlite

import (
	"github.com/mfad/mfad"
	"github.com/mfad/mfad/store/internal/sqlq"
)

const userColumns = `id, name, email, role, password_hash, created_at, password_changed_at,
	mfa_failures, mfa_locked_until, mfa_hard_locked`

// scanUser reads the user columns of one row.
var scanUser = sqlq.ScanUser

// folded returns the folded name and the folded email (NULL when none).
func folded(u *mfad.User) (name string, email any) {
	return mfad.Fold(u.Name), text(mfad.Fold(u.Email))
}

// checkLogins enforces the one case-folded namespace of names and emails:
// neither of u's folded forms may be another user's name or email. The
// UNIQUE indexes catch a clash within one column; this catches a name that
// is another user's email and the reverse.
func (t *tx) checkLogins(u *mfad.User) error {
	name, email := folded(u)
	if email == nil {
		email = name
	}
	n, err := t.count(`SELECT COUNT(*) FROM users WHERE id <> ?
		AND (name_folded IN (?, ?) OR email_folded IN (?, ?))`, u.ID, name, email, name, email)
	if err == nil && n > 0 {
		err = mfad.ErrDuplicate
	}
	return err
}

func (t *tx) CreateUser(u *mfad.User) error {
	if err := t.checkLogins(u); err != nil {
		return err
	}
	var id any // NULL: SQLite assigns the next id
	if u.ID != 0 {
		id = u.ID
	}
	name, email := folded(u)
	return t.row(`INSERT INTO users (id, name, email, name_folded, email_folded, role, password_hash,
		created_at, password_changed_at, mfa_failures, mfa_locked_until, mfa_hard_locked)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		id, u.Name, text(u.Email), name, email, u.Role, u.PasswordHash,
		nanos(u.CreatedAt), nanos(u.PasswordChangedAt), u.MFAFailures, nanos(u.MFALockedUntil), u.MFAHardLocked,
	).Scan(&u.ID)
}

func (t *tx) UserByLogin(login string) (*mfad.User, error) {
	f := mfad.Fold(login)
	if f == "" {
		return nil, mfad.ErrNoRows
	}
	return scanUser(t.row(`SELECT `+userColumns+` FROM users
		WHERE name_folded = ? OR email_folded = ? ORDER BY id LIMIT 1`, f, f))
}

func (t *tx) UpdateUser(u *mfad.User) error {
	if err := t.checkLogins(u); err != nil {
		return err
	}
	name, email := folded(u)
	return t.execOne(`UPDATE users SET name = ?, email = ?, name_folded = ?, email_folded = ?,
		role = ?, password_hash = ?, password_changed_at = ? WHERE id = ?`,
		u.Name, text(u.Email), name, email, u.Role, u.PasswordHash, nanos(u.PasswordChangedAt), u.ID)
}
