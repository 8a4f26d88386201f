package sqlq

import (
	"fmt"
	"math"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/store/internal/column"
)

// userColumns are the columns of a user in both stores; how each store
// allocates ids stays in its own CreateUser (and SQLite's UpdateUser keeps
// its folded columns up to date); the namespace of names and emails is
// logins.go.
const userColumns = `id, name, email, role, password_hash, created_at, password_changed_at,
	mfa_failures, mfa_locked_until, mfa_hard_locked`

// ScanUser reads the userColumns (or UserColumns) of one row.
func ScanUser(s Scanner) (*mfad.User, error) {
	u := &mfad.User{}
	if err := s.Scan(User(u)...); err != nil {
		return nil, err
	}
	return u, nil
}

func (t Tx) UserByID(id int64) (*mfad.User, error) {
	return ScanUser(t.row(`SELECT `+userColumns+` FROM users WHERE id = ?`, id))
}

// ListUsers returns users by id, and the number of all users. A Limit of 0
// means no limit.
func (t Tx) ListUsers(f mfad.UserFilter) ([]*mfad.User, int, error) {
	total, err := t.CountUsers()
	if err != nil {
		return nil, 0, err
	}
	limit := int64(math.MaxInt64) // no limit, in a form both databases take
	if f.Limit > 0 {
		limit = int64(f.Limit)
	}
	var users []*mfad.User
	err = t.each(`SELECT `+userColumns+` FROM users ORDER BY id LIMIT ? OFFSET ?`,
		[]any{limit, max(f.Offset, 0)}, func(s Scanner) error {
			u, err := ScanUser(s)
			if err == nil {
				users = append(users, u)
			}
			return err
		})
	return users, total, err
}

// DeleteUser deletes the user; foreign keys delete every row that belongs
// to it, and its password throttles ("user:<id>" and "user:<id>:...")
// go too. The audit log stays.
func (t Tx) DeleteUser(id int64) error {
	if err := t.execOne(`DELETE FROM users WHERE id = ?`, id); err != nil {
		return err
	}
	_, err := t.DeleteThrottles(fmt.Sprintf("user:%d", id))
	return err
}

func (t Tx) CountUsers() (int, error) {
	return t.count(`SELECT COUNT(*) FROM users`)
}

// RecordMFAFailure counts one failure with a single UPDATE ... RETURNING
// (PostgreSQL: it locks the user's row until commit, so racing failures
// queue and each sees the count of those before it; SQLite: the one
// writer). It then stores the lock that lock asks for: a later lock
// already in place is kept, and a hard lock stays.
func (t Tx) RecordMFAFailure(userID int64, lock func(failures int) (time.Time, bool)) (*mfad.User, error) {
	u, err := ScanUser(t.row(`UPDATE users SET mfa_failures = mfa_failures + 1 WHERE id = ?
		RETURNING `+userColumns, userID))
	if err != nil || lock == nil {
		return u, err
	}
	until, hard := lock(u.MFAFailures)
	if !until.After(u.MFALockedUntil) && (u.MFAHardLocked || !hard) {
		return u, nil // nothing to change
	}
	if until.After(u.MFALockedUntil) {
		u.MFALockedUntil = column.Stored(until)
	}
	u.MFAHardLocked = u.MFAHardLocked || hard
	_, err = t.exec(`UPDATE users SET mfa_locked_until = ?, mfa_hard_locked = ? WHERE id = ?`,
		column.Nanos(u.MFALockedUntil), u.MFAHardLocked, userID)
	if err != nil {
		return nil, err
	}
	return u, nil
}

func (t Tx) ResetMFAFailures(userID int64) error {
	return t.execOne(`UPDATE users SET mfa_failures = 0, mfa_locked_until = NULL, mfa_hard_locked = ?
		WHERE id = ?`, false, userID)
}
