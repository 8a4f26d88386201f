package sqlq

import (
	"time"

	"github.com/mfad/mfad/store/internal/column"
)

// expiring names each table DeleteExpired sweeps and its expiry column.
var expiring = []struct{ table, column string }{
	{"sessions", "refresh_expires"},
	{"tickets", "expires_at"},
	{"enrollments", "expires_at"},
	{"trusted_devices", "expires_at"},
	{"known_addresses", "expires_at"},
}

// DeleteExpired deletes the sessions whose refresh token expired before
// now, and the tickets, enrollments, trusted devices and known addresses
// that expired before now. A zero expiry (NULL) is the earliest time, so it has expired too.
func (t Tx) DeleteExpired(now time.Time) error {
	for _, e := range expiring {
		_, err := t.exec(`DELETE FROM `+e.table+` WHERE `+e.column+` IS NULL OR `+e.column+` < ?`, column.Nanos(now))
		if err != nil {
			return err
		}
	}
	return nil
}
