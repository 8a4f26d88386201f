package postgres

import (
	"time"

	"github.com/mfad/mfad"
)

// SetSecondFactorAt records the time of a second factor on the session;
// ErrNoRows if there is none. On a session this transaction has locked
// (SessionForVerify) it cannot miss, so it goes with the next statement or
// the commit.
func (t *tx) SetSecondFactorAt(sessionID int64, at time.Time) error {
	if sessionID != 0 && sessionID == t.lockedSession {
		t.queue(`UPDATE sessions SET second_factor_at = $1 WHERE id = $2`, nil, nanos(at), sessionID)
		return nil
	}
	return t.execOne(`UPDATE sessions SET second_factor_at = $1 WHERE id = $2`, nanos(at), sessionID)
}

// ExtendSession moves the session's expiries to until unless they are later;
// the one statement of a session written per store (MAX / GREATEST).
func (t *tx) ExtendSession(sessionID int64, until time.Time) error {
	_, err := t.exec(`UPDATE sessions SET access_expires = GREATEST(access_expires, $1), refresh_expires = GREATEST(refresh_expires, $1)
		WHERE id = $2`, nanos(until), sessionID)
	return err
}

// dbNow is the database server's clock in Unix nanoseconds (to the
// microsecond), moved by one argument: how far the core's now is from
// this machine's clock, 0 in production, a fake clock's advance in tests.
// The refresh reuse interval is judged on it, so that instances whose
// clocks differ agree (issue 26); now() is the transaction's start, one
// instant for every statement of it.
const dbNow = `((extract(epoch from now()) * 1000000)::bigint * 1000 + ?)`

// skew is how far now is from this machine's clock.
func (t *tx) skew(now time.Time) int64 {
	wall := time.Now
	if t.db.wall != nil {
		wall = t.db.wall
	}
	return int64(now.Sub(wall()))
}

// RotateRefresh records the rotation on the database server's clock.
func (t *tx) RotateRefresh(oldRefresh []byte, now time.Time, s *mfad.Session, key []byte) (*mfad.Session, error) {
	return t.Tx.RotateRefreshAt(oldRefresh, now, s, key, dbNow, t.skew(now))
}

// UsedRefresh takes the age of the rotation on the database server's clock.
func (t *tx) UsedRefresh(hash []byte, now time.Time) (*mfad.UsedRefresh, error) {
	return t.Tx.UsedRefreshAt(hash, dbNow, t.skew(now))
}
