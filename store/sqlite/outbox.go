package sqlite

import (
	"time"

	"github.com/mfad/mfad"
)

// ClaimNotifications claims due outbox rows; SQLite has one writer at a
// time, so a plain update with a lease is enough.
func (t *tx) ClaimNotifications(now, leaseUntil time.Time, limit int) ([]mfad.Notification, error) {
	return t.Tx.ClaimOutbox("", now, leaseUntil, limit)
}
