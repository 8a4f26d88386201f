package postgres

import (
	"github.com/mfad/mfad"
	"github.com/mfad/mfad/store/internal/sqlq"
)

const userColumns = `id, name, email, role, password_hash, created_at, password_changed_at,
	mfa_failures, mfa_locked_until, mfa_hard_locked`

// userColumnsOf is userColumns qualified with a table alias.
const userColumnsOf = `u.id, u.name, u.email, u.role, u.password_hash, u.created_at, u.password_changed_at,
	u.mfa_failures, u.mfa_locked_until, u.mfa_hard_locked`

// scanUser reads the user columns of one row.
var scanUser = sqlq.ScanUser

// putLogins claims u's folded name and folded email in the one namespace
// (one row when they are equal). The primary key of logins decides: a
// form another user holds, as name or as email, is ErrDuplicate, also
// against a transaction that claims it at the same moment.
func (t *tx) putLogins(u *mfad.User) error {
	name, email := mfad.Fold(u.Name), mfad.Fold(u.Email)
	if _, err := t.exec(`INSERT INTO logins (folded, user_id) VALUES ($1, $2)`, name, u.ID); err != nil {
		return err
	}
	if email == "" || email == name {
		return nil
	}
	_, err := t.exec(`INSERT INTO logins (folded, user_id) VALUES ($1, $2)`, email, u.ID)
	return err
}

// CreateUser inserts u. Its id is the next one of the counter row, or u.ID
// if set, which moves the counter up to it; see the package doc.
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
	return t.putLogins(u)
}

func (t *tx) UserByLogin(login string) (*mfad.User, error) {
	f := mfad.Fold(login)
	if f == "" {
		return nil, mfad.ErrNoRows
	}
	return scanUser(t.row(`SELECT `+userColumnsOf+` FROM logins l JOIN users u ON u.id = l.user_id
		WHERE l.folded = $1`, f))
}

// UpdateUser changes the user's name, email, role and password, and moves
// its claims in the namespace: its old forms are released and the new ones
// claimed in the same transaction.
func (t *tx) UpdateUser(u *mfad.User) error {
	err := t.execOne(`UPDATE users SET name = $1, email = $2, role = $3, password_hash = $4,
		password_changed_at = $5 WHERE id = $6`,
		u.Name, text(u.Email), string(u.Role), u.PasswordHash, nanos(u.PasswordChangedAt), u.ID)
	if err != nil {
		return err
	}
	if _, err := t.exec(`DELETE FROM logins WHERE user_id = $1`, u.ID); err != nil {
		return err
	}
	return t.putLogins(u)
}
