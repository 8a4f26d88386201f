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

// TrustedDevices lists a user's trusted devices that have not expired (an
// expired one no longer skips the second factor, so no front shows it),
// and the id of the one whose trusted token is token ("" for none, or
// when token is empty): Zimbra's "this device".
func (s *Service) TrustedDevices(ctx context.Context, a Actor, userID int64, token string) ([]DeviceInfo, string, error) {
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

// DeviceRevocation names the trusted device to revoke: by its id, or by
// the trusted token the client holds (Zimbra's "this device").
type DeviceRevocation struct {
	UserID   int64
	DeviceID string
	Token    string // used when DeviceID is empty
	Others   bool   // revoke every device of the user but the named one
}

// RevokeTrustedDevice revokes one device, or, with Others, every device
// but the named one. A device named by id that is not the user's is not
// found; a token that names no live device of the user revokes nothing.
func (s *Service) RevokeTrustedDevice(ctx context.Context, a Actor, r DeviceRevocation) error {
	if err := s.self(a, r.UserID, false); err != nil {
		return err
	}
	return s.update(ctx, func(tx mfad.Tx) error {
		id, byToken := r.DeviceID, r.DeviceID == ""
		if byToken {
			var err error
			if id, err = s.deviceOfToken(tx, r.UserID, r.Token); err != nil {
				return err
			}
			if id == "" && !r.Others {
				return nil
			}
		}
		var err error
		action := "device.revoke"
		if r.Others {
			action = "device.revoke_others"
			err = tx.DeleteUserTrustedDevices(r.UserID, id)
		} else {
			err = tx.DeleteTrustedDevice(r.UserID, id)
		}
		switch {
		case errors.Is(err, mfad.ErrNoRows) && !byToken:
			return mfad.Errorf(mfad.ENotFound, "trusted device not found")
		case err != nil && !errors.Is(err, mfad.ErrNoRows):
			return err
		}
		return s.audit(tx, a, r.UserID, action, "ok", id)
	})
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
