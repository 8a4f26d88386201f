package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/otp"
)

// ImportFactor turns 2FA on for a user with an existing TOTP key, brought
// over from the product mfad replaces (admins only). The secret is sealed
// before it is stored; secrets under the minimum size (80 bits by default)
// and published example secrets are refused unless force is set. A user
// who has 2FA on already is refused (reset first). The imported factor has
// no scratch codes (the user makes a set with a code), codes of time steps
// up to now count as used (they may have been seen on the old system), and
// what enabling revokes is revoked: the user's sessions, tickets and
// trusted devices.
//
// One caller (mfad import): existing secrets enter only by the command on the server.
func (s *Service) ImportFactor(ctx context.Context, a Actor, userID int64, key otp.Key, force bool) error {
	if err := s.admin(a); err != nil {
		return err
	}
	key = key.Normalize()
	if err := key.Validate(); err != nil {
		return mfad.Errorf(mfad.EInvalidInput, "%v", err) // names the parameter, never the secret
	}
	weak := s.weakSecret(key.Secret)
	if weak != "" && !force {
		return mfad.Errorf(mfad.EInvalidInput, "refusing a weak secret: %s; import it anyway only with force", weak)
	}
	return s.update(ctx, func(tx mfad.Tx) error {
		if _, err := tx.UserByID(userID); err != nil {
			return notFound(err, "user")
		}
		if _, err := tx.Factor(userID); err == nil {
			return mfad.Errorf(mfad.EConflict, "the user has two-factor authentication on already; reset it first")
		} else if !errors.Is(err, mfad.ErrNoRows) {
			return err
		}
		now := s.Now()
		f := &mfad.Factor{UserID: userID, Algorithm: key.Algorithm.String(), Digits: key.Digits, Period: key.Period,
			LastStep: key.Step(now), Scratch: s.cfg.Scratch, EnabledAt: now, Dialect: a.client.Dialect}
		var err error
		if f.Secret, err = s.ring.Seal(key.Secret, mfad.SealAD(mfad.SealFactorSecret, userID)); err != nil {
			return err
		}
		if err := tx.PutFactor(f); err != nil {
			return err
		}
		for _, del := range []func(int64) error{tx.DeleteScratchCodes, tx.DeleteEnrollment} {
			if err := del(userID); err != nil && !errors.Is(err, mfad.ErrNoRows) {
				return err
			}
		}
		if err := tx.ResetMFAFailures(userID); err != nil {
			return err
		}
		if err := revoke(tx, userID, revocation{sessions: true, tickets: true, devices: true}); err != nil {
			return err
		}
		detail := fmt.Sprintf("%s, %d digits, %d s", f.Algorithm, f.Digits, f.Period)
		if weak != "" {
			detail += "; forced: " + weak
		}
		s.observe(tx, "import", "ok")
		if err := s.notify(tx, a, userID, mfad.NotifyEnabled, "imported by an administrator"); err != nil {
			return err
		}
		return s.audit(tx, a, userID, "2fa.import", "ok", detail)
	})
}
