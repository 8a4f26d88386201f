package sqlq

import (
	"github.com/mfad/mfad/store/internal/column"
	"time"

	"github.com/mfad/mfad"
)

const deviceColumns = `id, user_id, device_id, hash, name, created_at, expires_at, last_used_at`

func scanDevice(s Scanner) (mfad.TrustedDevice, error) {
	var d mfad.TrustedDevice
	err := s.Scan(&d.ID, &d.UserID, &d.DeviceID, column.Bytes{B: &d.Hash}, &d.Name,
		column.Time{T: &d.CreatedAt}, column.Time{T: &d.ExpiresAt}, column.Time{T: &d.LastUsedAt})
	return d, err
}

// CreateTrustedDevice inserts d and sets its ID. ErrNoRows: no such user;
// ErrDuplicate: the device id or hash is taken.
func (t Tx) CreateTrustedDevice(d *mfad.TrustedDevice) error {
	return t.row(`INSERT INTO trusted_devices (user_id, device_id, hash, name, created_at, expires_at,
		last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		d.UserID, d.DeviceID, column.Blob(d.Hash), d.Name, column.Nanos(d.CreatedAt), column.Nanos(d.ExpiresAt), column.Nanos(d.LastUsedAt),
	).Scan(&d.ID)
}

// TrustedDevices returns the user's trusted devices, by id.
func (t Tx) TrustedDevices(userID int64) ([]mfad.TrustedDevice, error) {
	var ds []mfad.TrustedDevice
	err := t.each(`SELECT `+deviceColumns+` FROM trusted_devices WHERE user_id = ? ORDER BY id`,
		[]any{userID}, func(s Scanner) error {
			d, err := scanDevice(s)
			if err == nil {
				ds = append(ds, d)
			}
			return err
		})
	return ds, err
}

func (t Tx) TrustedDeviceByHash(hash []byte) (*mfad.TrustedDevice, error) {
	if len(hash) == 0 {
		return nil, mfad.ErrNoRows
	}
	d, err := scanDevice(t.row(`SELECT `+deviceColumns+` FROM trusted_devices WHERE hash = ?`, hash))
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func (t Tx) TouchTrustedDevice(id int64, at time.Time) error {
	return t.execOne(`UPDATE trusted_devices SET last_used_at = ? WHERE id = ?`, column.Nanos(at), id)
}

func (t Tx) DeleteTrustedDevice(userID int64, deviceID string) error {
	return t.execOne(`DELETE FROM trusted_devices WHERE user_id = ? AND device_id = ?`, userID, deviceID)
}

// DeleteUserTrustedDevices deletes the user's trusted devices but the one
// with exceptDeviceID ("": all).
func (t Tx) DeleteUserTrustedDevices(userID int64, exceptDeviceID string) error {
	_, err := t.exec(`DELETE FROM trusted_devices WHERE user_id = ? AND device_id <> ?`, userID, exceptDeviceID)
	return err
}
