package sqlite

import (
	"time"
)

// ExtendSession moves the session's expiries to until unless they are later;
// the one statement of a session written per store (MAX / GREATEST).
func (t *tx) ExtendSession(sessionID int64, until time.Time) error {
	_, err := t.exec(`UPDATE sessions SET access_expires = MAX(access_expires, ?), refresh_expires = MAX(refresh_expires, ?)
		WHERE id = ?`, nanos(until), nanos(until), sessionID)
	return err
}
