package otp

import (
	"bytes"
	"fmt"
	"time"
)

// SelfTest runs the published test vectors through this build's HOTP and
// TOTP code and Verifier: RFC 4226 Appendix D (HOTP, SHA-1) and RFC 6238
// Appendix B (TOTP, SHA-1/256/512, 8 digits). A miscompiled or patched
// build fails here before it rejects users' codes. The error names the
// first vector that failed.
func SelfTest() error {
	seed := []byte("12345678901234567890")
	for i, want := range []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"} {
		if got := HOTP(seed, SHA1, 6, uint64(i)); got != want {
			return fmt.Errorf("RFC 4226 counter %d: got %s", i, got)
		}
	}
	seeds := map[Algorithm][]byte{
		SHA1:   seed,
		SHA256: bytes.Repeat(seed, 2)[:32],
		SHA512: bytes.Repeat(seed, 4)[:64],
	}
	for _, v := range []struct {
		unix int64
		alg  Algorithm
		code string
	}{
		{59, SHA1, "94287082"}, {59, SHA256, "46119246"}, {59, SHA512, "90693936"},
		{1111111109, SHA1, "07081804"}, {1111111109, SHA256, "68084774"}, {1111111109, SHA512, "25091201"},
		{1234567890, SHA1, "89005924"}, {1234567890, SHA256, "91819424"}, {1234567890, SHA512, "93441116"},
		{20000000000, SHA1, "65353130"}, {20000000000, SHA256, "77737706"}, {20000000000, SHA512, "47863826"},
	} {
		k := Key{Secret: seeds[v.alg], Algorithm: v.alg, Digits: 8, Period: 30}
		t := time.Unix(v.unix, 0)
		if got := k.Code(t); got != v.code {
			return fmt.Errorf("RFC 6238 %s at %d: got %s", v.alg, v.unix, got)
		}
		ver, err := NewVerifier(k)
		if err != nil {
			return err
		}
		if step, ok := ver.Verify(v.code, t, 0); !ok || step != k.Step(t) {
			return fmt.Errorf("RFC 6238 %s at %d: the Verifier refuses the code", v.alg, v.unix)
		}
	}
	return nil
}
