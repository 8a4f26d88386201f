package postgres

import (
	"github.com/mfad/mfad"
)

const userColumns = `id, name, email, role, password_hash, created_at, password_changed_at,
	mfa_failures, mfa_locked_until, mfa_hard_locked`

// CreateUser inserts u and claims its name and email (sqlq.ClaimLogins).
// Its id is the next one of the counter row, or u.ID if set, which moves
// the counter up to it; see the package doc.
func (t *tx) CreateUser(u *mfad.User) error {
	var err error
	if u.ID == 0 {
		err = t.row(`UPDATE id_counters SET last = last + 1 WHERE name = 'users' RETURNING last`).Scan(&u.ID)
	} else {
		_, err = t.exec(`UPDATE id_counters SET last = GREATEST(last, $1::BIGINT) WHERE name = 'users'`, u.ID)
	}
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		u.ID, u.Name, text(u.Email), string(u.Role), u.PasswordHash,
		nanos(u.CreatedAt), nanos(u.PasswordChangedAt), u.MFAFailures, nanos(u.MFALockedUntil), u.MFAHardLocked)
	if err != nil {
		return err
	}
	return t.ClaimLogins(u)
}

// UpdateUser changes the user's name, email, role and password, and moves
// its claims in the namespace (sqlq.MoveLogins).
func (t *tx) UpdateUser(u *mfad.User) error {
	err := t.execOne(`UPDATE users SET name = $1, email = $2, role = $3, password_hash = $4,
		password_changed_at = $5 WHERE id = $6`,
		u.Name, text(u.Email), string(u.Role), u.PasswordHash, nanos(u.PasswordChangedAt), u.ID)
	if err != nil {
		return err
	}
	return t.MoveLogins(u)
}
