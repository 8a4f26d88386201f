package sqlq

import (
	"github.com/mfad/mfad/store/internal/column"
	"time"

	"github.com/mfad/mfad"
)

const throttleColumns = `key, failures, until, updated, pending`

func scanThrottle(s Scanner) (*mfad.Throttle, error) {
	th := &mfad.Throttle{}
	if err := s.Scan(&th.Key, &th.Failures, column.Time{T: &th.Until}, column.Time{T: &th.Updated}, &th.Pending); err != nil {
		return nil, err
	}
	return th, nil
}

func (t Tx) Throttle(key string) (*mfad.Throttle, error) {
	return scanThrottle(t.row(`SELECT `+throttleColumns+` FROM throttles WHERE key = ?`, key))
}

// ChangeThrottle locks the throttle row of key with an upsert that changes
// nothing (it makes an empty row if there is none), so that racing calls on
// one key queue on the row lock; then it stores what fn makes of the row.
func (t Tx) ChangeThrottle(key string, fn func(th *mfad.Throttle) error) (*mfad.Throttle, error) {
	th, err := scanThrottle(t.row(`INSERT INTO throttles (key, failures) VALUES (?, 0)
		ON CONFLICT (key) DO UPDATE SET failures = throttles.failures RETURNING `+throttleColumns, key))
	if err != nil {
		return nil, err
	}
	if err := fn(th); err != nil {
		return nil, err
	}
	th.Key = key
	if th.Failures == 0 && th.Until.IsZero() && th.Pending == 0 {
		_, err = t.exec(`DELETE FROM throttles WHERE key = ?`, key)
		return th, err
	}
	_, err = t.exec(`UPDATE throttles SET failures = ?, until = ?, updated = ?, pending = ? WHERE key = ?`,
		th.Failures, column.Nanos(th.Until), column.Nanos(th.Updated), th.Pending, key)
	return th, err
}

// DeleteThrottle deletes the throttle of key and those under it (key:...).
func (t Tx) DeleteThrottle(key string) error {
	n, err := t.DeleteThrottles(key)
	if err == nil && n == 0 {
		err = mfad.ErrNoRows
	}
	return err
}

// DeleteThrottles deletes the throttle of key and those under it, and
// returns how many; for DeleteThrottle and for deleting a user.
func (t Tx) DeleteThrottles(key string) (int64, error) {
	under := key + ":"
	return t.exec(`DELETE FROM throttles WHERE key = ? OR substr(key, 1, ?) = ?`, key, len(under), under)
}

// RememberAddress inserts the user's known address or moves its expiry.
func (t Tx) RememberAddress(userID int64, hash []byte, expires time.Time) error {
	_, err := t.exec(`INSERT INTO known_addresses (user_id, hash, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (user_id, hash) DO UPDATE SET expires_at = excluded.expires_at`, userID, column.Blob(hash), column.Nanos(expires))
	return err
}

// KnownAddress reports whether the user has an unexpired known address of hash.
func (t Tx) KnownAddress(userID int64, hash []byte, now time.Time) (bool, error) {
	n, err := t.count(`SELECT COUNT(*) FROM known_addresses WHERE user_id = ? AND hash = ? AND expires_at >= ?`,
		userID, column.Blob(hash), column.Nanos(now))
	return n > 0, err
}
