package otp

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
)

// b32 is RFC 4648 base32 without padding: authenticator apps and otpauth
// URIs omit the padding, and it only makes secrets longer to type.
func b32() *base32.Encoding { return base32.StdEncoding.WithPadding(base32.NoPadding) }

// GenerateSecret returns size random bytes from crypto/rand; size <= 0
// means DefaultSecretSize (160 bits).
func GenerateSecret(size int) ([]byte, error) {
	if size <= 0 {
		size = DefaultSecretSize
	}
	b := make([]byte, size)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("generate secret: %w", err)
	}
	return b, nil
}

// GenerateKey returns a new default key (SHA1, 6 digits, 30 s) with a
// DefaultSecretSize secret, ready for URI and QRPNG.
func GenerateKey(issuer, account string) (Key, error) {
	s, err := GenerateSecret(DefaultSecretSize)
	if err != nil {
		return Key{}, err
	}
	return Key{Secret: s, Issuer: issuer, Account: account}.Normalize(), nil
}

// EncodeSecret returns b as upper-case base32 without padding.
func EncodeSecret(b []byte) string { return b32().EncodeToString(b) }

// DecodeSecret reads a base32 secret the way authenticator apps accept it
// when typed or pasted: any case, spaces, tabs, line breaks and dashes
// anywhere (apps show secrets in groups), padding present or not. Anything
// else is an error wrapping ErrInvalidSecret that gives the position of the
// first bad character (1-based, counted in characters) but never the
// character itself or any other part of the input, since it is a secret.
//
// Like the apps, it does not insist that the unused low bits of the last
// character are zero.
func DecodeSecret(s string) ([]byte, error) {
	buf := make([]byte, 0, len(s))
	padAt := 0 // position of the first '=', 0 if none yet
	pos := 0
	for _, r := range s {
		pos++
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '-':
			continue
		case r == '=':
			if padAt == 0 {
				padAt = pos
			}
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		switch {
		case (r >= 'A' && r <= 'Z') || (r >= '2' && r <= '7'):
			if padAt != 0 {
				return nil, fmt.Errorf("%w: padding at character %d is followed by more data", ErrInvalidSecret, padAt)
			}
			buf = append(buf, byte(r))
		case r == '0' || r == '1' || r == '8' || r == '9':
			// The usual typo: 0/O and 1/I/L look alike, but base32 has
			// only the digits 2-7. Say so rather than just "invalid".
			return nil, fmt.Errorf("%w: character %d is a digit base32 does not use (only 2-7)", ErrInvalidSecret, pos)
		default:
			return nil, fmt.Errorf("%w: character %d is not in the base32 alphabet (A-Z, 2-7)", ErrInvalidSecret, pos)
		}
	}
	switch len(buf) % 8 {
	case 1, 3, 6:
		// These lengths leave a partial character that no byte count
		// produces, so the text was cut or has a character too many.
		return nil, fmt.Errorf("%w: %d base32 characters is not a possible length (truncated?)", ErrInvalidSecret, len(buf))
	}
	if len(buf) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrInvalidSecret)
	}
	out := make([]byte, b32().DecodedLen(len(buf)))
	n, err := b32().Decode(out, buf)
	if err != nil {
		// Unreachable after the checks above; keep the library's detail
		// out of the message in case it ever quotes input.
		return nil, fmt.Errorf("%w: not base32", ErrInvalidSecret)
	}
	return out[:n], nil
}

// CheckSecretBits returns an error wrapping ErrSecretTooShort if b has fewer
// than minBits bits. docs/architecture.md §2 asks for at least 80 bits from clients and
// generates 160.
func CheckSecretBits(b []byte, minBits int) error {
	if bits := len(b) * 8; bits < minBits {
		return fmt.Errorf("%w: %d bits, need at least %d", ErrSecretTooShort, bits, minBits)
	}
	return nil
}
