package otp

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"strconv"
	"strings"
)

// Algorithm is the HMAC hash of a key. The zero value is SHA1, the RFC 4226
// default and the only one every authenticator app supports.
type Algorithm uint8

// The algorithms RFC 6238 defines.
const (
	SHA1 Algorithm = iota
	SHA256
	SHA512
)

// String returns the name used in otpauth URIs.
func (a Algorithm) String() string {
	switch a {
	case SHA1:
		return "SHA1"
	case SHA256:
		return "SHA256"
	case SHA512:
		return "SHA512"
	}
	return "Algorithm(" + strconv.Itoa(int(a)) + ")"
}

// valid reports whether a is one of the defined algorithms.
func (a Algorithm) valid() bool { return a <= SHA512 }

// hash returns the constructor for hmac.New, or nil for an unknown value.
func (a Algorithm) hash() func() hash.Hash {
	switch a {
	case SHA1:
		return sha1.New
	case SHA256:
		return sha256.New
	case SHA512:
		return sha512.New
	}
	return nil
}

// ParseAlgorithm reads an algorithm name case-insensitively, with or without
// the dash ("SHA1", "SHA-1", "sha256", "Sha-512"), because generators of
// otpauth URIs disagree on the spelling.
func ParseAlgorithm(s string) (Algorithm, error) {
	n := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", ""))
	switch n {
	case "SHA1":
		return SHA1, nil
	case "SHA256":
		return SHA256, nil
	case "SHA512":
		return SHA512, nil
	}
	return 0, fmt.Errorf("%w: unknown algorithm %q (want SHA1, SHA256 or SHA512)", ErrInvalidKey, clip(s, 16))
}

// clip shortens untrusted text before it goes into an error message, so a
// hostile input cannot make log lines arbitrarily long.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
