package postgres

import (
	"time"

	"github.com/mfad/mfad"
)

// ClaimNotifications claims due outbox rows. FOR UPDATE SKIP LOCKED lets
// instances claiming at once take different rows instead of waiting on
// each other (and is accepted by PostgreSQL-compatible distributed
// databases); the lease then keeps them off other claims after commit.
func (t *tx) ClaimNotifications(now, leaseUntil time.Time, limit int) ([]mfad.Notification, error) {
	return t.Tx.ClaimOutbox(" FOR UPDATE SKIP LOCKED", now, leaseUntil, limit)
}
