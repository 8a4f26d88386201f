package sqlite

import (
	"fmt"
	"time"

	"github.com/mfad/mfad"
)

const userColumns = `id, name, email, role, password_hash, created_at, password_changed_at,
	mfa_failures, mfa_locked_until, mfa_hard_locked`

func scanUser(s scanner) (*mfad.User, error) {
	u := &mfad.User{}
	err := s.Scan(&u.ID, &u.Name, textDest{S: &u.Email}, &u.Role, &u.PasswordHash,
		timeDest{T: &u.CreatedAt}, timeDest{T: &u.PasswordChangedAt},
		&u.MFAFailures, timeDest{T: &u.MFALockedUntil}, &u.MFAHardLocked)
	if err != nil {
		return nil, err
	}
	return u, nil
}

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

func (t *tx) UserByID(id int64) (*mfad.User, error) {
	return scanUser(t.row(`SELECT `+userColumns+` FROM users WHERE id = ?`, id))
}

func (t *tx) UserByLogin(login string) (*mfad.User, error) {
	f := mfad.Fold(login)
	if f == "" {
		return nil, mfad.ErrNoRows
	}
	return scanUser(t.row(`SELECT `+userColumns+` FROM users
		WHERE name_folded = ? OR email_folded = ? ORDER BY id LIMIT 1`, f, f))
}

// ListUsers returns users by id, and the number of all users. A Limit of 0
// means no limit.
func (t *tx) ListUsers(f mfad.UserFilter) ([]*mfad.User, int, error) {
	total, err := t.CountUsers()
	if err != nil {
		return nil, 0, err
	}
	limit := -1 // SQLite: no limit
	if f.Limit > 0 {
		limit = f.Limit
	}
	var users []*mfad.User
	err = t.each(`SELECT `+userColumns+` FROM users ORDER BY id LIMIT ? OFFSET ?`,
		[]any{limit, max(f.Offset, 0)}, func(s scanner) error {
			u, err := scanUser(s)
			if err == nil {
				users = append(users, u)
			}
			return err
		})
	return users, total, err
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

// DeleteUser deletes the user; foreign keys delete every row that belongs
// to it, and its password throttles ("user:<id>" and "user:<id>:...")
// go too. The audit log stays.
func (t *tx) DeleteUser(id int64) error {
	if err := t.execOne(`DELETE FROM users WHERE id = ?`, id); err != nil {
		return err
	}
	_, err := t.DeleteThrottles(fmt.Sprintf("user:%d", id))
	return err
}

func (t *tx) CountUsers() (int, error) {
	return t.count(`SELECT COUNT(*) FROM users`)
}

// RecordMFAFailure counts one failure, then stores the lock that lock asks
// for: a later lock already in place is kept, and a hard lock stays.
func (t *tx) RecordMFAFailure(userID int64, lock func(failures int) (time.Time, bool)) (*mfad.User, error) {
	u, err := scanUser(t.row(`UPDATE users SET mfa_failures = mfa_failures + 1 WHERE id = ?
		RETURNING `+userColumns, userID))
	if err != nil || lock == nil {
		return u, err
	}
	until, hard := lock(u.MFAFailures)
	if until.After(u.MFALockedUntil) {
		u.MFALockedUntil = stored(until)
	}
	u.MFAHardLocked = u.MFAHardLocked || hard
	_, err = t.exec(`UPDATE users SET mfa_locked_until = ?, mfa_hard_locked = ? WHERE id = ?`,
		nanos(u.MFALockedUntil), u.MFAHardLocked, userID)
	if err != nil {
		return nil, err
	}
	return u, nil
}

func (t *tx) ResetMFAFailures(userID int64) error {
	return t.execOne(`UPDATE users SET mfa_failures = 0, mfa_locked_until = NULL, mfa_hard_locked = ?
		WHERE id = ?`, false, userID)
}
