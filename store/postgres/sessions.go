package postgres

import (
	"time"
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
