package auth

import (
	"errors"
	"time"

	"github.com/mfad/mfad"
)

// Password throttling (DESIGN §2): failures grow a delay per account and per
// client address; they never lock anyone out. Each key gets a few free
// failures, then waits 1 s, 2 s, 4 s ... up to 15 min between attempts. A
// quiet hour forgets the failures.
const (
	freeAccountFailures = 5
	freeAddressFailures = 20
	maxThrottleDelay    = 15 * time.Minute
	throttleMemory      = time.Hour
)

func accountKey(login string) string  { return "login:" + mfad.Fold(login) }
func protocolKey(login string) string { return "proto:" + mfad.Fold(login) }
func addressKey(addr string) string   { return "addr:" + addr }

func freeFailures(key string) int {
	if len(key) > 5 && key[:5] == "addr:" {
		return freeAddressFailures
	}
	return freeAccountFailures
}

// throttled returns EThrottled if any key must still wait.
func (s *Service) throttled(tx mfad.Tx, keys ...string) error {
	now := s.Now()
	var wait time.Duration
	for _, k := range keys {
		t, err := tx.Throttle(k)
		if errors.Is(err, mfad.ErrNoRows) {
			continue
		}
		if err != nil {
			return err
		}
		if d := t.Until.Sub(now); d > wait {
			wait = d
		}
	}
	if wait > 0 {
		return &mfad.Error{Code: mfad.EThrottled, Message: "too many failed attempts; retry later", RetryAfter: roundUp(wait)}
	}
	return nil
}

// throttleFailure records a failed password for each key.
func (s *Service) throttleFailure(tx mfad.Tx, keys ...string) error {
	now := s.Now()
	for _, k := range keys {
		t, err := tx.Throttle(k)
		if errors.Is(err, mfad.ErrNoRows) || (err == nil && now.Sub(t.Updated) > throttleMemory) {
			t, err = &mfad.Throttle{Key: k}, nil
		}
		if err != nil {
			return err
		}
		t.Failures++
		t.Updated = now
		if over := t.Failures - freeFailures(k); over > 0 {
			t.Until = now.Add(min(time.Second<<min(over-1, 20), maxThrottleDelay))
		}
		if err := tx.PutThrottle(t); err != nil {
			return err
		}
	}
	return nil
}

func roundUp(d time.Duration) time.Duration {
	return (d + time.Second - 1).Truncate(time.Second)
}
