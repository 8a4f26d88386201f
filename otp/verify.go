package otp

import (
	"crypto/hmac"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"hash"
	"time"
)

// MaxWindow bounds the window Verify accepts. Each step of window is two more
// HMACs and two more codes an attacker may guess; beyond a few minutes of
// clock drift a window stops being tolerance and becomes a weakness.
const MaxWindow = 100

// Verifier holds pre-keyed HMAC state for one key so that Verify does not
// allocate: hmac.New (key pads, several allocations) costs more than one
// HMAC, so it is paid once in NewVerifier. A Verifier keeps no copy of the
// secret beyond the HMAC pads. It is not safe for concurrent use; build one
// per request, or one per goroutine.
type Verifier struct {
	mac    hash.Hash
	mod    uint32 // 10^digits
	digits int
	period int64
	ctr    [8]byte
	sum    [sha512.Size]byte
}

// NewVerifier validates k and keys the HMAC.
func NewVerifier(k Key) (*Verifier, error) {
	if err := k.Validate(); err != nil {
		return nil, err
	}
	k = k.Normalize()
	return &Verifier{
		mac:    hmac.New(k.Algorithm.hash(), k.Secret),
		mod:    pow10(k.Digits),
		digits: k.Digits,
		period: int64(k.Period),
	}, nil
}

// Verify checks code against the steps [Step(t)-window, Step(t)+window] and
// returns the step it matched; see VerifyStep.
func (v *Verifier) Verify(code string, t time.Time, window int) (step int64, ok bool) {
	return v.VerifyStep(code, stepOf(t.Unix(), v.period), window)
}

// VerifyStep checks code against the steps [step-window, step+window].
//
// It computes every candidate, with no early exit, and compares and selects
// in constant time, so the time taken does not reveal whether or where the
// code matched. If two steps in the window share the code, the latest one is
// returned: the caller records the matched step to refuse replays, and
// recording the latest means the same code cannot be accepted again at the
// later step.
//
// matched is meaningful only when ok. A code of the wrong length or with
// anything but ASCII digits, a window outside [0, MaxWindow], and steps
// before the epoch never match.
func (v *Verifier) VerifyStep(code string, step int64, window int) (matched int64, ok bool) {
	want, valid := parseCode(code, v.digits)
	if !valid || window < 0 || window > MaxWindow {
		return 0, false
	}
	found := 0
	for i := -int64(window); i <= int64(window); i++ {
		s := step + i
		// Whether a candidate exists depends only on public values (step,
		// window), so branching on it leaks nothing; the HMAC still runs so
		// every call with the same window costs the same.
		exists := 1
		if s < 0 || (i > 0 && s < step) || (i < 0 && s > step) {
			exists = 0
		}
		got := v.at(uint64(s))
		eq := subtle.ConstantTimeEq(int32(got), int32(want)) & exists
		matched = selectInt64(eq, s, matched)
		found |= eq
	}
	return matched, found == 1
}

// at returns the truncated code value for counter, reusing the keyed HMAC
// and the buffers in v so nothing escapes to the heap.
func (v *Verifier) at(counter uint64) uint32 {
	binary.BigEndian.PutUint64(v.ctr[:], counter)
	v.mac.Reset()
	v.mac.Write(v.ctr[:])
	return truncate(v.mac.Sum(v.sum[:0])) % v.mod
}

// selectInt64 returns a if bit is 1 and b if bit is 0, without a branch.
func selectInt64(bit int, a, b int64) int64 {
	mask := -int64(bit)
	return a&mask | b&^mask
}

// Verify is the one-shot form of Verifier.Verify for callers that check a
// single code per key; it allocates the HMAC state each time.
func Verify(k Key, code string, t time.Time, window int) (step int64, ok bool, err error) {
	v, err := NewVerifier(k)
	if err != nil {
		return 0, false, err
	}
	step, ok = v.Verify(code, t, window)
	return step, ok, nil
}
