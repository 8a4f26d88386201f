package otp

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func FuzzDecodeSecret(f *testing.F) {
	for _, s := range []string{
		"", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "gezd gnbv-gy3t", "MZXW6YQ=", "MZ======", "M", "MZX",
		"GEZDGNB0", "MZ==MZ", "ÄÖ", "\xff\xfe", "M3", "====", " - \t\r\n", "JBSWY3DPEHPK3PXP",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := DecodeSecret(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidSecret) {
				t.Fatalf("error %v does not wrap ErrInvalidSecret", err)
			}
			return
		}
		if len(b) == 0 {
			t.Fatal("accepted with no bytes")
		}
		// Whatever was accepted re-encodes to canonical text that decodes
		// to the same bytes.
		back, err := DecodeSecret(EncodeSecret(b))
		if err != nil || !bytes.Equal(back, b) {
			t.Fatalf("canonical form does not round-trip: %v", err)
		}
	})
}

func FuzzParseURI(f *testing.F) {
	const s = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	for _, u := range []string{
		"otpauth://totp/ACME%20Co:john.doe@email.com?secret=" + s + "&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30",
		"otpauth://totp/alice?secret=" + s,
		"otpauth://totp/A%3AB:c%3Ad?secret=" + s + "&issuer=A%3AB&algorithm=SHA512&digits=8&period=60",
		"otpauth://totp/Big%20Corp%3A%20alice?secret=" + s + "&issuer=Big%20Corp",
		"otpauth://totp/Example:%20%20alice?secret=" + s,
		"otpauth://totp/a+b:alice?secret=" + s + "&issuer=a+b",
		"otpauth://totp/Caf%C3%A9:j%C3%B6rg?secret=" + s + "&issuer=Caf%C3%A9",
		"OTPAUTH://TOTP/x?SECRET=gezd-gnbv&Algorithm=sha-256&digits=7&period=1",
		"otpauth://totp?secret=" + s,
		"otpauth://hotp/x?secret=" + s + "&counter=1",
		"otpauth://totp/A:x?secret=" + s + "&issuer=B",
		"otpauth://totp/x?secret=" + s + "&secret=" + s,
		"otpauth://totp/%FF?secret=" + s,
		"otpauth://totp/:%20x?secret=" + s + "&issuer=Y",
		"https://example.com",
	} {
		f.Add(u)
	}
	f.Fuzz(func(t *testing.T, u string) {
		k, err := ParseURI(u)
		if err != nil {
			if !errors.Is(err, ErrInvalidURI) {
				t.Fatalf("error %v does not wrap ErrInvalidURI", err)
			}
			return
		}
		if err := k.Validate(); err != nil {
			t.Fatalf("parsed an invalid key: %v", err)
		}
		// Round trip: a parsed key's URI re-parses to the same key, and
		// writing that again gives the same text.
		out := k.URI()
		k2, err := ParseURI(out)
		if err != nil {
			t.Fatalf("%q parsed to %+v, whose URI %q does not parse: %v", u, k, out, err)
		}
		if !sameKey(k, k2) {
			t.Fatalf("%q parsed to %+v; its URI %q parses to %+v", u, k, out, k2)
		}
		if out2 := k2.URI(); out2 != out {
			t.Fatalf("URI not stable: %q then %q", out, out2)
		}
	})
}

func FuzzVerify(f *testing.F) {
	f.Add([]byte("12345678901234567890"), uint8(0), uint8(8), uint32(30), int64(59), 0, "94287082")
	f.Add([]byte("12345678901234567890123456789012"), uint8(1), uint8(8), uint32(30), int64(1111111109), 1, "68084774")
	f.Add([]byte("1234567890123456789012345678901234567890123456789012345678901234"), uint8(2), uint8(8), uint32(30), int64(20000000000), 2, "47863826")
	f.Add([]byte("k"), uint8(0), uint8(0), uint32(0), int64(0), 1, "")
	f.Add([]byte("k"), uint8(0), uint8(6), uint32(1), int64(-1), 1, "123456")
	f.Add([]byte{}, uint8(3), uint8(9), uint32(0), int64(-31), -1, "12345a")
	f.Add([]byte("k"), uint8(0), uint8(7), uint32(1<<31), int64(1<<62), 100, "1234567")
	f.Fuzz(func(t *testing.T, secret []byte, alg, digits uint8, period uint32, unix int64, window int, code string) {
		k := Key{Secret: secret, Algorithm: Algorithm(alg % 4), Digits: int(digits % 10), Period: int(int32(period))}
		at := time.Unix(unix, 0)
		v, err := NewVerifier(k)
		if err != nil {
			if !errors.Is(err, ErrInvalidKey) || k.Validate() == nil {
				t.Fatalf("NewVerifier: %v, Validate: %v", err, k.Validate())
			}
			return
		}
		step := k.Step(at)
		// An arbitrary code never panics, and a match is genuine.
		if m, ok := v.Verify(code, at, window); ok {
			if window < 0 || window > MaxWindow || m < step-int64(window) || m > step+int64(window) || k.CodeAt(m) != code {
				t.Fatalf("Verify(%q, window %d) matched step %d, outside the window or with another code", code, window, m)
			}
		}
		// The generated code of a step always verifies at that step.
		w := window % (MaxWindow + 1)
		if w < 0 {
			w = -w
		}
		if step < 0 {
			if c := k.CodeAt(step); c != "" {
				t.Fatalf("code %q for step %d before the epoch", c, step)
			}
			return
		}
		c := k.CodeAt(step)
		m, ok := v.VerifyStep(c, step, w)
		if !ok || m < step || m > step+int64(w) || k.CodeAt(m) != c {
			t.Fatalf("own code %q for step %d, window %d: matched %d, %v", c, step, w, m, ok)
		}
		if m2, ok2 := v.Verify(c, at, w); ok2 != ok || m2 != m {
			t.Fatalf("Verify and VerifyStep disagree: %d, %v vs %d, %v", m2, ok2, m, ok)
		}
		if w == 0 && m != step {
			t.Fatalf("window 0 matched step %d, want %d", m, step)
		}
	})
}
