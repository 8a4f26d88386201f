package auth

import (
	"context"
	"errors"

	"github.com/mfad/mfad"
)

// TrustedDeviceID returns the id of the user's live trusted device whose
// trusted token is token, or ENotFound. Zimbra names "this device" by the
// trusted token its client holds (GetTrustedDevices, RevokeTrustedDevice).
func (s *Service) TrustedDeviceID(ctx context.Context, a Actor, userID int64, token string) (string, error) {
	if err := s.self(a, userID, false); err != nil {
		return "", err
	}
	errNone := mfad.Errorf(mfad.ENotFound, "trusted device not found")
	if token == "" {
		return "", errNone
	}
	var id string
	err := s.view(ctx, func(tx mfad.Tx) error {
		d, err := tx.TrustedDeviceByHash(hashToken(token))
		if errors.Is(err, mfad.ErrNoRows) {
			return errNone
		}
		if err != nil {
			return err
		}
		if d.UserID != userID || !d.ExpiresAt.After(s.Now()) {
			return errNone
		}
		id = d.DeviceID
		return nil
	})
	return id, err
}
