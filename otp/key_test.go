package otp

import (
	"errors"
	"testing"
	"time"
)

func TestAlgorithmStringAndParse(t *testing.T) {
	tests := []struct {
		in   string
		want Algorithm
		ok   bool
	}{
		{"SHA1", SHA1, true},
		{"sha1", SHA1, true},
		{"SHA-1", SHA1, true},
		{" Sha-256 ", SHA256, true},
		{"sha256", SHA256, true},
		{"SHA512", SHA512, true},
		{"sha-512", SHA512, true},
		{"", 0, false},
		{"MD5", 0, false},
		{"SHA3-256", 0, false},
		{"SHA224", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseAlgorithm(tc.in)
		if tc.ok != (err == nil) || (tc.ok && got != tc.want) {
			t.Errorf("ParseAlgorithm(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ParseAlgorithm(%q) error %v does not wrap ErrInvalidKey", tc.in, err)
		}
	}
	for _, a := range []Algorithm{SHA1, SHA256, SHA512} {
		if back, err := ParseAlgorithm(a.String()); err != nil || back != a {
			t.Errorf("ParseAlgorithm(%v.String()) = %v, %v", a, back, err)
		}
	}
	if got := Algorithm(9).String(); got != "Algorithm(9)" {
		t.Errorf("Algorithm(9).String() = %q", got)
	}
}

func TestKeyValidate(t *testing.T) {
	s := []byte("12345678901234567890")
	tests := []struct {
		name string
		key  Key
		ok   bool
	}{
		{"zero params mean defaults", Key{Secret: s}, true},
		{"explicit", Key{Secret: s, Algorithm: SHA512, Digits: 8, Period: 60}, true},
		{"7 digits", Key{Secret: s, Digits: 7}, true},
		{"period 1", Key{Secret: s, Period: 1}, true},
		{"5 digits", Key{Secret: s, Digits: 5}, false},
		{"9 digits", Key{Secret: s, Digits: 9}, false},
		{"negative digits", Key{Secret: s, Digits: -6}, false},
		{"negative period", Key{Secret: s, Period: -30}, false},
		{"unknown algorithm", Key{Secret: s, Algorithm: 3}, false},
		{"nil secret", Key{}, false},
		{"empty secret", Key{Secret: []byte{}}, false},
	}
	for _, tc := range tests {
		err := tc.key.Validate()
		if tc.ok != (err == nil) {
			t.Errorf("%s: Validate() = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: error %v does not wrap ErrInvalidKey", tc.name, err)
		}
		// An invalid key never yields a code, and never a Verifier.
		if !tc.ok {
			if c := tc.key.CodeAt(1); c != "" {
				t.Errorf("%s: CodeAt = %q, want empty", tc.name, c)
			}
			if _, err := NewVerifier(tc.key); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("%s: NewVerifier error = %v", tc.name, err)
			}
			if _, ok, err := Verify(tc.key, "123456", time.Unix(0, 0), 1); ok || err == nil {
				t.Errorf("%s: Verify = %v, %v", tc.name, ok, err)
			}
		}
	}
}

func TestHOTPBadParameters(t *testing.T) {
	s := []byte("12345678901234567890")
	if got := HOTP(s, SHA1, 0, 0); got != "755224" {
		t.Errorf("digits 0 = %q, want the 6-digit default", got)
	}
	for _, d := range []int{-1, 1, 5, 9, 10} {
		if got := HOTP(s, SHA1, d, 0); got != "" {
			t.Errorf("digits %d = %q, want empty", d, got)
		}
	}
	if got := HOTP(s, Algorithm(7), 6, 0); got != "" {
		t.Errorf("unknown algorithm = %q, want empty", got)
	}
}

// Steps change exactly at multiples of the period, also before 1970.
func TestStepBoundaries(t *testing.T) {
	tests := []struct {
		period int
		unix   int64
		step   int64
	}{
		{30, 0, 0},
		{30, 29, 0},
		{30, 30, 1},
		{30, 59, 1},
		{30, 60, 2},
		{30, 1000*30 - 1, 999},
		{30, 1000 * 30, 1000},
		{0, 1000*30 - 1, 999}, // zero period is the default 30
		{0, 1000 * 30, 1000},
		{60, 1000*60 - 1, 999},
		{60, 1000 * 60, 1000},
		{1, 41, 41},
		{7, 7*5 - 1, 4},
		{7, 7 * 5, 5},
		{30, -1, -1}, // floor, not truncation: [-30, -1] is step -1
		{30, -30, -1},
		{30, -31, -2},
	}
	s := []byte("12345678901234567890")
	for _, tc := range tests {
		k := Key{Secret: s, Period: tc.period}
		at := time.Unix(tc.unix, 0)
		if got := k.Step(at); got != tc.step {
			t.Errorf("period %d, t=%d: Step = %d, want %d", tc.period, tc.unix, got, tc.step)
		}
		want := k.CodeAt(tc.step)
		if got := k.Code(at); got != want {
			t.Errorf("period %d, t=%d: Code = %q, want CodeAt(%d) = %q", tc.period, tc.unix, got, tc.step, want)
		}
		if tc.step < 0 && want != "" {
			t.Errorf("period %d, t=%d: code %q for a step before the epoch", tc.period, tc.unix, want)
		}
	}
	// Sub-second parts of t never move the step: Unix() truncates toward
	// the start of the second for times after 1970.
	k := Key{Secret: s}
	if got := k.Step(time.Unix(59, 999999999)); got != 1 {
		t.Errorf("t=59.999: Step = %d, want 1", got)
	}
}
