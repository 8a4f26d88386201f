package otp

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestEncodeSecret(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"", ""},
		{"f", "MY"},
		{"fo", "MZXQ"},
		{"foo", "MZXW6"},
		{"foob", "MZXW6YQ"},
		{"fooba", "MZXW6YTB"},
		{"foobar", "MZXW6YTBOI"},
		{"12345678901234567890", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"},
	}
	for _, tc := range tests {
		if got := EncodeSecret([]byte(tc.in)); got != tc.want {
			t.Errorf("EncodeSecret(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDecodeSecretLenient(t *testing.T) {
	rfc := "12345678901234567890"
	tests := []struct {
		in   string
		want string
	}{
		{"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", rfc},
		{"gezdgnbvgy3tqojqgezdgnbvgy3tqojq", rfc},
		{"GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ", rfc},
		{"gezd-gnbv-gy3t-qojq-gezd-gnbv-gy3t-qojq", rfc},
		{"  GEZDGNBVGY3TQOJQ\tGEZDGNBVGY3TQOJQ\r\n", rfc},
		{"MZXW6YQ=", "foob"},
		{"MZXW6YQ", "foob"},
		{"mzxw6===", "foo"},
		{"MZ======", "f"},
		{"MZ", "f"},
		{"MZ = = =", "f"},
		{"MZXW6YTBOI", "foobar"},
		{"MZXW6YTBOI======", "foobar"},
		// Non-zero unused bits in the last character are tolerated, as
		// the apps do: "MZ" and "M3" both decode to "f".
		{"M3", "f"},
	}
	for _, tc := range tests {
		got, err := DecodeSecret(tc.in)
		if err != nil || string(got) != tc.want {
			t.Errorf("DecodeSecret(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestDecodeSecretRejects(t *testing.T) {
	tests := []struct {
		in      string
		message string // must appear in the error
	}{
		{"", "empty"},
		{"  - -", "empty"},
		{"====", "empty"},
		{"GEZDGNB0", "character 8 is a digit"},
		{"1EZDGNBV", "character 1 is a digit"},
		{"GEZD GNB8", "character 9 is a digit"},
		{"GEZDGNB!", "character 8 is not in the base32 alphabet"},
		{"GEZDGNB_", "character 8 is not in the base32 alphabet"},
		{"GEZD+GNB", "character 5 is not"},
		{"GEZD.GNB", "character 5 is not"},
		{"ÄEZDGNBV", "character 1 is not"},    // counted in characters,
		{"AÖZDGNBV", "character 2 is not"},    // not bytes
		{"GEZ\xffGNBV", "character 4 is not"}, // invalid UTF-8
		{"MZ==MZ", "padding at character 3 is followed"},
		{"M", "1 base32 characters is not a possible length"},
		{"MZX", "3 base32 characters"},
		{"MZXW6Y", "6 base32 characters"},
		{"MZXW6YTBO", "9 base32 characters"},
	}
	for _, tc := range tests {
		got, err := DecodeSecret(tc.in)
		if err == nil {
			t.Errorf("DecodeSecret(%q) = %q, want an error", tc.in, got)
			continue
		}
		if !errors.Is(err, ErrInvalidSecret) {
			t.Errorf("DecodeSecret(%q): %v does not wrap ErrInvalidSecret", tc.in, err)
		}
		if !strings.Contains(err.Error(), tc.message) {
			t.Errorf("DecodeSecret(%q) error %q does not contain %q", tc.in, err, tc.message)
		}
	}
}

// The error names the problem but never repeats the input.
func TestDecodeSecretErrorDoesNotEchoSecret(t *testing.T) {
	for _, in := range []string{"SECRETVALUEQ!", "SECRETVALUEQ0", "SECRETVALUEQXY", "SECRET==VALUE"} {
		_, err := DecodeSecret(in)
		if err == nil {
			t.Fatalf("DecodeSecret(%q) accepted", in)
		}
		for _, part := range []string{"SECRET", "VALUE", "!", "QX"} {
			if strings.Contains(err.Error(), part) {
				t.Errorf("error %q for %q echoes %q", err, in, part)
			}
		}
	}
}

func TestGenerateSecret(t *testing.T) {
	for _, tc := range []struct{ size, want int }{{0, DefaultSecretSize}, {-1, DefaultSecretSize}, {10, 10}, {64, 64}} {
		a, err := GenerateSecret(tc.size)
		if err != nil || len(a) != tc.want {
			t.Fatalf("GenerateSecret(%d) = %d bytes, %v; want %d", tc.size, len(a), err, tc.want)
		}
		b, _ := GenerateSecret(tc.size)
		if bytes.Equal(a, b) {
			t.Errorf("GenerateSecret(%d) returned the same bytes twice", tc.size)
		}
		back, err := DecodeSecret(EncodeSecret(a))
		if err != nil || !bytes.Equal(back, a) {
			t.Errorf("encode/decode round trip of %d bytes: %v", len(a), err)
		}
	}
	k, err := GenerateKey("Example", "alice")
	if err != nil || len(k.Secret) != DefaultSecretSize || k.Digits != 6 || k.Period != 30 || k.Validate() != nil {
		t.Errorf("GenerateKey = %+v, %v", k, err)
	}
}

func TestCheckSecretBits(t *testing.T) {
	tests := []struct {
		size, min int
		ok        bool
	}{
		{10, 80, true},
		{9, 80, false},
		{20, 160, true},
		{20, 161, false},
		{0, 0, true},
		{0, 1, false},
	}
	for _, tc := range tests {
		err := CheckSecretBits(make([]byte, tc.size), tc.min)
		if tc.ok != (err == nil) {
			t.Errorf("CheckSecretBits(%d bytes, %d) = %v, want ok=%v", tc.size, tc.min, err, tc.ok)
		}
		if err != nil && (!errors.Is(err, ErrSecretTooShort) || !strings.Contains(err.Error(), "72 bits") && tc.size == 9) {
			t.Errorf("CheckSecretBits(%d bytes, %d) = %v", tc.size, tc.min, err)
		}
	}
}
