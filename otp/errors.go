package otp

import "errors"

// Sentinel errors. Every error this package returns wraps one of them, so
// callers map failures with errors.Is and never parse messages. Messages
// name the problem (a position, a parameter, a size) but never echo a secret.
var (
	// ErrInvalidSecret: the text is not a base32 secret, even leniently read.
	ErrInvalidSecret = errors.New("invalid secret")
	// ErrSecretTooShort: the secret decodes but has fewer bits than required.
	ErrSecretTooShort = errors.New("secret too short")
	// ErrInvalidURI: the text is not an otpauth TOTP key URI this package reads.
	ErrInvalidURI = errors.New("invalid otpauth uri")
	// ErrInvalidKey: a Key parameter (algorithm, digits, period, secret) is
	// out of range.
	ErrInvalidKey = errors.New("invalid key")
	// ErrQRSize: the requested QR image size cannot hold the code legibly, or
	// is unreasonably large.
	ErrQRSize = errors.New("invalid qr size")
)
