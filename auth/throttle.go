package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/mfad/mfad"
)

// Password throttling (docs/architecture.md §2): failures grow a delay per account and per
// client address; they never lock anyone out. Each key admits a few
// attempts, then waits 1 s, 2 s, 4 s ... up to 15 min between attempts. A
// quiet hour forgets the failures.
//
// An attempt is counted before its password is hashed (reserve), in one
// transaction over every key it touches, and a correct password takes its
// count back (settle). So a burst of simultaneous guesses gets at most the
// free attempts judged; the rest are refused with a Retry-After before any
// hash is queued, whichever instance they reach.
//
// Keys name no typed login and no address in clear (both are keyed hashes
// with a key derived from the master key ring):
//
//	user:<id>           the account, under its name and its email alike
//	user:<id>:<addr>    the account from an address it has logged in from:
//	                    the owner there is not refused for failures elsewhere
//	user:<id>:proto     the account's protocol logins (app passwords)
//	login:<name>        a name or email that is no user's
//	proto:<name>        the same for protocol logins
//	addr:<addr>         a client address
const (
	freeAccountFailures = 5
	freeAddressFailures = 20
	maxThrottleDelay    = 15 * time.Minute
	throttleMemory      = time.Hour
	// pendingTTL is how long an attempt counts as in flight: one still
	// unjudged after it was left by a process that died.
	pendingTTL = 2 * time.Minute
	// knownAddressTTL is how long a login from an address keeps it known.
	knownAddressTTL = 90 * 24 * time.Hour
)

// mac returns the keyed hash of a login name or address, hex, 128 bits.
func (s *Service) mac(kind, value string) string {
	m := hmac.New(sha256.New, s.macKey)
	m.Write([]byte(kind + "\x00" + value))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// addrHash is the keyed hash of a client address, as known addresses keep it.
func (s *Service) addrHash(addr string) []byte {
	b, _ := hex.DecodeString(s.mac("addr", addr))
	return b
}

func userKey(id int64) string                    { return "user:" + strconv.FormatInt(id, 10) }
func (s *Service) addressKey(addr string) string { return "addr:" + s.mac("addr", addr) }

// accountKey is the throttle key of a login attempt: the user's own when the
// login names one (with known, the one of the address she logged in from
// before), else one of the folded name that was typed.
func (s *Service) accountKey(u *mfad.User, login, addr string, known bool) string {
	switch {
	case u == nil:
		return "login:" + s.mac("login", mfad.Fold(login))
	case known:
		return userKey(u.ID) + ":" + s.mac("addr", addr)
	}
	return userKey(u.ID)
}

// protocolKey is accountKey for protocol logins (their own budget).
func (s *Service) protocolKey(u *mfad.User, login string) string {
	if u == nil {
		return "proto:" + s.mac("login", mfad.Fold(login))
	}
	return userKey(u.ID) + ":proto"
}

func freeFailures(key string) int {
	if strings.HasPrefix(key, "addr:") {
		return freeAddressFailures
	}
	return freeAccountFailures
}

// reserve counts one attempt on each key before it is judged, or returns
// EThrottled (nothing counted: the caller rolls the transaction back) if a
// key must still wait, or EBusy when the wait comes only from attempts
// still in flight (many correct logins at once from one address are not
// "failed attempts"). The attempt that uses up a key's free ones sets its
// wait: 1 s, then doubling with each further attempt. alsoCount, if set,
// is counted the same way but never refuses (the account's own key, for an
// attempt from a client she logged in from: see loginKey).
func (s *Service) reserve(tx mfad.Tx, alsoCount string, keys ...string) error {
	now := s.Now()
	count := func(k string, check bool) error {
		_, err := tx.ChangeThrottle(k, func(t *mfad.Throttle) error {
			if now.Sub(t.Updated) > pendingTTL {
				t.Pending = 0
			}
			if d := t.Until.Sub(now); check && d > 0 {
				if t.Failures-t.Pending < freeFailures(k) {
					return &mfad.Error{Code: mfad.EBusy, Message: "too many logins at once; retry in a moment", RetryAfter: time.Second}
				}
				return &mfad.Error{Code: mfad.EThrottled, Message: "too many failed attempts; retry later", RetryAfter: roundUp(d)}
			}
			if now.Sub(t.Updated) > throttleMemory {
				t.Failures, t.Until, t.Pending = 0, time.Time{}, 0
			}
			t.Failures++
			t.Pending++
			t.Updated = now
			if over := t.Failures - freeFailures(k); over >= 0 {
				t.Until = now.Add(min(time.Second<<min(over, 20), maxThrottleDelay))
			}
			return nil
		})
		return err
	}
	for _, k := range keys {
		if err := count(k, true); err != nil {
			return err
		}
	}
	if alsoCount != "" {
		return count(alsoCount, false)
	}
	return nil
}

// settle takes back the attempt that reserve counted on each key. For a
// correct password (forget) an account key forgets its failures; an address
// key, or any key of an attempt that was never judged, drops the one
// attempt, and its wait if that leaves it under its free attempts.
func (s *Service) settle(tx mfad.Tx, forget bool, keys ...string) error {
	for _, k := range keys {
		_, err := tx.ChangeThrottle(k, func(t *mfad.Throttle) error {
			t.Pending = max(t.Pending-1, 0)
			if forget && !strings.HasPrefix(k, "addr:") {
				// The failures are forgotten; other attempts in flight
				// stay counted until they are judged.
				*t = mfad.Throttle{Failures: t.Pending, Pending: t.Pending, Updated: t.Updated}
				return nil
			}
			t.Failures = max(t.Failures-1, 0)
			if t.Failures < freeFailures(k) {
				t.Until = time.Time{}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// judge turns the attempt reserve counted on each key into a judged
// failure (a wrong password): it stays counted, no longer in flight.
func (s *Service) judge(tx mfad.Tx, keys ...string) error {
	for _, k := range keys {
		_, err := tx.ChangeThrottle(k, func(t *mfad.Throttle) error {
			t.Pending = max(t.Pending-1, 0)
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func roundUp(d time.Duration) time.Duration {
	return (d + time.Second - 1).Truncate(time.Second)
}
