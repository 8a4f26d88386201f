package auth

import (
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
