package otp

import (
	"testing"
	"time"
)

// RFC 4226 Appendix D: secret "12345678901234567890", SHA-1, 6 digits.
func TestRFC4226AppendixD(t *testing.T) {
	secret := []byte("12345678901234567890")
	tests := []struct {
		counter   uint64
		truncated uint32 // "Truncated" column, decimal
		code      string
	}{
		{0, 1284755224, "755224"},
		{1, 1094287082, "287082"},
		{2, 137359152, "359152"},
		{3, 1726969429, "969429"},
		{4, 1640338314, "338314"},
		{5, 868254676, "254676"},
		{6, 1918287922, "287922"},
		{7, 82162583, "162583"},
		{8, 673399871, "399871"},
		{9, 645520489, "520489"},
	}
	for _, tc := range tests {
		if got := HOTP(secret, SHA1, 6, tc.counter); got != tc.code {
			t.Errorf("HOTP(counter %d) = %q, want %q", tc.counter, got, tc.code)
		}
		// The same through a Verifier, which truncates with its own buffers.
		v, err := NewVerifier(Key{Secret: secret, Period: 1})
		if err != nil {
			t.Fatal(err)
		}
		if got := v.at(tc.counter); got != tc.truncated%1000000 {
			t.Errorf("Verifier.at(%d) = %d, want %d", tc.counter, got, tc.truncated%1000000)
		}
		if m, ok := v.VerifyStep(tc.code, int64(tc.counter), 0); !ok || m != int64(tc.counter) {
			t.Errorf("VerifyStep(%q, %d, 0) = %d, %v", tc.code, tc.counter, m, ok)
		}
	}
}

// RFC 6238 Appendix B, 8 digits, 30 s. The errata (and the reference code)
// use a seed as long as each hash's output: 20, 32 and 64 bytes, not the
// 20-byte seed the appendix text shows for all three.
func TestRFC6238AppendixB(t *testing.T) {
	seeds := map[Algorithm][]byte{
		SHA1:   []byte("12345678901234567890"),
		SHA256: []byte("12345678901234567890123456789012"),
		SHA512: []byte("1234567890123456789012345678901234567890123456789012345678901234"),
	}
	tests := []struct {
		unix int64
		step int64 // the "Value of T (hex)" column
		alg  Algorithm
		code string
	}{
		{59, 0x1, SHA1, "94287082"},
		{59, 0x1, SHA256, "46119246"},
		{59, 0x1, SHA512, "90693936"},
		{1111111109, 0x23523EC, SHA1, "07081804"},
		{1111111109, 0x23523EC, SHA256, "68084774"},
		{1111111109, 0x23523EC, SHA512, "25091201"},
		{1111111111, 0x23523ED, SHA1, "14050471"},
		{1111111111, 0x23523ED, SHA256, "67062674"},
		{1111111111, 0x23523ED, SHA512, "99943326"},
		{1234567890, 0x273EF07, SHA1, "89005924"},
		{1234567890, 0x273EF07, SHA256, "91819424"},
		{1234567890, 0x273EF07, SHA512, "93441116"},
		{2000000000, 0x3F940AA, SHA1, "69279037"},
		{2000000000, 0x3F940AA, SHA256, "90698825"},
		{2000000000, 0x3F940AA, SHA512, "38618901"},
		{20000000000, 0x27BC86AA, SHA1, "65353130"},
		{20000000000, 0x27BC86AA, SHA256, "77737706"},
		{20000000000, 0x27BC86AA, SHA512, "47863826"},
	}
	for _, tc := range tests {
		k := Key{Secret: seeds[tc.alg], Algorithm: tc.alg, Digits: 8, Period: 30}
		at := time.Unix(tc.unix, 0).UTC()
		if got := k.Step(at); got != tc.step {
			t.Errorf("%v at %d: Step = %#x, want %#x", tc.alg, tc.unix, got, tc.step)
		}
		if got := k.Code(at); got != tc.code {
			t.Errorf("%v at %d: Code = %q, want %q", tc.alg, tc.unix, got, tc.code)
		}
		step, ok, err := Verify(k, tc.code, at, 0)
		if err != nil || !ok || step != tc.step {
			t.Errorf("%v at %d: Verify = %#x, %v, %v; want %#x, true, nil", tc.alg, tc.unix, step, ok, err, tc.step)
		}
		// A 6-digit key over the same seed gives the low 6 digits.
		k.Digits = 6
		if got, want := k.Code(at), tc.code[2:]; got != want {
			t.Errorf("%v at %d, 6 digits: Code = %q, want %q", tc.alg, tc.unix, got, want)
		}
	}
}
