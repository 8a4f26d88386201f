// Package weak tells key material anyone could guess from key material
// that came from a random source: TOTP secrets a client or an operator
// brings, and the keys an operator supplies (the master key ring, a Zimbra
// domain's preauth key). It is pure: no I/O, nothing of mfad.
//
// A check here refuses a secret that is, contains or nearly is a published
// example, that is printable text, or that has too little variety to be
// random (a run of one byte, a repeated block, a run in even steps, few
// distinct bytes). A random secret of 80 bits or more fails it with a
// negligible chance, except the printable-text rule, which a random 10-byte
// secret fails once in about 20,000 (95/256 to the tenth power; 20 bytes:
// once in 400 million): the answer says why, and the user enrolls anew.
package weak

import (
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strings"
)

// example is a secret published in a standard, a library's documentation
// or the document of a product mfad replaces: a secret in the open.
type example struct {
	name string
	text string // as published, base32 (empty when published as bytes)
	raw  []byte // the secret's bytes
}

// examples are the published secrets. A secret that contains one, or is
// within a few edits of one (a digit changed, characters added), is one.
var examples = []example{
	b32("the Google Authenticator example", "JBSWY3DPEHPK3PXP"),
	b32("pyotp's example", "base32secret3232"),
	b32("the base32 alphabet", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
	b32("the Zimbra documentation example", "ABCDEFGHIJKLMNOP"),
	b32("the Veeam documentation example", "KQ5P6HBW63UTX4JPMXBJXI2PQM"),
	b32("the Cloudreve documentation example", "CU7426PR4ZPLFLBNHC6IEGOODB3KT5WD"),
	{name: "the RFC 4226/6238 SHA-1 test seed", raw: []byte("12345678901234567890")},
	{name: "the RFC 6238 SHA-256 test seed", raw: []byte("12345678901234567890123456789012")},
	{name: "the RFC 6238 SHA-512 test seed", raw: []byte("1234567890123456789012345678901234567890123456789012345678901234")},
}

var b32enc = base32.StdEncoding.WithPadding(base32.NoPadding)

func b32(name, text string) example {
	text = strings.ToUpper(text)
	raw, err := b32enc.DecodeString(text)
	if err != nil {
		panic(err)
	}
	return example{name: name, text: text, raw: raw}
}

// Example names the published example secret is, contains or nearly is,
// or returns "".
func Example(secret []byte) string {
	text := b32enc.EncodeToString(secret)
	for _, e := range examples {
		if near(secret, e.raw) {
			return e.name
		}
		if e.text != "" && near([]byte(text), []byte(e.text)) {
			return e.name
		}
		if near([]byte(text), []byte(b32enc.EncodeToString(e.raw))) {
			return e.name
		}
	}
	return ""
}

// near reports whether some stretch of s is within a quarter of p's length
// of edits (insertions, deletions, changes) of p: p is in s, nearly.
func near(s, p []byte) bool {
	limit := len(p) / 4
	return len(p) >= 8 && approxDistance(s, p) <= limit
}

// approxDistance is the least number of edits that turn p into a stretch
// of s (Sellers' algorithm: edit distance, free to start and end anywhere
// in s). O(len(s)·len(p)) in two rows; secrets are short.
func approxDistance(s, p []byte) int {
	prev := make([]int, len(p)+1)
	cur := make([]int, len(p)+1)
	for j := range prev {
		prev[j] = j
	}
	best := prev[len(p)]
	for i := 1; i <= len(s); i++ {
		cur[0] = 0 // a match may start anywhere in s
		for j := 1; j <= len(p); j++ {
			cost := 1
			if s[i-1] == p[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j-1]+cost, prev[j]+1, cur[j-1]+1)
		}
		best = min(best, cur[len(p)])
		prev, cur = cur, prev
	}
	return best
}

// Secret says why a TOTP secret is too weak to be a second factor, or
// returns "" when it is not. It never quotes the secret.
func Secret(secret []byte) string {
	if name := Example(secret); name != "" {
		return "a published example secret (" + name + ")"
	}
	if printable(secret) {
		return "printable text, not random bytes"
	}
	return variety(secret)
}

// Key says why key material an operator supplies is too weak, or "":
// Secret's rules but printable text, for keys whose form is text.
func Key(key []byte) string {
	if name := Example(key); name != "" {
		return "a published example secret (" + name + ")"
	}
	return variety(key)
}

// TextKey says why a key given as text is too weak, or "": hex digits are
// judged as the bytes they encode (Zimbra's keys are 64 hex digits), any
// other text as its bytes.
func TextKey(key string) string {
	if b, err := hex.DecodeString(key); err == nil && len(b) > 0 {
		return Key(b)
	}
	return Key([]byte(key))
}

// printable reports whether every byte is printable ASCII: a password or
// a phrase, not the output of a random source.
func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return len(b) > 0
}

// longestRun is the length from which a run of one byte is no chance: a
// run of 4 turns up in a random 64-byte secret once in 300,000.
const longestRun = 4

// variety says why b has too little variety to be random, or "": empty, a
// run of one byte, a block repeated throughout, a run in even steps, or
// too few distinct bytes (under a quarter of its length, or 4).
func variety(b []byte) string {
	n := len(b)
	if n == 0 {
		return "empty"
	}
	for p := 1; p <= n/2; p++ {
		if string(b[p:]) == string(b[:n-p]) {
			if p == 1 {
				return "one byte repeated"
			}
			return fmt.Sprintf("a block of %d bytes repeated", p)
		}
	}
	if n > 2 {
		step, even := b[1]-b[0], true
		for i := 2; i < n && even; i++ {
			even = b[i]-b[i-1] == step
		}
		if even {
			return "a run of bytes in steps"
		}
	}
	for i, run := 1, 1; i < n; i++ {
		if run = run*boolInt(b[i] == b[i-1]) + 1; run >= longestRun {
			return fmt.Sprintf("a run of %d or more of one byte", longestRun)
		}
	}
	seen := map[byte]bool{}
	for _, c := range b {
		seen[c] = true
	}
	if len(seen) < max(4, n/4) {
		return fmt.Sprintf("only %d distinct bytes", len(seen))
	}
	return ""
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
