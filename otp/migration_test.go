package otp

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// otpParameters builds one OtpParameters message from Google
// Authenticator's published schema (see ParseMigrationURI).
func otpParameters(secret []byte, name, issuer string, alg, digits, typ uint64) []byte {
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendBytes(b, secret)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendString(b, name)
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	b = protowire.AppendString(b, issuer)
	b = protowire.AppendTag(b, 4, protowire.VarintType)
	b = protowire.AppendVarint(b, alg)
	b = protowire.AppendTag(b, 5, protowire.VarintType)
	b = protowire.AppendVarint(b, digits)
	b = protowire.AppendTag(b, 6, protowire.VarintType)
	b = protowire.AppendVarint(b, typ)
	return b
}

// migrationPayload wraps entries in a MigrationPayload with version 1, one
// batch, as the app writes it.
func migrationPayload(entries ...[]byte) []byte {
	var b []byte
	for _, e := range entries {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, e)
	}
	for num, v := range map[protowire.Number]uint64{2: 1, 3: 1, 4: 0, 5: 12345} {
		b = protowire.AppendTag(b, num, protowire.VarintType)
		b = protowire.AppendVarint(b, v)
	}
	return b
}

func migrationURI(payload []byte) string {
	return "otpauth-migration://offline?data=" + url.QueryEscape(base64.StdEncoding.EncodeToString(payload))
}

func TestParseMigrationURI(t *testing.T) {
	s1 := []byte("12345678901234567890")
	s2 := bytes.Repeat([]byte{0xA5, 0x3C}, 16)
	uri := migrationURI(migrationPayload(
		otpParameters(s1, "ACME Co:alice@example.com", "ACME Co", 1, 1, 2),
		otpParameters(s1, "ACME Co:counter", "ACME Co", 1, 1, 1), // HOTP: skipped
		otpParameters(s2, "bob", "", 2, 2, 2),
		otpParameters(s1, "old", "", 4, 1, 2), // MD5: skipped
		otpParameters(nil, "empty", "", 1, 1, 2),
	))
	entries, err := ParseMigrationURI(uri)
	if err != nil {
		t.Fatal(err)
	}
	want := []Key{
		{Secret: s1, Algorithm: SHA1, Digits: 6, Period: 30, Issuer: "ACME Co", Account: "alice@example.com"},
		{Secret: s2, Algorithm: SHA256, Digits: 8, Period: 30, Account: "bob"},
	}
	var keys []Key
	var skipped []string
	for _, e := range entries {
		if e.Skip != "" {
			if e.Key.Secret != nil {
				t.Errorf("skipped entry %q keeps its secret", e.Key.Account)
			}
			skipped = append(skipped, e.Key.Account+": "+e.Skip)
			continue
		}
		keys = append(keys, e.Key)
	}
	wantSkipped := []string{"counter: not a TOTP account (HOTP counters are not supported)", "old: unsupported algorithm (MD5 or unknown)", "empty: no secret"}
	if strings.Join(skipped, "|") != strings.Join(wantSkipped, "|") {
		t.Errorf("skipped %q, want %q", skipped, wantSkipped)
	}
	if len(keys) != len(want) {
		t.Fatalf("%d keys", len(keys))
	}
	for i := range want {
		g, w := keys[i], want[i]
		if !bytes.Equal(g.Secret, w.Secret) || g.Algorithm != w.Algorithm || g.Digits != w.Digits || g.Period != w.Period || g.Issuer != w.Issuer || g.Account != w.Account {
			t.Errorf("key %d = %+v, want %+v", i, g, w)
		}
	}
	bad := []struct{ name, uri string }{
		{"not the scheme", "otpauth://totp/x?secret=GEZDGNBV"},
		{"no data", "otpauth-migration://offline"},
		{"not base64", "otpauth-migration://offline?data=!!!"},
		{"truncated", migrationURI(migrationPayload(otpParameters(s1, "a", "", 1, 1, 2))[:10])},
		{"no entries", migrationURI(migrationPayload())},
	}
	for _, tt := range bad {
		if _, err := ParseMigrationURI(tt.uri); !errors.Is(err, ErrInvalidMigration) {
			t.Errorf("%s: err %v", tt.name, err)
		}
	}
}

func FuzzParseMigrationURI(f *testing.F) {
	f.Add(migrationURI(migrationPayload(otpParameters([]byte("12345678901234567890"), "I:a", "I", 1, 1, 2))))
	f.Add("otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZTAC")
	f.Add("otpauth-migration://offline?data=")
	f.Fuzz(func(t *testing.T, s string) {
		keys, err := ParseMigrationURI(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidMigration) {
				t.Fatalf("error %v does not wrap ErrInvalidMigration", err)
			}
			return
		}
		for _, e := range keys {
			if e.Skip == "" && (len(e.Key.Secret) == 0 || e.Key.Validate() != nil) {
				t.Fatalf("accepted an invalid key %+v", e.Key)
			}
		}
	})
}
