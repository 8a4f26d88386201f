package otp

import (
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
)

var rfcPSK, _ = hex.DecodeString("12345678901234567890123456789012")

// TestPSKCFigure6: RFC 6030's encrypted example decrypts, with its MAC
// checked, to the RFC 4226 seed; a wrong key or an altered MAC fails.
func TestPSKCFigure6(t *testing.T) {
	data, err := os.ReadFile("testdata/rfc6030-figure6.pskcxml")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ParsePSKC(data, rfcPSK)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || string(keys[0].Key.Secret) != "12345678901234567890" || keys[0].Type != "hotp" ||
		keys[0].Key.Digits != 8 || keys[0].Key.Issuer != "Issuer" {
		t.Fatalf("keys = %+v", keys)
	}
	wrong := append([]byte(nil), rfcPSK...)
	wrong[0] ^= 1
	bad := []struct {
		name string
		data string
		psk  []byte
	}{
		{"wrong key", string(data), wrong},
		{"no key", string(data), nil},
		{"altered MAC", strings.Replace(string(data), "Su+NvtQf", "Su+NvtQg", 1), rfcPSK},
		{"altered value", strings.Replace(string(data), "AAECAwQFBgcICQoLDA0OD+cI", "AAECAwQFBgcICQoLDA0OD+cJ", 1), rfcPSK},
		{"not XML", "<KeyContainer", rfcPSK},
	}
	for _, tt := range bad {
		if _, err := ParsePSKC([]byte(tt.data), tt.psk); !errors.Is(err, ErrInvalidPSKC) {
			t.Errorf("%s: err %v", tt.name, err)
		}
	}
}

// TestPSKCFigure7: RFC 6030's password-protected example (PBKDF2) opens
// with "qwerty" to the RFC 4226 seed; without a password, or with a wrong
// one, or with a file that asks for too much work, it fails and says why.
func TestPSKCFigure7(t *testing.T) {
	data, err := os.ReadFile("testdata/rfc6030-figure7.pskcxml")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ParsePSKCWith(data, nil, []byte("qwerty"))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || string(keys[0].Key.Secret) != "12345678901234567890" || keys[0].Type != "hotp" || keys[0].Key.Digits != 8 {
		t.Fatalf("keys = %+v", keys)
	}
	for _, tt := range []struct {
		name     string
		data     string
		password string
		why      string
	}{
		{"no password", string(data), "", "derived from a password"},
		{"wrong password", string(data), "qwertz", "wrong password"},
		{"too many iterations", strings.Replace(string(data), "<IterationCount>1000<", "<IterationCount>100000000<", 1), "qwerty", "iteration count"},
		{"another key length", strings.Replace(string(data), "<KeyLength>16<", "<KeyLength>32<", 1), "qwerty", "key length"},
	} {
		_, err := ParsePSKCWith([]byte(tt.data), rfcPSK, []byte(tt.password))
		if !errors.Is(err, ErrInvalidPSKC) || !strings.Contains(err.Error(), tt.why) {
			t.Errorf("%s: err %v, want one with %q", tt.name, err, tt.why)
		}
	}
}

// TestPSKCPlainTOTP: a plain TOTP key with its user, digits and interval.
func TestPSKCPlainTOTP(t *testing.T) {
	doc := `<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"><KeyPackage>
<Key Id="1" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp"><Issuer>Vendor</Issuer>
<AlgorithmParameters><ResponseFormat Length="8" Encoding="DECIMAL"/></AlgorithmParameters>
<Data><Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret><TimeInterval><PlainValue>60</PlainValue></TimeInterval></Data>
<UserId>alice</UserId></Key></KeyPackage></KeyContainer>`
	keys, err := ParsePSKC([]byte(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	k := keys[0]
	if k.Type != "totp" || k.UserID != "alice" || k.Key.Digits != 8 || k.Key.Period != 60 || string(k.Key.Secret) != "12345678901234567890" {
		t.Fatalf("key %+v", k)
	}
}

func FuzzParsePSKC(f *testing.F) {
	if b, err := os.ReadFile("testdata/rfc6030-figure6.pskcxml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`<KeyContainer><KeyPackage><Key Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp"><Data><Secret><PlainValue>MTIz</PlainValue></Secret></Data></Key></KeyPackage></KeyContainer>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := ParsePSKC(b, rfcPSK)
		if err != nil {
			if !errors.Is(err, ErrInvalidPSKC) {
				t.Fatalf("error %v does not wrap ErrInvalidPSKC", err)
			}
			return
		}
		for _, k := range keys {
			if len(k.Key.Secret) == 0 || k.Key.Validate() != nil {
				t.Fatalf("accepted an invalid key %+v", k)
			}
		}
	})
}
