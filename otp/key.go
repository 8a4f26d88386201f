package otp

import (
	"fmt"
	"time"
)

// Defaults that every authenticator app supports (docs/architecture.md §2).
const (
	DefaultDigits     = 6
	DefaultPeriod     = 30
	DefaultSecretSize = 20 // bytes: 160 bits, the RFC 4226 recommendation
)

// Key is a decoded TOTP secret with its parameters. The zero Algorithm is
// SHA1; zero Digits and Period mean DefaultDigits and DefaultPeriod, so a
// Key{Secret: s} is a complete default key.
type Key struct {
	Secret    []byte
	Algorithm Algorithm
	Digits    int // 6, 7 or 8
	Period    int // seconds, >= 1
	Issuer    string
	Account   string
}

// Normalize returns k with zero Digits and Period replaced by the defaults,
// which is what ParseURI returns and what URI writes.
func (k Key) Normalize() Key {
	if k.Digits == 0 {
		k.Digits = DefaultDigits
	}
	if k.Period == 0 {
		k.Period = DefaultPeriod
	}
	return k
}

// Validate reports the first parameter out of range, wrapped in
// ErrInvalidKey. Zero Digits and Period are valid (they mean the defaults).
func (k Key) Validate() error {
	k = k.Normalize()
	switch {
	case !k.Algorithm.valid():
		return fmt.Errorf("%w: unknown algorithm %d", ErrInvalidKey, k.Algorithm)
	case !validDigits(k.Digits):
		return fmt.Errorf("%w: digits must be 6, 7 or 8, not %d", ErrInvalidKey, k.Digits)
	case k.Period < 1:
		return fmt.Errorf("%w: period must be at least 1 second, not %d", ErrInvalidKey, k.Period)
	case len(k.Secret) == 0:
		return fmt.Errorf("%w: empty secret", ErrInvalidKey)
	}
	return nil
}

// period returns the period in seconds; a non-positive value (invalid, see
// Validate) counts as the default so Step never divides by zero.
func (k Key) period() int64 {
	if k.Period <= 0 {
		return DefaultPeriod
	}
	return int64(k.Period)
}

// Step returns the RFC 6238 time step of t: floor(unix seconds / period).
// Before 1970 this is negative (floor, not truncation toward zero, so every
// step is exactly period seconds long); no code exists for a negative step.
func (k Key) Step(t time.Time) int64 { return stepOf(t.Unix(), k.period()) }

// stepOf is floor division of unix by a positive period.
func stepOf(unix, period int64) int64 {
	q := unix / period
	if unix%period != 0 && unix < 0 {
		q--
	}
	return q
}

// CodeAt returns the zero-padded code for a time step. It returns "" for an
// invalid key or a negative step, so a misconfiguration never produces a
// code that could be accepted.
func (k Key) CodeAt(step int64) string {
	if step < 0 || k.Validate() != nil {
		return ""
	}
	return HOTP(k.Secret, k.Algorithm, k.Normalize().Digits, uint64(step))
}

// Code returns the code for the time step containing t.
func (k Key) Code(t time.Time) string { return k.CodeAt(k.Step(t)) }
