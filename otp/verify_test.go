package otp

import (
	"errors"
	"math"
	"testing"
	"time"
)

var rfcSecret = []byte("12345678901234567890")

// Window edges: with window N, the codes of steps S-N and S+N are accepted
// and report their own step; S-N-1 and S+N+1 are refused.
func TestVerifyWindowEdges(t *testing.T) {
	k := Key{Secret: rfcSecret}
	const base = int64(55_000_000) // about 2022
	for _, n := range []int{0, 1, 2} {
		v, err := NewVerifier(k)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []int64{-int64(n) - 1, -int64(n), 0, int64(n), int64(n) + 1} {
			code := k.CodeAt(base + d)
			want := d >= -int64(n) && d <= int64(n)
			at := time.Unix((base)*DefaultPeriod+17, 0)
			step, ok := v.Verify(code, at, n)
			if ok != want || (ok && step != base+d) {
				t.Errorf("window %d, offset %+d: Verify = %d, %v; want %d, %v", n, d, step, ok, base+d, want)
			}
			step, ok = v.VerifyStep(code, base, n)
			if ok != want || (ok && step != base+d) {
				t.Errorf("window %d, offset %+d: VerifyStep = %d, %v; want %d, %v", n, d, step, ok, base+d, want)
			}
		}
	}
}

// At a step boundary the step to check against flips: the code of step k
// fails with window 0 one second before k*period, and succeeds at k*period.
func TestVerifyStepBoundary(t *testing.T) {
	for _, period := range []int{1, 30, 60} {
		k := Key{Secret: rfcSecret, Period: period}
		v, err := NewVerifier(k)
		if err != nil {
			t.Fatal(err)
		}
		const step = 1_000_000
		code := k.CodeAt(step)
		if _, ok := v.Verify(code, time.Unix(step*int64(period)-1, 0), 0); ok {
			t.Errorf("period %d: code of step %d accepted one second early", period, step)
		}
		if s, ok := v.Verify(code, time.Unix(step*int64(period), 0), 0); !ok || s != step {
			t.Errorf("period %d: code of step %d at its first second: %d, %v", period, step, s, ok)
		}
		if s, ok := v.Verify(code, time.Unix((step+1)*int64(period)-1, 0), 0); !ok || s != step {
			t.Errorf("period %d: code of step %d at its last second: %d, %v", period, step, s, ok)
		}
		if _, ok := v.Verify(code, time.Unix((step+1)*int64(period), 0), 0); ok {
			t.Errorf("period %d: code of step %d accepted after its period", period, step)
		}
	}
}

func TestVerifyBadInput(t *testing.T) {
	k := Key{Secret: rfcSecret}
	v, err := NewVerifier(k)
	if err != nil {
		t.Fatal(err)
	}
	const step = 1000
	good := k.CodeAt(step)
	tests := []struct {
		name   string
		code   string
		window int
	}{
		{"empty", "", 1},
		{"too short", good[:5], 1},
		{"too long", good + "0", 1},
		{"8 digits for a 6-digit key", "00" + good, 1},
		{"letter", good[:5] + "a", 1},
		{"space inside", good[:3] + " " + good[4:], 1},
		{"leading space", " " + good[1:], 1},
		{"sign", "+" + good[1:], 1},
		{"minus", "-" + good[1:], 1},
		{"non-ASCII digits", "١٢٣٤٥٦", 1},
		{"NUL", good[:5] + "\x00", 1},
		{"negative window", good, -1},
		{"window too large", good, MaxWindow + 1},
	}
	for _, tc := range tests {
		if s, ok := v.VerifyStep(tc.code, step, tc.window); ok {
			t.Errorf("%s: VerifyStep(%q) accepted at %d", tc.name, tc.code, s)
		}
	}
	if s, ok := v.VerifyStep(good, step, MaxWindow); !ok || s != step {
		t.Errorf("window MaxWindow: %d, %v", s, ok)
	}
}

// No code exists before the epoch, and the window never wraps around int64.
func TestVerifyExtremeSteps(t *testing.T) {
	k := Key{Secret: rfcSecret}
	v, err := NewVerifier(k)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := v.VerifyStep(k.CodeAt(0), 0, 2); !ok || s != 0 {
		t.Errorf("step 0 with window 2: %d, %v", s, ok)
	}
	// HOTP of counter 2^64-1 is what step -1 would wrap to; it must not match.
	wrapped := HOTP(rfcSecret, SHA1, 6, math.MaxUint64)
	if s, ok := v.VerifyStep(wrapped, 0, 1); ok && s < 0 {
		t.Errorf("matched negative step %d", s)
	}
	top := k.CodeAt(math.MaxInt64)
	if s, ok := v.VerifyStep(top, math.MaxInt64, 2); !ok || s != math.MaxInt64 {
		t.Errorf("step MaxInt64: %d, %v", s, ok)
	}
	// MaxInt64+1 wraps to MinInt64, i.e. counter 2^63: never a candidate.
	over := HOTP(rfcSecret, SHA1, 6, 1<<63)
	if s, ok := v.VerifyStep(over, math.MaxInt64, 1); ok && s != math.MaxInt64 {
		t.Errorf("wrapped past MaxInt64 to %d", s)
	}
	if _, ok := v.Verify(k.Code(time.Unix(-3600, 0)), time.Unix(-3600, 0), 1); ok {
		t.Error("accepted a code before 1970")
	}
}

// When two steps in the window share a code, Verify reports the later one,
// so that recording it as used also blocks the code at that later step.
func TestVerifyCollisionReturnsLatest(t *testing.T) {
	k := Key{Secret: rfcSecret}
	v, err := NewVerifier(k)
	if err != nil {
		t.Fatal(err)
	}
	// 6-digit codes collide within 2*MaxWindow steps after a few thousand
	// steps; the secret is fixed, so the search is deterministic.
	last := map[uint32]int64{}
	for s := int64(0); s < 2_000_000; s++ {
		c := v.at(uint64(s))
		if p, seen := last[c]; seen && s-p <= 2*MaxWindow {
			mid, w := (p+s)/2, int((s-p+1)/2)
			got, ok := v.VerifyStep(formatCode(c, 6), mid, w)
			if !ok || got != s {
				t.Fatalf("steps %d and %d share a code: VerifyStep = %d, %v; want %d", p, s, got, ok, s)
			}
			return
		}
		last[c] = s
	}
	t.Fatal("no collision found")
}

func TestVerifyDoesNotAllocate(t *testing.T) {
	for _, alg := range []Algorithm{SHA1, SHA256, SHA512} {
		k := Key{Secret: rfcSecret, Algorithm: alg}
		v, err := NewVerifier(k)
		if err != nil {
			t.Fatal(err)
		}
		at := time.Unix(1_700_000_000, 0)
		code := k.Code(at)
		allocs := testing.AllocsPerRun(100, func() {
			if _, ok := v.Verify(code, at, 1); !ok {
				t.Fatal("valid code refused")
			}
			v.Verify("000000", at, 1)
		})
		if allocs != 0 {
			t.Errorf("%v: %.1f allocations per Verify", alg, allocs)
		}
	}
}

func TestVerifyConvenience(t *testing.T) {
	k := Key{Secret: rfcSecret}
	at := time.Unix(1_700_000_000, 0)
	step, ok, err := Verify(k, k.Code(at.Add(-30*time.Second)), at, 1)
	if err != nil || !ok || step != k.Step(at)-1 {
		t.Errorf("Verify = %d, %v, %v", step, ok, err)
	}
	if _, _, err := Verify(Key{}, "123456", at, 1); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("empty key: %v", err)
	}
}
