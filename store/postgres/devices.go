package postgres

import (
	"time"

	"github.com/mfad/mfad"
)

const deviceColumns = `id, user_id, device_id, hash, name, created_at, expires_at, last_used_at`

func scanDevice(s scanner) (mfad.TrustedDevice, error) {
	var d mfad.TrustedDevice
	err := s.Scan(&d.ID, &d.UserID, &d.DeviceID, blobDest{B: &d.Hash}, &d.Name,
		timeDest{T: &d.CreatedAt}, timeDest{T: &d.ExpiresAt}, timeDest{T: &d.LastUsedAt})
	return d, err
}

// CreateTrustedDevice inserts d and sets its ID. ErrNoRows: no such user;
// ErrDuplicate: the device id or hash is taken.
func (t *tx) CreateTrustedDevice(d *mfad.TrustedDevice) error {
	return t.row(`INSERT INTO trusted_devices (user_id, device_id, hash, name, created_at, expires_at,
		last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		d.UserID, d.DeviceID, blob(d.Hash), d.Name, nanos(d.CreatedAt), nanos(d.ExpiresAt), nanos(d.LastUsedAt),
	).Scan(&d.ID)
}

// TrustedDevices returns the user's trusted devices, by id.
func (t *tx) TrustedDevices(userID int64) ([]mfad.TrustedDevice, error) {
	var ds []mfad.TrustedDevice
	err := t.each(`SELECT `+deviceColumns+` FROM trusted_devices WHERE user_id = $1 ORDER BY id`,
		[]any{userID}, func(s scanner) error {
			d, err := scanDevice(s)
			if err == nil {
				ds = append(ds, d)
			}
			return err
		})
	return ds, err
}

func (t *tx) TrustedDeviceByHash(hash []byte) (*mfad.TrustedDevice, error) {
	if len(hash) == 0 {
		return nil, mfad.ErrNoRows
	}
	d, err := scanDevice(t.row(`SELECT `+deviceColumns+` FROM trusted_devices WHERE hash = $1`, hash))
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func (t *tx) TouchTrustedDevice(id int64, at time.Time) error {
	return t.execOne(`UPDATE trusted_devices SET last_used_at = $1 WHERE id = $2`, nanos(at), id)
}

func (t *tx) DeleteTrustedDevice(userID int64, deviceID string) error {
	return t.execOne(`DELETE FROM trusted_devices WHERE user_id = $1 AND device_id = $2`, userID, deviceID)
}

// DeleteUserTrustedDevices deletes the user's trusted devices but the one
// with exceptDeviceID ("": all).
func (t *tx) DeleteUserTrustedDevices(userID int64, exceptDeviceID string) error {
	_, err := t.exec(`DELETE FROM trusted_devices WHERE user_id = $1 AND device_id <> $2`, userID, exceptDeviceID)
	return err
}
