package otp

import (
	"crypto/hmac"
	"encoding/binary"
)

// pow10 returns 10^d. A loop rather than a table keeps the package free of
// package-level variables; callers on the hot path compute it once.
func pow10(d int) uint32 {
	r := uint32(1)
	for range d {
		r *= 10
	}
	return r
}

// validDigits reports whether d is a digit count RFC 4226 allows (6 to 8).
func validDigits(d int) bool { return d >= 6 && d <= 8 }

// HOTP returns the RFC 4226 code for counter: HMAC over the 8-byte big-endian
// counter, dynamic truncation, then the low digits, zero-padded. digits 0
// means DefaultDigits. An unknown algorithm or a digit count other than 6, 7
// or 8 yields "" rather than a panic: an empty code never verifies, so a
// misconfigured key fails closed.
func HOTP(secret []byte, alg Algorithm, digits int, counter uint64) string {
	if digits == 0 {
		digits = DefaultDigits
	}
	h := alg.hash()
	if h == nil || !validDigits(digits) {
		return ""
	}
	mac := hmac.New(h, secret)
	var ctr [8]byte
	binary.BigEndian.PutUint64(ctr[:], counter)
	mac.Write(ctr[:])
	var buf [64]byte
	return formatCode(truncate(mac.Sum(buf[:0]))%pow10(digits), digits)
}

// truncate is RFC 4226 section 5.3 dynamic truncation: the low nibble of the
// last byte picks 4 bytes, whose top bit is dropped to avoid sign problems.
func truncate(sum []byte) uint32 {
	off := sum[len(sum)-1] & 0x0f
	return binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
}

// formatCode writes v as exactly digits decimal digits, zero-padded.
func formatCode(v uint32, digits int) string {
	var b [8]byte
	for i := digits - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[:digits])
}

// parseCode reads a code of exactly digits ASCII decimal digits. The length
// and the character set are public facts about the attacker's own input, so
// returning early here leaks nothing about the secret.
func parseCode(code string, digits int) (uint32, bool) {
	if len(code) != digits {
		return 0, false
	}
	var v uint32
	for i := 0; i < len(code); i++ {
		c := code[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint32(c-'0')
	}
	return v, true
}
