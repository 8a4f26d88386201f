package auth

import (
	"crypto/subtle"
	"errors"
	"strings"
	"time"
	"unicode"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/otp"
)

// Second-factor lockout (docs/architecture.md §2): every 5 failures in a row lock the
// factor, 30 s at first, doubling up to 15 min; 100 in a row lock it until an
// admin unlocks. A replay counts as a failure; an attempt while locked does
// not.
const (
	lockEvery      = 5
	lockBase       = 30 * time.Second
	lockMax        = 15 * time.Minute
	hardLockAt     = 100
	ticketFailures = 5 // a login ticket dies after this many, so the password is asked again
)

func lockFor(now time.Time) func(int) (time.Time, bool) {
	return func(failures int) (time.Time, bool) {
		if failures >= hardLockAt {
			return time.Time{}, true
		}
		if failures%lockEvery != 0 {
			return time.Time{}, false
		}
		d := lockBase << min(failures/lockEvery-1, 10)
		return now.Add(min(d, lockMax)), false
	}
}

// lockError returns ELocked if the user's second factor is locked now.
func lockError(u *mfad.User, now time.Time) error {
	switch {
	case u.MFAHardLocked:
		return mfad.Errorf(mfad.ELocked, "second factor locked after too many failures; an administrator must unlock it")
	case u.MFALockedUntil.After(now):
		return &mfad.Error{Code: mfad.ELocked, Message: "second factor locked after too many failures; retry later",
			RetryAfter: roundUp(u.MFALockedUntil.Sub(now))}
	}
	return nil
}

// NormalizeCode is the one normalisation every code gets before any check:
// trimmed, spaces and dashes dropped, letters upper-cased.
func NormalizeCode(code string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' {
			return -1
		}
		return unicode.ToUpper(r)
	}, code)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Code kinds, as audited.
const (
	kindTOTP    = "totp"
	kindScratch = "scratch"
)

// verifyFactor is the one core check of a second factor. In tx it decides
// whether code is a TOTP or a scratch code (as Zimbra does: the length
// decides when it differs, else digits try TOTP first), records an
// accepted TOTP step with one conditional update (so the same code never
// works twice, not even in the same instant) or uses up a scratch code, and
// counts failures toward the lockout. A failure is returned wrapped with
// keep, so the caller's transaction commits the count and the audit event.
func (s *Service) verifyFactor(tx mfad.Tx, a Actor, u *mfad.User, f *mfad.Factor, code, action string) (kind string, err error) {
	now := s.Now()
	if err := lockError(u, now); err != nil {
		return "", s.lockedAttempt(tx, a, u, action, err)
	}
	code = NormalizeCode(code)
	result, kind, err := s.checkCode(tx, f, code, now)
	if err != nil {
		return "", err
	}
	if result == "ok" {
		s.observeFor(tx, &a, u.ID, "verify", "ok")
		if kind == kindScratch {
			s.observe(tx, "scratch", "used")
			// Turning 2FA off with a scratch code is told as that
			// (2fa.disabled), not as a sign-in with one.
			if action != "2fa.disable" {
				if err := s.notifyScratchUsed(tx, a, u.ID); err != nil {
					return "", err
				}
			}
		}
		if u.MFAFailures > 0 {
			if err := tx.ResetMFAFailures(u.ID); err != nil {
				return "", err
			}
			u.MFAFailures, u.MFALockedUntil, u.MFAHardLocked = 0, time.Time{}, false
		}
		return kind, s.audit(tx, a, u.ID, action, "ok", kind)
	}
	s.observeFor(tx, &a, u.ID, "verify", result)
	return "", s.failFactor(tx, a, u, action, result, now)
}

// lockedAttempt audits an attempt on a locked factor, which does not count
// as a failure (a lockout must not be extended by an attacker for free).
func (s *Service) lockedAttempt(tx mfad.Tx, a Actor, u *mfad.User, action string, lerr error) error {
	s.observeFor(tx, &a, u.ID, "verify", "locked")
	if err := s.audit(tx, a, u.ID, action, "locked", ""); err != nil {
		return err
	}
	return keep(lerr)
}

