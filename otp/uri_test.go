package otp

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// sameKey compares keys field by field; Key holds a slice, so == won't do.
func sameKey(a, b Key) bool {
	return bytes.Equal(a.Secret, b.Secret) && a.Algorithm == b.Algorithm &&
		a.Digits == b.Digits && a.Period == b.Period &&
		a.Issuer == b.Issuer && a.Account == b.Account
}

func TestURIFormat(t *testing.T) {
	secret := []byte("12345678901234567890") // GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
	tests := []struct {
		name string
		key  Key
		want string
	}{
		{
			"Google's example",
			Key{Secret: secret, Issuer: "ACME Co", Account: "john.doe@email.com"},
			"otpauth://totp/ACME%20Co:john.doe@email.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30",
		},
		{
			"no issuer",
			Key{Secret: secret, Account: "alice"},
			"otpauth://totp/alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA1&digits=6&period=30",
		},
		{
			"colons are escaped inside issuer and account",
			Key{Secret: secret, Issuer: "A:B", Account: "c:d", Algorithm: SHA512, Digits: 8, Period: 60},
			"otpauth://totp/A%3AB:c%3Ad?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=A%3AB&algorithm=SHA512&digits=8&period=60",
		},
		{
			"plus, ampersand, equals, slash, question mark, hash, percent",
			Key{Secret: secret, Issuer: "a+b&c=d", Account: "e/f?g#h%i"},
			"otpauth://totp/a%2Bb%26c%3Dd:e%2Ff%3Fg%23h%25i?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=a%2Bb%26c%3Dd&algorithm=SHA1&digits=6&period=30",
		},
		{
			"non-ASCII is percent-encoded UTF-8",
			Key{Secret: secret, Issuer: "Café", Account: "jörg@bücher.de", Algorithm: SHA256, Digits: 7, Period: 15},
			"otpauth://totp/Caf%C3%A9:j%C3%B6rg@b%C3%BCcher.de?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Caf%C3%A9&algorithm=SHA256&digits=7&period=15",
		},
	}
	for _, tc := range tests {
		if got := tc.key.URI(); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
		back, err := ParseURI(tc.want)
		if err != nil || !sameKey(back, tc.key.Normalize()) {
			t.Errorf("%s: ParseURI = %+v, %v; want %+v", tc.name, back, err, tc.key.Normalize())
		}
	}
}

// Build then parse gives the identical key, for awkward names too.
func TestURIRoundTrip(t *testing.T) {
	names := []string{
		"", "alice", "alice@example.com", "Alice Smith", "  two leading spaces in issuer",
		"trailing space ", "a:b", ":", "::", "a%20b", "100%", "+", "a+b", "ümlaut", "日本語",
		"emoji 🔐", "tab-free\u00a0nbsp", "quote\"apostrophe'", "<tag>", "back\\slash", "x?y=z&w#v",
		"Example:", "%3A", "~._-",
	}
	secret := []byte{0, 1, 2, 0xfe, 0xff, 9, 8, 7, 6, 5}
	for _, iss := range names {
		for _, acc := range names {
			if iss != "" && strings.HasPrefix(acc, " ") {
				continue // the format drops these spaces; see TestParseURILenient
			}
			k := Key{Secret: secret, Algorithm: SHA256, Digits: 8, Period: 45, Issuer: iss, Account: acc}
			back, err := ParseURI(k.URI())
			if err != nil || !sameKey(back, k) {
				t.Errorf("issuer %q, account %q: %s parses to %+v, %v", iss, acc, k.URI(), back, err)
			}
		}
	}
}

func TestParseURILenient(t *testing.T) {
	const s = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	secret := []byte("12345678901234567890")
	def := func(issuer, account string) Key {
		return Key{Secret: secret, Digits: 6, Period: 30, Issuer: issuer, Account: account}
	}
	tests := []struct {
		name string
		uri  string
		want Key
	}{
		{"defaults when parameters are absent", "otpauth://totp/Example:alice?secret=" + s, def("Example", "alice")},
		{"issuer only in the parameter", "otpauth://totp/alice?secret=" + s + "&issuer=Example", def("Example", "alice")},
		{"issuer only in the label", "otpauth://totp/Example:alice?secret=" + s, def("Example", "alice")},
		{"no label at all", "otpauth://totp?secret=" + s, def("", "")},
		{"empty label", "otpauth://totp/?secret=" + s, def("", "")},
		{"escaped colon as separator when it matches the issuer", "otpauth://totp/Big%20Corp%3A%20alice%40bigco.com?secret=" + s + "&issuer=Big%20Corp", def("Big Corp", "alice@bigco.com")},
		{"escaped colon without issuer is part of the account", "otpauth://totp/a%3Ab?secret=" + s, def("", "a:b")},
		{"spaces before the account are dropped", "otpauth://totp/Example:%20%20alice?secret=" + s, def("Example", "alice")},
		{"plus means space in query values", "otpauth://totp/Example%20Co:alice?secret=" + s + "&issuer=Example+Co", def("Example Co", "alice")},
		{"plus is literal in the label", "otpauth://totp/a+b:alice?secret=" + s + "&issuer=a%2Bb", def("a+b", "alice")},
		{"unescaped plus in the issuer parameter matching the label", "otpauth://totp/a+b:alice?secret=" + s + "&issuer=a+b", def("a+b", "alice")},
		{"case-insensitive scheme, type, names", "OTPAUTH://TOTP/Example:alice?SECRET=" + s + "&Algorithm=sha-256&DIGITS=8&Period=60",
			Key{Secret: secret, Algorithm: SHA256, Digits: 8, Period: 60, Issuer: "Example", Account: "alice"}},
		{"lenient secret", "otpauth://totp/x?secret=gezd%20gnbv-gy3t-qojq-gezd-gnbv-gy3t-qojq%3D%3D", def("", "x")},
		{"unknown parameters ignored", "otpauth://totp/x?image=https%3A%2F%2Fe.com%2Fa.png&secret=" + s + "&color=red&image=2", def("", "x")},
		{"empty issuer parameter", "otpauth://totp/Example:alice?secret=" + s + "&issuer=", def("Example", "alice")},
		{"empty parts and fragment", "otpauth://totp/x?&secret=" + s + "&&#frag", def("", "x")},
		{"surrounding whitespace", "  otpauth://totp/x?secret=" + s + "\n", def("", "x")},
		{"first literal colon splits", "otpauth://totp/A:b:c?secret=" + s, def("A", "b:c")},
		{"period 1 and 7 digits", "otpauth://totp/x?secret=" + s + "&period=1&digits=7",
			Key{Secret: secret, Digits: 7, Period: 1, Account: "x"}},
	}
	for _, tc := range tests {
		got, err := ParseURI(tc.uri)
		if err != nil || !sameKey(got, tc.want) {
			t.Errorf("%s: ParseURI(%q) = %+v, %v; want %+v", tc.name, tc.uri, got, err, tc.want)
		}
	}
}

