package otp_test

import (
	"fmt"
	"time"

	"github.com/mfad/mfad/otp"
)

// Enrol a user with a known secret, then verify the code their app shows.
func Example() {
	secret, err := otp.DecodeSecret("gezd gnbv gy3t qojq gezd gnbv gy3t qojq")
	if err != nil {
		panic(err)
	}
	if err := otp.CheckSecretBits(secret, 80); err != nil {
		panic(err)
	}
	key := otp.Key{Secret: secret, Issuer: "Example Corp", Account: "alice@example.com"}
	fmt.Println(key.URI())

	// The app computes the code from its own clock, here 30 s slow...
	now := time.Unix(1_700_000_000, 0)
	code := key.Code(now.Add(-30 * time.Second))
	fmt.Println("app shows", code)

	// ...and the server accepts it within one step either side, and learns
	// which step it was so that the code cannot be replayed.
	v, err := otp.NewVerifier(key)
	if err != nil {
		panic(err)
	}
	step, ok := v.Verify(code, now, 1)
	fmt.Println("accepted:", ok, "step:", step, "current step:", key.Step(now))

	_, ok = v.Verify("000000", now, 1)
	fmt.Println("wrong code accepted:", ok)

	// Output:
	// otpauth://totp/Example%20Corp:alice@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example%20Corp&algorithm=SHA1&digits=6&period=30
	// app shows 276857
	// accepted: true step: 56666665 current step: 56666666
	// wrong code accepted: false
}

func ExampleParseURI() {
	key, err := otp.ParseURI("otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&digits=8")
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s / %s: %v, %d digits, %d s\n", key.Issuer, key.Account, key.Algorithm, key.Digits, key.Period)

	_, err = otp.ParseURI("otpauth://hotp/x?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&counter=1")
	fmt.Println(err)
	// Output:
	// ACME Co / john.doe@email.com: SHA1, 8 digits, 30 s
	// invalid otpauth uri: hotp (counter-based) keys are not supported, only totp
}

func ExampleDecodeSecret() {
	_, err := otp.DecodeSecret("JBSW Y3DP EHPK 3PX0")
	fmt.Println(err)
	// Output:
	// invalid secret: character 19 is a digit base32 does not use (only 2-7)
}
