package web

import (
	"strings"
	"testing"

	"github.com/mfad/mfad/otp"
)

// The tap-to-add link is the prepared otpauth URI, and only once it parses
// back to the secret shown for typing; anything else is refused rather
// than linked (html/template would otherwise turn it into #ZgotmplZ).
func TestPhoneLink(t *testing.T) {
	secret := otp.EncodeSecret([]byte("phone-link-test-key!"))
	other := otp.EncodeSecret([]byte("another-test-key-20b"))
	good := otp.Key{Secret: []byte("phone-link-test-key!"), Issuer: "mfad", Account: "ann@example.org"}.URI()
	link, err := phoneLink(good, secret)
	if err != nil || string(link) != good || !strings.HasPrefix(good, "otpauth://totp/") {
		t.Fatalf("phoneLink(%q) = %q, %v", good, link, err)
	}
	for name, uri := range map[string]string{
		"another secret": otp.Key{Secret: []byte("another-test-key-20b"), Issuer: "mfad"}.URI(),
		"not a URI":      "javascript:alert(1)",
		"hotp":           strings.Replace(good, "otpauth://totp/", "otpauth://hotp/", 1),
		"empty":          "",
	} {
		if link, err := phoneLink(uri, secret); err == nil {
			t.Errorf("%s: phoneLink(%q) = %q, want an error", name, uri, link)
		}
	}
	if _, err := phoneLink(good, other); err == nil {
		t.Error("a URI of another secret than the one shown was linked")
	}
}
