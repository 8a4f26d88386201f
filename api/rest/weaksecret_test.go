package rest_test

import (
	"encoding/base32"
	"strings"
	"testing"

	"github.com/mfad/mfad"
)

// TestPrepareRefusesWeakSecrets (issue 26, item 2): the secrets an outside
// pass brought to POST /v1/users/me/2fa/prepare, which the exact-match
// check took, are refused with 400 invalid_input, the reason named and the
// secret never quoted; nothing is prepared.
func TestPrepareRefusesWeakSecrets(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice")
	alice := e.login("alice", userPassword)
	b32 := func(b string) string { return base32.StdEncoding.EncodeToString([]byte(b)) }
	for _, c := range []struct{ name, secret, why string }{
		{"the base32 alphabet", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "published"},
		{"pyotp's README example", "base32secret3232", "published"},
		{"GA example + AAAAAAAA", "JBSWY3DPEHPK3PXPAAAAAAAA", "published"},
		{"GA example + ABCDEFGH", "JBSWY3DPEHPK3PXPABCDEFGH", "published"},
		{"Veeam's example + AA", "KQ5P6HBW63UTX4JPMXBJXI2PQMAA", "published"},
		{"RFC seed, one digit changed", b32("12345678901234567891"), "published"},
		{"a password", b32("password1234567890!!"), "printable"},
		{"a phrase", b32("SuperSecretPassword!"), "printable"},
		{"six zero bytes then 01 02 03 04", b32("\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04"), "run of"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := e.snapshot()
			r := e.do("POST", "/v1/users/me/2fa/prepare", alice, map[string]any{"secret": c.secret}).wantError(400, mfad.EInvalidInput)
			msg := r.str("error", "message")
			if !strings.Contains(msg, c.why) || strings.Contains(strings.ToUpper(msg), strings.TrimRight(c.secret, "=")) {
				t.Errorf("message %q: want the reason (%s), never the secret", msg, c.why)
			}
			if after := e.snapshot(); after != before {
				t.Errorf("state changed:\n%s\n%s", before, after)
			}
		})
	}
	// A secret from a random source is taken.
	e.do("POST", "/v1/users/me/2fa/prepare", alice, map[string]any{"secret": "N5VVGBDL3V5SHW6IY2UTMQ2M4MQBQRZM"}).want(200)
}
