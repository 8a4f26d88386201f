package weak_test

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/mfad/mfad/weak"
)

func b32(s string) []byte {
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(s))
	if err != nil {
		panic(err)
	}
	return b
}

// TestSecretRefuses holds the secrets of issue 26's outside pass (item 2),
// accepted before by the exact-match check, and the earlier cases.
func TestSecretRefuses(t *testing.T) {
	tests := []struct {
		name   string
		secret []byte
		why    string // a part of the reason
	}{
		{"the base32 alphabet", b32("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"), "published"},
		{"pyotp's README example", b32("base32secret3232"), "published"},
		{"GA example + AAAAAAAA", b32("JBSWY3DPEHPK3PXPAAAAAAAA"), "published"},
		{"GA example + ABCDEFGH", b32("JBSWY3DPEHPK3PXPABCDEFGH"), "published"},
		{"GA example shifted by a character", b32("QJBSWY3DPEHPK3PXPQRSTUVWX"), "published"},
		{"GA example, one character changed", b32("JBSWY3DPEHPK3PXQ"), "published"},
		{"Veeam's example + AA", b32("KQ5P6HBW63UTX4JPMXBJXI2PQMAA"), "published"},
		{"Cloudreve's example with a character changed", b32("CU7426PR4ZPLFLBNHC6IEGOODB3KT5WE"), "published"},
		{"the RFC seed, one digit changed", []byte("12345678901234567891"), "published"},
		{"the RFC seed, cut short", []byte("1234567890123456"), "published"},
		{"the RFC seed in base32 inside more", append([]byte{0x9a, 0x07}, []byte("12345678901234567890")...), "published"},
		{"a password", []byte("password1234567890!!"), "printable"},
		{"a phrase", []byte("SuperSecretPassword!"), "printable"},
		{"six zeros then 1 2 3 4", []byte{0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, "run of"},
		{"a run inside random bytes", []byte{0x9e, 0x31, 0xc4, 0x77, 0x77, 0x77, 0x77, 0x10, 0xfe, 0x2a, 0x61, 0xd3}, "run of"},
		{"one byte repeated", make([]byte, 20), "one byte repeated"},
		{"a block repeated", []byte{1, 0xf2, 1, 0xf2, 1, 0xf2, 1, 0xf2, 1, 0xf2}, "block of 2"},
		{"a run in steps", []byte{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}, "steps"},
		{"few distinct bytes", []byte{0x80, 0x81, 0x82, 0x80, 0x83, 0x81, 0x80, 0x82, 0x83, 0x80, 0x81, 0x83, 0x82, 0x80, 0x81, 0x83, 0x82, 0x80, 0x81, 0x83}, "distinct"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := weak.Secret(tt.secret)
			if !strings.Contains(got, tt.why) {
				t.Errorf("Secret(%x) = %q, want a reason with %q", tt.secret, got, tt.why)
			}
		})
	}
}

// TestSecretTakesRandom: random secrets of the sizes in use pass (but for
// the printable-text rule's known odds, which 20 bytes make negligible).
func TestSecretTakesRandom(t *testing.T) {
	for _, n := range []int{16, 20, 32, 64} {
		for range 2000 {
			b := make([]byte, n)
			rand.Read(b)
			if why := weak.Secret(b); why != "" {
				t.Fatalf("a random %d-byte secret refused: %s (%x)", n, why, b)
			}
		}
	}
	// A real 10-byte secret that is not text (from a random source).
	if why := weak.Secret([]byte{0x4f, 0x9a, 0x01, 0xe7, 0x33, 0xc8, 0x5d, 0xb2, 0x16, 0x8e}); why != "" {
		t.Errorf("a 10-byte random secret refused: %s", why)
	}
}

func TestTextKey(t *testing.T) {
	random := make([]byte, 32)
	rand.Read(random)
	tests := []struct {
		key  string
		weak bool
	}{
		{strings.Repeat("0", 64), true},                            // 64 zero hex digits
		{strings.Repeat("ab", 32), true},                           // a byte repeated
		{"0102030405060708090a0b0c0d0e0f101112131415161718", true}, // steps
		{hex.EncodeToString(random), false},                        // as zmprov makes one
		{"a long pass phrase that a domain admin chose", false},    // text is a text key's form
		{strings.Repeat("x", 40), true},
	}
	for _, tt := range tests {
		if got := weak.TextKey(tt.key); (got != "") != tt.weak {
			t.Errorf("TextKey(%.16q…) = %q, want weak %v", tt.key, got, tt.weak)
		}
	}
}

func FuzzSecret(f *testing.F) {
	f.Add([]byte("12345678901234567890"))
	f.Add(b32("JBSWY3DPEHPK3PXP"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 256 {
			return
		}
		why := weak.Secret(b)
		if why != "" && strings.Contains(why, string(b)) && len(b) > 3 {
			t.Fatalf("the reason quotes the secret: %q", why)
		}
		_ = weak.TextKey(string(b))
	})
}
