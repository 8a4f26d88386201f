package otp

import (
	"crypto/hmac"
	"crypto/sha1"
	"testing"
	"time"

	potp "github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// The benchmarks share one key, time and pair of codes so that ours, pquerna's
// and the bare HMAC floor are measured on identical work. The QR URI is the
// one perf-anchors section 3 measured (143 characters, 49x49 modules).
const benchQRURI = "otpauth://totp/Example%20Corp:alice@example.com?algorithm=SHA1&digits=6&issuer=Example%20Corp&period=30&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

var benchAt = time.Unix(1_700_000_000, 0)

// benchCodes returns the RFC key, its valid code at benchAt and a code that
// matches none of the three steps of window 1, so every HMAC runs and pquerna
// cannot exit early.
func benchCodes(b *testing.B) (k Key, valid, wrong string) {
	b.Helper()
	k = Key{Secret: []byte("12345678901234567890")}
	valid = k.Code(benchAt)
	step := k.Step(benchAt)
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if c != k.CodeAt(step-1) && c != valid && c != k.CodeAt(step+1) {
			return k, valid, c
		}
	}
	b.Fatal("no wrong code")
	return
}

func BenchmarkVerifyWindow1(b *testing.B) {
	k, valid, wrong := benchCodes(b)
	for _, tc := range []struct{ name, code string }{{"wrong", wrong}, {"valid", valid}} {
		b.Run(tc.name, func(b *testing.B) {
			v, err := NewVerifier(k)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := v.Verify(tc.code, benchAt, 1); ok != (tc.code == valid) {
					b.Fatal("wrong result")
				}
			}
		})
	}
}

// BenchmarkNewVerifierVerifyWindow1 is the cost when the Verifier is built
// per request from a decoded key, as the core does.
func BenchmarkNewVerifierVerifyWindow1(b *testing.B) {
	k, _, wrong := benchCodes(b)
	b.ReportAllocs()
	for b.Loop() {
		v, err := NewVerifier(k)
		if err != nil {
			b.Fatal(err)
		}
		if _, ok := v.Verify(wrong, benchAt, 1); ok {
			b.Fatal("wrong code accepted")
		}
	}
}

func BenchmarkPquernaValidateCustom(b *testing.B) {
	k, valid, wrong := benchCodes(b)
	secret := EncodeSecret(k.Secret)
	opts := totp.ValidateOpts{Period: 30, Skew: 1, Digits: potp.DigitsSix, Algorithm: potp.AlgorithmSHA1}
	for _, tc := range []struct{ name, code string }{{"wrong", wrong}, {"valid", valid}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if ok, _ := totp.ValidateCustom(tc.code, secret, benchAt, opts); ok != (tc.code == valid) {
					b.Fatal("wrong result")
				}
			}
		})
	}
}

// BenchmarkHMACSHA1Floor is one pre-keyed HMAC-SHA1 over an 8-byte counter,
// reset and summed into a reused buffer: no verifier can do a window of 1
// in less than three of these.
func BenchmarkHMACSHA1Floor(b *testing.B) {
	mac := hmac.New(sha1.New, []byte("12345678901234567890"))
	var ctr [8]byte
	var buf [sha1.Size]byte
	b.ReportAllocs()
	for b.Loop() {
		ctr[7]++
		mac.Reset()
		mac.Write(ctr[:])
		mac.Sum(buf[:0])
	}
}

// BenchmarkGenerate is enrolment minus the QR code: a new secret and its URI.
func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		k, err := GenerateKey("Example Corp", "alice@example.com")
		if err != nil {
			b.Fatal(err)
		}
		_ = k.URI()
	}
}

func BenchmarkPquernaGenerate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		k, err := totp.Generate(totp.GenerateOpts{Issuer: "Example Corp", AccountName: "alice@example.com"})
		if err != nil {
			b.Fatal(err)
		}
		_ = k.URL()
	}
}

func BenchmarkQRPNG(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := QRPNG(benchQRURI, 256); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkQRSVG(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := QRSVG(benchQRURI); err != nil {
			b.Fatal(err)
		}
	}
}
