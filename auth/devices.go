package auth

import (
	"context"
	"errors"
	"time"

	"github.com/mfad/mfad"
)

// trustedDevice reports whether token is a live trusted device of userID,
// and records its use.
func (s *Service) trustedDevice(tx mfad.Tx, userID int64, token string) bool {
	d, err := tx.TrustedDeviceByHash(hashToken(token))
	if err != nil || d.UserID != userID || !d.ExpiresAt.After(s.Now()) {
		return false
	}
	return tx.TouchTrustedDevice(d.ID, s.Now()) == nil
}

func (s *Service) trustDevice(tx mfad.Tx, a Actor, userID int64, name string) (*TrustedToken, error) {
	now := s.Now()
	token, hash := newToken()
	deviceID, _ := newToken()
	deviceID = deviceID[:22] // 132 bits: an identifier, not a credential
	d := &mfad.TrustedDevice{UserID: userID, DeviceID: deviceID, Hash: hash, Name: truncate(name, 100),
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.TrustedDeviceTTL), LastUsedAt: now}
	if err := tx.CreateTrustedDevice(d); err != nil {
		return nil, err
	}
	if err := s.audit(tx, a, userID, "device.trust", "ok", d.DeviceID); err != nil {
		return nil, err
	}
	if err := s.notify(tx, a, userID, mfad.NotifyTrusted, d.DeviceID); err != nil {
		return nil, err
	}
	return &TrustedToken{Token: token, DeviceID: d.DeviceID, Expires: d.ExpiresAt}, nil
}

// DeviceInfo is a trusted device as fronts show it: never its token hash.
type DeviceInfo struct {
	DeviceID   string // the client-visible id
	Name       string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt time.Time
}

// TrustedDevices lists a user's trusted devices that have not expired: an
// expired one no longer skips the second factor, so no front shows it.
func (s *Service) TrustedDevices(ctx context.Context, a Actor, userID int64) ([]DeviceInfo, error) {
	if err := s.self(a, userID, false); err != nil {
		return nil, err
	}
	var out []DeviceInfo
	err := s.view(ctx, func(tx mfad.Tx) error {
		ds, err := tx.TrustedDevices(userID)
		now := s.Now()
		for _, d := range ds {
			if d.ExpiresAt.After(now) {
				out = append(out, DeviceInfo{DeviceID: d.DeviceID, Name: d.Name, CreatedAt: d.CreatedAt,
					ExpiresAt: d.ExpiresAt, LastUsedAt: d.LastUsedAt})
			}
		}
		return err
	})
	return out, err
}

// RevokeTrustedDevice revokes one device, or, with others set, every device
// but deviceID.
func (s *Service) RevokeTrustedDevice(ctx context.Context, a Actor, userID int64, deviceID string, others bool) error {
	if err := s.self(a, userID, false); err != nil {
		return err
	}
	return s.update(ctx, func(tx mfad.Tx) error {
		var err error
		if others {
			err = tx.DeleteUserTrustedDevices(userID, deviceID)
		} else {
			err = tx.DeleteTrustedDevice(userID, deviceID)
		}
		if errors.Is(err, mfad.ErrNoRows) {
			return mfad.Errorf(mfad.ENotFound, "trusted device not found")
		}
		if err != nil {
			return err
		}
		action := "device.revoke"
		if others {
			action = "device.revoke_others"
		}
		return s.audit(tx, a, userID, action, "ok", deviceID)
	})
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
