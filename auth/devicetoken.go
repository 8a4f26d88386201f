package auth

import (
	"context"
	"errors"

	"github.com/mfad/mfad"
)

// Zimbra names "this device" by the trusted token its client holds
// (GetTrustedDevices, RevokeTrustedDevice, RevokeOtherTrustedDevices); these
// calls resolve the token and act on the devices in one transaction.

// deviceOfToken is the id of the user's live trusted device whose trusted
// token is token, or "" for none.
func (s *Service) deviceOfToken(tx mfad.Tx, userID int64, token string) (string, error) {
	if token == "" {
		return "", nil
	}
	d, err := tx.TrustedDeviceByHash(hashToken(token))
	if errors.Is(err, mfad.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if d.UserID != userID || !d.ExpiresAt.After(s.Now()) {
		return "", nil
	}
	return d.DeviceID, nil
}

// TrustedDevicesOf lists the user's live trusted devices and the id of the
// one whose trusted token is token ("" for none).
func (s *Service) TrustedDevicesOf(ctx context.Context, a Actor, userID int64, token string) ([]DeviceInfo, string, error) {
	if err := s.self(a, userID, false); err != nil {
		return nil, "", err
	}
	var out []DeviceInfo
	var this string
	err := s.view(ctx, func(tx mfad.Tx) error {
		ds, err := tx.TrustedDevices(userID)
		if err != nil {
			return err
		}
		now := s.Now()
		for _, d := range ds {
			if d.ExpiresAt.After(now) {
				out = append(out, DeviceInfo{DeviceID: d.DeviceID, Name: d.Name, CreatedAt: d.CreatedAt,
					ExpiresAt: d.ExpiresAt, LastUsedAt: d.LastUsedAt})
			}
		}
		this, err = s.deviceOfToken(tx, userID, token)
		return err
	})
	return out, this, err
}

// RevokeTrustedDeviceOf revokes the device whose trusted token is token
// (nothing to do when the token names no live device of the user), or,
// with others set, every device of the user but that one.
func (s *Service) RevokeTrustedDeviceOf(ctx context.Context, a Actor, userID int64, token string, others bool) error {
	if err := s.self(a, userID, false); err != nil {
		return err
	}
	return s.update(ctx, func(tx mfad.Tx) error {
		this, err := s.deviceOfToken(tx, userID, token)
		if err != nil {
			return err
		}
		action := "device.revoke_others"
		switch {
		case others:
			err = tx.DeleteUserTrustedDevices(userID, this)
		case this == "":
			return nil
		default:
			action = "device.revoke"
			err = tx.DeleteTrustedDevice(userID, this)
		}
		if err != nil && !errors.Is(err, mfad.ErrNoRows) {
			return err
		}
		return s.audit(tx, a, userID, action, "ok", this)
	})
}
