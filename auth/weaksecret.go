package auth

import (
	"fmt"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/otp"
	"github.com/mfad/mfad/weak"
)

// The one check of every secret a client or an administrator brings
// (docs/architecture.md §2): Prepare with a secret, EnableWithSecret (TwinCAT's
// Enable2FA) and ImportFactor all call weakSecret, and the rules are the
// weak package's (published examples, nearly or inside, printable text,
// too little variety). A secret anyone can compute is no second factor.

// weakSecret says why secret is too weak, with the configured minimum size.
func (s *Service) weakSecret(secret []byte) string {
	if err := otp.CheckSecretBits(secret, s.cfg.MinSecretBits); err != nil {
		return fmt.Sprintf("%d bits, under %d", len(secret)*8, s.cfg.MinSecretBits)
	}
	return weak.Secret(secret)
}

// checkClientSecret refuses a weak client-supplied secret with
// EInvalidInput; the message names the reason, never the secret.
func (s *Service) checkClientSecret(secret []byte) error {
	if why := s.weakSecret(secret); why != "" {
		return mfad.Errorf(mfad.EInvalidInput, "secret: refusing a weak secret (%s); let the server make one", why)
	}
	return nil
}
