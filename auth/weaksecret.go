package auth

import (
	"bytes"
	"fmt"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/otp"
)

// The one check of every secret a client or an administrator brings
// (docs/architecture.md §2): Prepare with a secret, EnableWithSecret (TwinCAT's
// Enable2FA) and ImportFactor all call weakSecret. A secret anyone can
// compute is no second factor.

// knownSecrets are secrets published as examples: in RFC 4226 and RFC 6238
// (their test seeds), in the Google Authenticator documentation, and in the
// documents of the products mfad replaces.
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
	{"the Cloudreve documentation example", b32("CU7426PR4ZPLFLBNHC6IEGOODB3KT5WD")},
}

func b32(s string) []byte {
	b, err := otp.DecodeSecret(s)
	if err != nil {
		panic(err)
	}
	return b
}

// KnownSecret names the published example that secret is, or returns "" if
// it is none.
func KnownSecret(secret []byte) string {
	for _, k := range knownSecrets {
		if bytes.Equal(k.secret, secret) {
			return k.name
		}
	}
	return ""
}

// WeakSecret says why secret is too weak to be a second factor, or returns
// "" if it is not: a published example, a block repeated (one byte
// repeated, "ABAB...", an example written twice), a run of bytes counting
// up or down by one step, or too few distinct bytes to be random (fewer
// than a quarter of its length, or 4). A random secret of 80 bits or more
// is none of these but with a negligible chance.
func WeakSecret(secret []byte) string {
	if name := KnownSecret(secret); name != "" {
		return "a published example secret (" + name + ")"
	}
	n := len(secret)
	if n == 0 {
		return "empty"
	}
	for p := 1; p <= n/2; p++ {
		if bytes.Equal(secret[p:], secret[:n-p]) {
			if p == 1 {
				return "one byte repeated"
			}
			return fmt.Sprintf("a block of %d bytes repeated", p)
		}
	}
	if n > 2 {
		step, even := secret[1]-secret[0], true
		for i := 2; i < n && even; i++ {
			even = secret[i]-secret[i-1] == step
		}
		if even {
			return "a run of bytes in steps"
		}
	}
	seen := map[byte]bool{}
	for _, b := range secret {
		seen[b] = true
	}
	if len(seen) < max(4, n/4) {
		return fmt.Sprintf("only %d distinct bytes", len(seen))
	}
	return ""
}

// weakSecret is WeakSecret with the configured minimum size.
func (s *Service) weakSecret(secret []byte) string {
	if err := otp.CheckSecretBits(secret, s.cfg.MinSecretBits); err != nil {
		return fmt.Sprintf("%d bits, under %d", len(secret)*8, s.cfg.MinSecretBits)
	}
	return WeakSecret(secret)
}

// checkClientSecret refuses a weak client-supplied secret with
// EInvalidInput; the message names the reason, never the secret.
func (s *Service) checkClientSecret(secret []byte) error {
	if why := s.weakSecret(secret); why != "" {
		return mfad.Errorf(mfad.EInvalidInput, "secret: refusing a weak secret (%s); let the server make one", why)
	}
	return nil
}
