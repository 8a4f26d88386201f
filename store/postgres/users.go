package postgres

import (
	"fmt"
	"time"

	"github.com/mfad/mfad"
)

const userColumns = `id, name, email, role, password_hash, created_at, password_changed_at,
	mfa_failures, mfa_locked_until, mfa_hard_locked`

// userColumnsOf is userColumns qualified with a table alias.
const userColumnsOf = `u.id, u.name, u.email, u.role, u.password_hash, u.created_at, u.password_changed_at,
	u.mfa_failures, u.mfa_locked_until, u.mfa_hard_locked`

func scanUser(s scanner) (*mfad.User, error) {
	u := &mfad.User{}
	var role string
	err := s.Scan(&u.ID, &u.Name, textDest{S: &u.Email}, &role, &u.PasswordHash,
		timeDest{T: &u.CreatedAt}, timeDest{T: &u.PasswordChangedAt},
		&u.MFAFailures, timeDest{T: &u.MFALockedUntil}, &u.MFAHardLocked)
	if err != nil {
		return nil, err
	}
	u.Role = mfad.Role(role)
	return u, nil
}

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

func (t *tx) UserByID(id int64) (*mfad.User, error) {
	return scanUser(t.row(`SELECT `+userColumns+` FROM users WHERE id = $1`, id))
}

func (t *tx) UserByLogin(login string) (*mfad.User, error) {
	f := mfad.Fold(login)
	if f == "" {
		return nil, mfad.ErrNoRows
	}
	return scanUser(t.row(`SELECT `+userColumnsOf+` FROM logins l JOIN users u ON u.id = l.user_id
		WHERE l.folded = $1`, f))
}

// ListUsers returns users by id, and the number of all users. A Limit of 0
// means no limit.
func (t *tx) ListUsers(f mfad.UserFilter) ([]*mfad.User, int, error) {
	total, err := t.CountUsers()
	if err != nil {
		return nil, 0, err
	}
	query, args := `SELECT `+userColumns+` FROM users ORDER BY id OFFSET $1`, []any{max(f.Offset, 0)}
	if f.Limit > 0 {
		query, args = query+` LIMIT $2`, append(args, f.Limit)
	}
	var users []*mfad.User
	err = t.each(query, args, func(s scanner) error {
		u, err := scanUser(s)
		if err == nil {
			users = append(users, u)
		}
		return err
	})
	return users, total, err
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

// DeleteUser deletes the user; foreign keys delete every row that belongs
// to it (its logins too), and its password throttle goes as well. The
// audit log stays.
func (t *tx) DeleteUser(id int64) error {
	if err := t.execOne(`DELETE FROM users WHERE id = $1`, id); err != nil {
		return err
	}
	_, err := t.DeleteThrottles(fmt.Sprintf("user:%d", id))
	return err
}

func (t *tx) CountUsers() (int, error) {
	return t.count(`SELECT COUNT(*) FROM users`)
}

// RecordMFAFailure counts one failure with a single UPDATE ... RETURNING,
// which locks the user's row until commit; racing failures queue on that
// lock and each sees the count of those before it. It then stores the lock
// that lock asks for on the row it holds: a later lock already in place is
// kept, and a hard lock stays.
func (t *tx) RecordMFAFailure(userID int64, lock func(failures int) (time.Time, bool)) (*mfad.User, error) {
	u, err := scanUser(t.row(`UPDATE users SET mfa_failures = mfa_failures + 1 WHERE id = $1
		RETURNING `+userColumns, userID))
	if err != nil || lock == nil {
		return u, err
	}
	until, hard := lock(u.MFAFailures)
	if !until.After(u.MFALockedUntil) && (u.MFAHardLocked || !hard) {
		return u, nil // nothing to change
	}
	if until.After(u.MFALockedUntil) {
		u.MFALockedUntil = stored(until)
	}
	u.MFAHardLocked = u.MFAHardLocked || hard
	_, err = t.exec(`UPDATE users SET mfa_locked_until = $1, mfa_hard_locked = $2 WHERE id = $3`,
		nanos(u.MFALockedUntil), u.MFAHardLocked, userID)
	if err != nil {
		return nil, err
	}
	return u, nil
}

func (t *tx) ResetMFAFailures(userID int64) error {
	return t.execOne(`UPDATE users SET mfa_failures = 0, mfa_locked_until = NULL, mfa_hard_locked = FALSE
		WHERE id = $1`, userID)
}