// failFactor counts a failed second factor and returns the error to answer,
// wrapped with keep.
func (s *Service) failFactor(tx mfad.Tx, a Actor, u *mfad.User, action, result string, now time.Time) error {
	nu, err := tx.RecordMFAFailure(u.ID, lockFor(now))
	if err != nil {
		return err
	}
	*u = *nu
	if err := s.audit(tx, a, u.ID, action, result, ""); err != nil {
		return err
	}
	if result == "replay" { // ASVS 2.8.5: the holder of the device is told
		if err := s.notify(tx, a, u.ID, mfad.NotifyReplay, action); err != nil {
			return err
		}
	}
	if lerr := lockError(u, now); lerr != nil {
		s.observeFor(tx, &a, u.ID, "lockout", "locked")
		if err := s.audit(tx, a, u.ID, "2fa.lockout", "locked", ""); err != nil {
			return err
		}
		kind := mfad.NotifyLocked
		if u.MFAHardLocked {
			kind = mfad.NotifyHardLocked
		}
		if err := s.notify(tx, a, u.ID, kind, ""); err != nil {
			return err
		}
		return keep(lerr)
	}
	// A replay gets the same answer as a wrong code: telling them apart
	// would tell an attacker which codes were once valid.
	return keep(mfad.Errorf(mfad.EInvalidCode, "invalid code"))
}

// checkCode returns "ok", "invalid" or "replay".
func (s *Service) checkCode(tx mfad.Tx, f *mfad.Factor, code string, now time.Time) (result, kind string, err error) {
	totpShaped := len(code) == f.Digits && allDigits(code)
	if totpShaped {
		result, err = s.checkTOTP(tx, f, code, now)
		if err != nil || result != "invalid" || f.Scratch.Length != len(code) {
			return result, kindTOTP, err
		}
	}
	if f.Scratch.Length == len(code) && len(code) > 0 {
		result, err = s.checkScratch(tx, f.UserID, code, now)
		return result, kindScratch, err
	}
	return "invalid", kindTOTP, nil
}

func (s *Service) checkTOTP(tx mfad.Tx, f *mfad.Factor, code string, now time.Time) (string, error) {
	key, err := s.factorKey(f)
	if err != nil {
		return "", err
	}
	step, ok := s.verifyKey(key, code, now)
	if !ok {
		return "invalid", nil
	}
	offset := int(step - key.Step(now))
	advanced, err := tx.AdvanceStep(f.UserID, step, offset)
	if err != nil {
		return "", err
	}
	if !advanced {
		return "replay", nil
	}
	f.LastStep, f.ClockOffset = step, offset
	return "ok", nil
}

func (s *Service) verifyKey(key otp.Key, code string, now time.Time) (int64, bool) {
	v, err := otp.NewVerifier(key)
	if err != nil {
		return 0, false
	}
	return v.Verify(code, now, s.cfg.Window)
}

func (s *Service) checkScratch(tx mfad.Tx, userID int64, code string, now time.Time) (string, error) {
	codes, err := tx.ScratchCodes(userID)
	if err != nil {
		return "", err
	}
	// Open and compare every code, so the time taken does not tell which
	// (or whether one) matched.
	var match int64 = -1
	for _, c := range codes {
		plain, err := s.ring.Open(c.Code, mfad.SealAD(mfad.SealScratchCode, userID))
		if err != nil {
			return "", err
		}
		if subtle.ConstantTimeCompare(plain, []byte(code)) == 1 {
			match = c.ID
		}
	}
	if match < 0 {
		return "invalid", nil
	}
	used, err := tx.UseScratchCode(match, now)
	if err != nil {
		return "", err
	}
	if !used {
		return "replay", nil
	}
	return "ok", nil
}

// factorKey opens a factor's secret.
func (s *Service) factorKey(f *mfad.Factor) (otp.Key, error) {
	return s.openKey(f.Secret, mfad.SealAD(mfad.SealFactorSecret, f.UserID), f.Algorithm, f.Digits, f.Period)
}

func (s *Service) openKey(sealed string, ad []byte, alg string, digits, period int) (otp.Key, error) {
	secret, err := s.ring.Open(sealed, ad)
	if err != nil {
		return otp.Key{}, err
	}
	a, err := otp.ParseAlgorithm(alg)
	if err != nil {
		return otp.Key{}, err
	}
	return otp.Key{Secret: secret, Algorithm: a, Digits: digits, Period: period}, nil
}

// loadFactor returns the user's enabled factor, or ENotEnrolled.
func loadFactor(tx mfad.Tx, userID int64) (*mfad.Factor, error) {
	f, err := tx.Factor(userID)
	if errors.Is(err, mfad.ErrNoRows) {
		return nil, errNotEnrolled()
	}
	return f, err
}

// The errors of a missing factor and of an unknown or expired access
// token, fresh each time (an *mfad.Error is not to be shared).
func errNotEnrolled() error {
	return mfad.Errorf(mfad.ENotEnrolled, "two-factor authentication is not enabled")
}

func errBadToken() error { return mfad.Errorf(mfad.EUnauthenticated, "invalid or expired token") }
