package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/otp"
)

// knownSecrets are secrets published as examples: in RFC 4226 and RFC 6238
// (their test seeds), in the Google Authenticator documentation, and in the
// documents of the products mfad replaces. Anyone can compute their codes,
// so they are refused on import unless forced.
var knownSecrets = []struct {
	name   string
	secret []byte
}{
	{"the Google Authenticator example", b32("JBSWY3DPEHPK3PXP")},
	{"the RFC 4226/6238 SHA-1 test seed", []byte("12345678901234567890")},
	{"the RFC 6238 SHA-256 test seed", []byte("12345678901234567890123456789012")},
	{"the RFC 6238 SHA-512 test seed", []byte("1234567890123456789012345678901234567890123456789012345678901234")},
	{"the Zimbra documentation example", b32("ABCDEFGHIJKLMNOP")},
	{"the Veeam documentation example", b32("KQ5P6HBW63UTX4JPMXBJXI2PQM")},
}

func b32(s string) []byte {
	b, err := otp.DecodeSecret(s)
	if err != nil {
		panic(err)
	}
	return b
}

// KnownSecret names the published example that secret is, or returns ""
// if it is none. A secret of one repeated byte (all zeros, "AAAA...")
// counts as one too.
func KnownSecret(secret []byte) string {
	for _, k := range knownSecrets {
		if bytes.Equal(k.secret, secret) {
			return k.name
		}
	}
	if len(secret) > 0 && bytes.Count(secret, secret[:1]) == len(secret) {
		return "one byte repeated"
	}
	return ""
}

// ImportFactor turns 2FA on for a user with an existing TOTP key, brought
// over from the product mfad replaces (admins only). The secret is sealed
// before it is stored; secrets under the minimum size (80 bits by default)
// and published example secrets are refused unless force is set. A user
// who has 2FA on already is refused (reset first). The imported factor has
// no scratch codes (the user makes a set with a code), codes of time steps
// up to now count as used (they may have been seen on the old system), and
// what enabling revokes is revoked: the user's sessions, tickets and
// trusted devices.
func (s *Service) ImportFactor(ctx context.Context, a Actor, userID int64, key otp.Key, force bool) error {
	if err := s.admin(a); err != nil {
		return err
	}
	key = key.Normalize()
	if err := key.Validate(); err != nil {
		return mfad.Errorf(mfad.EInvalidInput, "%v", err) // names the parameter, never the secret
	}
	var weak []string
	if err := otp.CheckSecretBits(key.Secret, s.cfg.MinSecretBits); err != nil {
		weak = append(weak, fmt.Sprintf("%d bits, under %d", len(key.Secret)*8, s.cfg.MinSecretBits))
	}
	if name := KnownSecret(key.Secret); name != "" {
		weak = append(weak, "a published example secret ("+name+")")
	}
	if len(weak) > 0 && !force {
		return mfad.Errorf(mfad.EInvalidInput, "refusing a weak secret: %s; import it anyway only with force", weak[0])
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
			LastStep: key.Step(now), Scratch: s.cfg.Scratch, EnabledAt: now, Dialect: a.Dialect}
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
		if len(weak) > 0 {
			detail += "; forced: " + weak[0]
		}
		s.observe(tx, "import", "ok")
		return s.audit(tx, a, userID, "2fa.import", "ok", detail)
	})
}