func TestParseURIRejects(t *testing.T) {
	const s = "secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	tests := []struct {
		name    string
		uri     string
		also    error  // a second sentinel the error must wrap, if any
		message string // must appear in the error
	}{
		{"empty", "", nil, "scheme"},
		{"no scheme", "totp/x?" + s, nil, "scheme"},
		{"wrong scheme", "https://totp/x?" + s, nil, "scheme"},
		{"otpauth-migration", "otpauth-migration://offline?data=abc", nil, "scheme"},
		{"hotp", "otpauth://hotp/x?" + s + "&counter=0", nil, "hotp"},
		{"unknown type", "otpauth://motp/x?" + s, nil, "type"},
		{"missing secret", "otpauth://totp/x?issuer=x", nil, "missing secret"},
		{"empty secret", "otpauth://totp/x?secret=", ErrInvalidSecret, "empty"},
		{"bad secret character", "otpauth://totp/x?secret=GEZDGNB1", ErrInvalidSecret, "character 8"},
		{"repeated secret", "otpauth://totp/x?" + s + "&" + s, nil, "more than once"},
		{"digits 5", "otpauth://totp/x?" + s + "&digits=5", ErrInvalidKey, "digits"},
		{"digits 9", "otpauth://totp/x?" + s + "&digits=9", ErrInvalidKey, "digits"},
		{"digits empty", "otpauth://totp/x?" + s + "&digits=", ErrInvalidKey, "digits"},
		{"digits word", "otpauth://totp/x?" + s + "&digits=six", ErrInvalidKey, "digits"},
		{"digits signed", "otpauth://totp/x?" + s + "&digits=+6", ErrInvalidKey, "digits"},
		{"period 0", "otpauth://totp/x?" + s + "&period=0", ErrInvalidKey, "period"},
		{"period negative", "otpauth://totp/x?" + s + "&period=-30", ErrInvalidKey, "period"},
		{"period fraction", "otpauth://totp/x?" + s + "&period=30.5", ErrInvalidKey, "period"},
		{"period huge", "otpauth://totp/x?" + s + "&period=99999999999999999999", ErrInvalidKey, "period"},
		{"algorithm unknown", "otpauth://totp/x?" + s + "&algorithm=MD5", ErrInvalidKey, "algorithm"},
		{"algorithm empty", "otpauth://totp/x?" + s + "&algorithm=", ErrInvalidKey, "algorithm"},
		{"issuer mismatch", "otpauth://totp/A:x?" + s + "&issuer=B", nil, "differ"},
		{"issuer mismatch by case", "otpauth://totp/Example:x?" + s + "&issuer=example", nil, "differ"},
		{"bad escape in label", "otpauth://totp/a%zz:x?" + s, nil, "percent-encoding"},
		{"bad escape in value", "otpauth://totp/x?" + s + "&issuer=%", nil, "percent-encoding"},
		{"invalid UTF-8", "otpauth://totp/%FF:x?" + s, nil, "UTF-8"},
		{"control character", "otpauth://totp/A:x%0Ay?" + s, nil, "control"},
	}
	for _, tc := range tests {
		k, err := ParseURI(tc.uri)
		if err == nil {
			t.Errorf("%s: ParseURI(%q) = %+v, want an error", tc.name, tc.uri, k)
			continue
		}
		if !errors.Is(err, ErrInvalidURI) {
			t.Errorf("%s: %v does not wrap ErrInvalidURI", tc.name, err)
		}
		if tc.also != nil && !errors.Is(err, tc.also) {
			t.Errorf("%s: %v does not wrap %v", tc.name, err, tc.also)
		}
		if !strings.Contains(err.Error(), tc.message) {
			t.Errorf("%s: error %q does not contain %q", tc.name, err, tc.message)
		}
		if strings.Contains(err.Error(), "GEZDGNB") {
			t.Errorf("%s: error %q quotes the secret", tc.name, err)
		}
	}
}
