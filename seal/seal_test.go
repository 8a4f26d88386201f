package seal_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/mfad/mfad/seal"
)

// key returns a fixed key, so failures are reproducible.
// key is a test key, the same for the same fill: random-looking bytes,
// since ParseRing refuses key material anyone could guess.
func key(id string, fill byte) seal.Key {
	sum := sha256.Sum256([]byte{'k', 'e', 'y', fill})
	return seal.Key{ID: id, Secret: sum[:]}
}

func ring(t testing.TB, keys ...seal.Key) *seal.Ring {
	t.Helper()
	r, err := seal.NewRing(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustSeal(t testing.TB, r *seal.Ring, plaintext, ad string) string {
	t.Helper()
	s, err := r.Seal([]byte(plaintext), []byte(ad))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRoundTrip(t *testing.T) {
	r := ring(t, key("k1", 1))
	for _, tc := range []struct{ name, plaintext, ad string }{
		{"empty", "", ""},
		{"totp secret", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "factor:42:secret"},
		{"binary", "\x00\xff\x00", "factor:1:scratch"},
		{"long", strings.Repeat("x", 10000), "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sealed := mustSeal(t, r, tc.plaintext, tc.ad)
			if !strings.HasPrefix(sealed, "v1.k1.") {
				t.Errorf("sealed = %q, want prefix v1.k1.", sealed)
			}
			if strings.Contains(sealed, tc.plaintext) && tc.plaintext != "" {
				t.Errorf("sealed value contains the plaintext")
			}
			got, err := r.Open(sealed, []byte(tc.ad))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.plaintext {
				t.Errorf("Open = %q, want %q", got, tc.plaintext)
			}
			if again := mustSeal(t, r, tc.plaintext, tc.ad); again == sealed {
				t.Error("two seals of the same value are equal: nonce not random")
			}
		})
	}
}

// tamper flips one bit of the decoded payload at index i (negative: from the end).
func tamper(t *testing.T, sealed string, i int) string {
	t.Helper()
	dot := strings.LastIndex(sealed, ".")
	box, err := base64.RawURLEncoding.DecodeString(sealed[dot+1:])
	if err != nil {
		t.Fatal(err)
	}
	if i < 0 {
		i += len(box)
	}
	box[i] ^= 1
	return sealed[:dot+1] + base64.RawURLEncoding.EncodeToString(box)
}

func TestOpenErrors(t *testing.T) {
	const secret, ad = "JBSWY3DPEHPK3PXP", "factor:42:secret"
	r := ring(t, key("k1", 1), key("same", 2), key("k2", 2))
	good := mustSeal(t, r, secret, ad) // sealed by k2
	payload := good[len("v1.k2."):]
	short := func(n int) string { return "v1.k2." + base64.RawURLEncoding.EncodeToString(make([]byte, n)) }

	for _, tc := range []struct {
		name, sealed, ad string
		want             error
	}{
		{"wrong ad", good, "factor:43:secret", seal.ErrOpen},
		{"no ad", good, "", seal.ErrOpen},
		{"tampered nonce", tamper(t, good, 0), ad, seal.ErrOpen},
		{"tampered ciphertext", tamper(t, good, 12), ad, seal.ErrOpen},
		{"tampered tag", tamper(t, good, -1), ad, seal.ErrOpen},
		{"key id swapped", "v1.k1." + payload, ad, seal.ErrOpen},
		{"key id swapped, same secret", "v1.same." + payload, ad, seal.ErrOpen}, // the header is bound too
		{"unknown key id", "v1.k9." + payload, ad, seal.ErrUnknownKey},
		{"empty", "", ad, seal.ErrMalformed},
		{"wrong version", "v2.k2." + payload, ad, seal.ErrMalformed},
		{"no version", "k2." + payload, ad, seal.ErrMalformed},
		{"version only", "v1.", ad, seal.ErrMalformed},
		{"no payload separator", "v1.k2", ad, seal.ErrMalformed},
		{"empty key id", "v1.." + payload, ad, seal.ErrMalformed},
		{"bad key id", "v1.k/2." + payload, ad, seal.ErrMalformed},
		{"key id too long", "v1." + strings.Repeat("k", 33) + "." + payload, ad, seal.ErrMalformed},
		{"bad base64", "v1.k2.!!!!" + payload, ad, seal.ErrMalformed},
		{"padded base64", good + "==", ad, seal.ErrMalformed},
		{"standard base64", "v1.k2." + base64.StdEncoding.EncodeToString(make([]byte, 40)), ad, seal.ErrMalformed},
		{"newline in payload", "v1.k2." + payload[:8] + "\n" + payload[8:], ad, seal.ErrMalformed},
		{"empty payload", "v1.k2.", ad, seal.ErrMalformed},
		{"truncated nonce", short(11), ad, seal.ErrMalformed},
		{"truncated tag", short(27), ad, seal.ErrMalformed},
		{"extra dot", good + ".x", ad, seal.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.Open(tc.sealed, []byte(tc.ad))
			if !errors.Is(err, tc.want) {
				t.Fatalf("Open error = %v, want %v", err, tc.want)
			}
			if got != nil {
				t.Errorf("Open returned %q with an error", got)
			}
			if msg := err.Error(); strings.Contains(msg, secret) || strings.Contains(msg, payload) {
				t.Errorf("error %q reveals the plaintext or the sealed value", msg)
			}
		})
	}
}

func TestKeyIDAndNeedsReseal(t *testing.T) {
	old := ring(t, key("k1", 1))
	r := ring(t, key("k1", 1), key("k2", 2))
	for _, tc := range []struct {
		name, sealed, id string
		reseal           bool
	}{
		{"old key", mustSeal(t, old, "x", ""), "k1", true},
		{"primary", mustSeal(t, r, "x", ""), "k2", false},
		{"unknown key", mustSeal(t, ring(t, key("k0", 0)), "x", ""), "k0", true},
		{"malformed", "v1.k1.!", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := seal.KeyID(tc.sealed)
			if id != tc.id || (err != nil) != (tc.id == "") {
				t.Errorf("KeyID = %q, %v; want %q", id, err, tc.id)
			}
			if got := r.NeedsReseal(tc.sealed); got != tc.reseal {
				t.Errorf("NeedsReseal = %v, want %v", got, tc.reseal)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	const ad = "factor:7:secret"
	k1, k2 := key("k1", 1), key("k2", 2)
	r1 := ring(t, k1)
	sealed := mustSeal(t, r1, "secret", ad)

	r12, err := r1.With(k2)
	if err != nil {
		t.Fatal(err)
	}
	if got := r12.Primary(); got != "k2" {
		t.Fatalf("Primary = %q, want k2", got)
	}
	if got := fmt.Sprint(r12.IDs()); got != "[k1 k2]" {
		t.Fatalf("IDs = %s, want [k1 k2]", got)
	}
	if !r12.NeedsReseal(sealed) {
		t.Fatal("NeedsReseal = false for a value sealed with k1")
	}
	plain, err := r12.Open(sealed, []byte(ad))
	if err != nil {
		t.Fatal(err)
	}
	resealed, err := r12.Seal(plain, []byte(ad))
	if err != nil {
		t.Fatal(err)
	}
	if r12.NeedsReseal(resealed) {
		t.Fatal("NeedsReseal = true after resealing")
	}

	r2, err := r12.Without("k1")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := r2.Open(resealed, []byte(ad)); err != nil || string(got) != "secret" {
		t.Errorf("k2 ring Open(resealed) = %q, %v", got, err)
	}
	if _, err := r2.Open(sealed, []byte(ad)); !errors.Is(err, seal.ErrUnknownKey) {
		t.Errorf("k2 ring Open(old) error = %v, want ErrUnknownKey", err)
	}
	if _, err := r1.Open(resealed, []byte(ad)); !errors.Is(err, seal.ErrUnknownKey) {
		t.Errorf("k1 ring Open(resealed) error = %v, want ErrUnknownKey", err)
	}
}

func TestRingErrors(t *testing.T) {
	r := ring(t, key("k1", 1), key("k2", 2))
	for _, tc := range []struct {
		name string
		do   func() (*seal.Ring, error)
	}{
		{"no keys", func() (*seal.Ring, error) { return seal.NewRing() }},
		{"duplicate id", func() (*seal.Ring, error) { return seal.NewRing(key("a", 1), key("a", 2)) }},
		{"short secret", func() (*seal.Ring, error) { return seal.NewRing(seal.Key{ID: "a", Secret: make([]byte, 16)}) }},
		{"empty id", func() (*seal.Ring, error) { return seal.NewRing(key("", 1)) }},
		{"bad id", func() (*seal.Ring, error) { return seal.NewRing(key("a b", 1)) }},
		{"With duplicate", func() (*seal.Ring, error) { return r.With(key("k1", 3)) }},
		{"Without primary", func() (*seal.Ring, error) { return r.Without("k2") }},
		{"Without unknown", func() (*seal.Ring, error) { return r.Without("k3") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := tc.do(); err == nil {
				t.Errorf("got ring %v, want an error", got)
			}
		})
	}
	if _, err := seal.GenerateKey("no spaces"); err == nil {
		t.Error("GenerateKey accepted an invalid id")
	}
}

func TestGenerateKey(t *testing.T) {
	a, err := seal.GenerateKey("a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := seal.GenerateKey("b")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Secret) != 32 || bytes.Equal(a.Secret, b.Secret) {
		t.Errorf("GenerateKey secrets: %d bytes, equal %v", len(a.Secret), bytes.Equal(a.Secret, b.Secret))
	}
}

func TestPrintingHidesSecrets(t *testing.T) {
	k := key("k1", 0xAB)
	r := ring(t, k)
	out := fmt.Sprintf("%v %+v %#v %s %v", k, k, k, r, r)
	for _, leak := range []string{base64.StdEncoding.EncodeToString(k.Secret), "171 171", "abab", "ABAB"} {
		if strings.Contains(out, leak) {
			t.Errorf("printing %q reveals the secret (%q)", out, leak)
		}
	}
}

func TestCheck(t *testing.T) {
	k1, k2, evil := key("k1", 1), key("k2", 2), key("k1", 9)
	v1, v2 := ring(t, k1).CheckValue(), ring(t, k2).CheckValue()
	vEvil := ring(t, evil).CheckValue()
	if len(v1) != len("k1:")+32 || !strings.HasPrefix(v1, "k1:") {
		t.Fatalf("CheckValue = %q, want k1:<32 hex digits>", v1)
	}
	r12 := ring(t, k1, k2)
	if got := fmt.Sprint(r12.CheckValues()); got != fmt.Sprint([]string{v1, v2}) {
		t.Fatalf("CheckValues = %s, want [%s %s]", got, v1, v2)
	}
	if got := r12.CheckValue(); got != v2 {
		t.Fatalf("CheckValue = %s, want the primary's %s", got, v2)
	}

	for _, tc := range []struct {
		name   string
		ring   *seal.Ring
		stored []string
		want   error
	}{
		{"nothing recorded", ring(t, k1), nil, nil},
		{"same key", ring(t, k1), []string{v1}, nil},
		{"new key added", r12, []string{v1}, nil},
		{"instance not yet rotated", ring(t, k1), []string{v1, v2}, nil},
		{"old key retired", ring(t, k2), []string{v1, v2}, nil},
		{"wrong key", ring(t, evil), []string{v1}, seal.ErrWrongKey},
		{"wrong key beside a right one", ring(t, evil, k2), []string{v1, v2}, seal.ErrWrongKey},
		{"no key in common", ring(t, k2), []string{v1}, seal.ErrWrongKey},
		{"bad hex", ring(t, k1), []string{"k1:zz"}, seal.ErrWrongKey},
		{"malformed", ring(t, k1), []string{"garbage"}, seal.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.ring.Check(tc.stored)
			if !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
				t.Fatalf("Check = %v, want %v", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), v1[3:]) {
				t.Errorf("error %q reveals a check value", err)
			}
		})
	}
	if err := ring(t, evil).Check([]string{v1}); !strings.Contains(err.Error(), "k1") {
		t.Errorf("Check error %q does not name the key id", err)
	}
	if vEvil == v1 {
		t.Error("different keys give the same check value")
	}
}

func TestConcurrentUse(t *testing.T) {
	r := ring(t, key("k1", 1))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			ad := []byte(fmt.Sprint("factor:", i))
			for range 100 {
				s, err := r.Seal([]byte("x"), ad)
				if err == nil {
					_, err = r.Open(s, ad)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func FuzzOpen(f *testing.F) {
	r := ring(f, key("k1", 1), key("k2", 2))
	f.Add(mustSeal(f, r, "secret", "ad"), "ad")
	f.Add(mustSeal(f, ring(f, key("k1", 1)), "", ""), "")
	f.Add("v1.k3.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "")
	f.Add("v1.k1.", "")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, sealed, ad string) {
		_, kerr := seal.KeyID(sealed)
		_, err := r.Open(sealed, []byte(ad))
		switch {
		case kerr != nil && !errors.Is(kerr, seal.ErrMalformed):
			t.Fatalf("KeyID error %v is not ErrMalformed", kerr)
		case kerr != nil && !errors.Is(err, seal.ErrMalformed):
			t.Fatalf("KeyID says malformed, Open says %v", err)
		case err != nil && !errors.Is(err, seal.ErrMalformed) && !errors.Is(err, seal.ErrUnknownKey) && !errors.Is(err, seal.ErrOpen):
			t.Fatalf("Open error %v is none of the sentinels", err)
		}
		r.NeedsReseal(sealed)
	})
}

func TestDeriveKey(t *testing.T) {
	k1, _ := seal.GenerateKey("k1")
	k2, _ := seal.GenerateKey("k2")
	r1, _ := seal.NewRing(k1)
	r1again, _ := seal.NewRing(k1)
	r12, _ := seal.NewRing(k1, k2)
	a, b := r1.DeriveKey("throttle keys"), r1.DeriveKey("addresses")
	if len(a) != 32 || bytes.Equal(a, b) {
		t.Fatalf("keys of two purposes: %x, %x", a, b)
	}
	if !bytes.Equal(a, r1again.DeriveKey("throttle keys")) {
		t.Error("one key and purpose derive two keys")
	}
	if bytes.Equal(a, r12.DeriveKey("throttle keys")) {
		t.Error("a new primary derives the same key")
	}
	if bytes.Contains(a, k1.Secret[:8]) {
		t.Error("the derived key shows the master key")
	}
}
