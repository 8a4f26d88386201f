package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mfad/mfad"
)

// Status is a user's 2FA state as every front shows it.
type Status struct {
	UserID           int64
	User             UserInfo // the user, as the same read found them
	Enabled          bool
	EnabledAt        time.Time
	Pending          bool
	PendingExpires   time.Time
	Required         bool // policy requires 2FA of this user on this client
	Asked            bool // a login of this user on this client must give the code
	ScratchRemaining int
	Locked           bool
	HardLocked       bool
	LockedUntil      time.Time
	Policy           Policy
	// ClockDrift is how far the phone's clock was off at the last accepted
	// code, in whole periods (its step offset times the period): positive
	// ahead, negative behind, zero in step.
	ClockDrift time.Duration
}

// DriftText says in words how far a phone's clock runs off, or "" when it
// is in step: "this phone's clock runs about 30 s behind".
func DriftText(d time.Duration) string {
	switch {
	case d > 0:
		return fmt.Sprintf("this phone's clock runs about %d s ahead", int(d.Seconds()))
	case d < 0:
		return fmt.Sprintf("this phone's clock runs about %d s behind", int(-d.Seconds()))
	}
	return ""
}

// Status returns a user's 2FA state, judged for the actor's client, with
// the user as the same read found them (a front's "who am I" page is one
// call).
func (s *Service) Status(ctx context.Context, a Actor, ref UserRef) (*Status, error) {
	if err := s.authenticated(a); err != nil {
		return nil, err
	}
	var st *Status
	err := s.view(ctx, func(tx mfad.Tx) error {
		u, err := s.userOf(tx, a, ref, s.selfOrAdmin)
		if err != nil {
			return err
		}
		st, err = s.status(tx, a.client, u.ID)
		return err
	})
	return st, err
}

func (s *Service) status(tx mfad.Tx, c Client, userID int64) (*Status, error) {
	u, err := tx.UserByID(userID)
	if err != nil {
		return nil, notFound(err, "user")
	}
	p, err := s.policy(tx)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	st := &Status{UserID: u.ID, User: info(u, false), Policy: p, Required: p.requires(u, c), HardLocked: u.MFAHardLocked,
		Locked: lockError(u, now) != nil}
	if u.MFALockedUntil.After(now) {
		st.LockedUntil = u.MFALockedUntil
	}
	f, err := tx.Factor(u.ID)
	switch {
	case err == nil:
		st.Enabled, st.EnabledAt, st.Asked = true, f.EnabledAt, p.asks(c)
		st.User.MFAEnabled = true
		st.ClockDrift = time.Duration(f.ClockOffset*f.Period) * time.Second
		codes, err := tx.ScratchCodes(u.ID)
		if err != nil {
			return nil, err
		}
		st.ScratchRemaining = len(codes)
	case !errors.Is(err, mfad.ErrNoRows):
		return nil, err
	}
	e, err := tx.Enrollment(u.ID)
	switch {
	case err == nil && e.ExpiresAt.After(now):
		st.Pending, st.PendingExpires = true, e.ExpiresAt
	case err != nil && !errors.Is(err, mfad.ErrNoRows):
		return nil, err
	}
	return st, nil
}

// StepUp proves a second factor for the session holding accessToken, authenticated
// in the same transaction as the verification: one joined read of the
// session, its user and their factor, then the step, the audit event and
// the session's second-factor time (issue 17). It answers as Authenticate
// then StepUp would.
//
// One caller (REST) today: the one-call step-up by token that any front with a step-up operation uses.
func (s *Service) StepUp(ctx context.Context, c Client, accessToken, code string) error {
	if accessToken == "" {
		return mfad.Errorf(mfad.EUnauthenticated, "authentication required")
	}
	return s.update(ctx, func(tx mfad.Tx) error {
		sess, u, f, err := tx.SessionForVerify(hashToken(accessToken))
		if errors.Is(err, mfad.ErrNoRows) {
			// Rare: a bad token, or a user without 2FA; tell which.
			sess, u, err = s.sessionOf(tx, accessToken)
			f = nil
		}
		if err != nil {
			return err
		}
		if !s.live(sess, s.Now()) {
			return errBadToken()
		}
		a := actorOf(c, sess, u)
		if err := s.full(a); err != nil {
			return err
		}
		if f == nil {
			return errNotEnrolled()
		}
		if _, err := s.verifyFactor(tx, a, u, f, code, "2fa.verify"); err != nil {
			return err
		}
		return tx.SetSecondFactorAt(sess.ID, s.Now())
	})
}

// sessionOf reads the session holding accessToken and its user.
func (s *Service) sessionOf(tx mfad.Tx, accessToken string) (*mfad.Session, *mfad.User, error) {
	sess, err := tx.SessionByAccess(hashToken(accessToken))
	if errors.Is(err, mfad.ErrNoRows) {
		return nil, nil, errBadToken()
	}
	if err != nil {
		return nil, nil, err
	}
	u, err := tx.UserByID(sess.UserID)
	if err != nil {
		return nil, nil, err
	}
	return sess, u, nil
}

// DisableRequest turns a user's 2FA off.
type DisableRequest struct {
	UserID   int64
	Login    string // names the user when UserID is 0 (Zimbra's account by name)
	Password string // where the profile asks for it (PasswordToDisable)
	Code     string // a current or scratch code; without one the session's second factor must be recent
}

// Disable turns 2FA off. For the user's own account it is a sensitive action
// refused when policy requires 2FA; an admin turning it off for another
// user resets it (see Reset).
func (s *Service) Disable(ctx context.Context, a Actor, req DisableRequest) error {
	if req.UserID == 0 && req.Login != "" {
		if err := s.authenticated(a); err != nil {
			return err
		}
		err := s.view(ctx, func(tx mfad.Tx) error {
			u, err := s.userOf(tx, a, ByLogin(req.Login), func(Actor, int64) error { return nil })
			if err == nil {
				req.UserID = u.ID
			}
			return err
		})
		if err != nil {
			return err
		}
	}
	if err := s.self(a, req.UserID, false); err != nil {
		return err
	}
	if onBehalf(a, req.UserID) {
		_, err := s.Reset(ctx, a, ByID(req.UserID))
		return err
	}
	if s.profileOf(a.client.Dialect).PasswordToDisable {
		if err := s.checkOwnPassword(ctx, a, req.Password); err != nil {
			return err
		}
	}
	return s.update(ctx, func(tx mfad.Tx) error {
		u, err := tx.UserByID(req.UserID)
		if err != nil {
			return notFound(err, "user")
		}
		f, err := loadFactor(tx, u.ID)
		if err != nil {
			return err
		}
		p, err := s.policy(tx)
		if err != nil {
			return err
		}
		if p.mandatory(u) {
			return mfad.Errorf(mfad.EPolicy, "two-factor authentication is required by policy and cannot be turned off")
		}
		how, err := s.stepUpHow(tx, a, u, f, req.Code, "2fa.disable")
		if err != nil {
			return err
		}
		if err := s.wipe(tx, u.ID, revocation{sessions: true, keepSession: a.sessionID, tickets: true, devices: true, appPasswords: true, enrollments: true}); err != nil {
			return err
		}
		// The mail says how (a scratch code that turns 2FA off is that,
		// not a sign-in with a scratch code).
		if err := s.notify(tx, a, u.ID, mfad.NotifyDisabled, disabledHow[how]); err != nil {
			return err
		}
		return s.audit(tx, a, u.ID, "2fa.disable", "ok", "")
	})
}

// disabledHow is the detail of a 2fa.disabled notification, by how the
// second factor was proven (stepUpHow).
var disabledHow = map[string]string{
	kindTOTP:    "with a code from the authenticator",
	kindScratch: "with a scratch code",
	"":          "in a session that had just proven its second factor",
}

// Reset removes a user's 2FA entirely (admins only): factor, scratch codes,
// pending enrollment, and every session, ticket, trusted device and app
// password of the user. It also clears the lockout. It answers the user's
// status afterwards, judged for the actor's client, from the same
// transaction (TwinCAT's Reset2FA answers it).
func (s *Service) Reset(ctx context.Context, a Actor, ref UserRef) (*Status, error) {
	if err := s.admin(a); err != nil {
		return nil, err
	}
	var st *Status
	err := s.update(ctx, func(tx mfad.Tx) error {
		u, err := s.userOf(tx, a, ref, s.adminOnly)
		if err != nil {
			return err
		}
		if err := s.resetIn(tx, a, u.ID); err != nil {
			return err
		}
		st, err = s.status(tx, a.client, u.ID)
		return err
	})
	return st, err
}

// resetIn resets the 2FA of an existing user in tx.
func (s *Service) resetIn(tx mfad.Tx, a Actor, userID int64) error {
	if err := s.wipe(tx, userID, revocation{sessions: true, tickets: true, devices: true, appPasswords: true, enrollments: true}); err != nil {
		return err
	}
	if err := tx.ResetMFAFailures(userID); err != nil {
		return err
	}
	if err := s.notify(tx, a, userID, mfad.NotifyReset, ""); err != nil {
		return err
	}
	return s.audit(tx, a, userID, "2fa.reset", "ok", "")
}

func (s *Service) wipe(tx mfad.Tx, userID int64, r revocation) error {
	for _, del := range []func(int64) error{tx.DeleteFactor, tx.DeleteScratchCodes, tx.DeleteEnrollment} {
		if err := del(userID); err != nil && !errors.Is(err, mfad.ErrNoRows) {
			return err
		}
	}
	return revoke(tx, userID, r)
}

// Unlock lifts a user's second-factor lockout and resets both counters
// (docs/architecture.md §2): the second-factor failures and the password throttle of the
// account, under its name and its email (admins only).
func (s *Service) Unlock(ctx context.Context, a Actor, userID int64) error {
	if err := s.admin(a); err != nil {
		return err
	}
	return s.update(ctx, func(tx mfad.Tx) error {
		u, err := tx.UserByID(userID)
		if err != nil {
			return notFound(err, "user")
		}
		if err := tx.ResetMFAFailures(userID); err != nil {
			return err
		}
		if err := s.clearThrottles(tx, u); err != nil {
			return err
		}
		return s.audit(tx, a, userID, "2fa.unlock", "ok", "")
	})
}

// clearThrottles forgets the password failures of u's account, under its
// name and its email alike, for interactive and protocol logins. (The keys
// of addresses u logged in from hold her own failures only; they fade
// within the hour.)
func (s *Service) clearThrottles(tx mfad.Tx, u *mfad.User) error {
	for _, key := range []string{userKey(u.ID), s.protocolKey(u, "")} {
		if err := tx.DeleteThrottle(key); err != nil && !errors.Is(err, mfad.ErrNoRows) {
			return err
		}
	}
	return nil
}

// ScratchCodes shows a user's unused scratch codes again: a sensitive action.
func (s *Service) ScratchCodes(ctx context.Context, a Actor, userID int64, code string) ([]string, error) {
	if err := s.self(a, userID, false); err != nil {
		return nil, err
	}
	var out []string
	err := s.update(ctx, func(tx mfad.Tx) error {
		u, _, err := s.enrolled(tx, userID)
		if err != nil {
			return err
		}
		if err := s.guard(tx, a, u, code, "2fa.scratch.show"); err != nil {
			return err
		}
		codes, err := tx.ScratchCodes(userID)
		if err != nil {
			return err
		}
		out = make([]string, len(codes))
		for i, c := range codes {
			plain, err := s.ring.Open(c.Code, mfad.SealAD(mfad.SealScratchCode, userID))
			if err != nil {
				return err
			}
			out[i] = string(plain)
		}
		return s.audit(tx, a, userID, "2fa.scratch.show", "ok", "")
	})
	return out, err
}

// RegenerateScratchCodes voids a user's scratch codes and makes a new set
// of the same form: a sensitive action.
func (s *Service) RegenerateScratchCodes(ctx context.Context, a Actor, userID int64, code string) ([]string, error) {
	if err := s.self(a, userID, false); err != nil {
		return nil, err
	}
	var out []string
	err := s.update(ctx, func(tx mfad.Tx) error {
		u, f, err := s.enrolled(tx, userID)
		if err != nil {
			return err
		}
		if err := s.guard(tx, a, u, code, "2fa.scratch.regenerate"); err != nil {
			return err
		}
		out = make([]string, f.Scratch.Count)
		sc := make([]mfad.ScratchCode, len(out))
		for i := range out {
			out[i] = randomString(f.Scratch.Length, f.Scratch.Alphabet)
			sc[i].UserID = userID
			if sc[i].Code, err = s.ring.Seal([]byte(out[i]), mfad.SealAD(mfad.SealScratchCode, userID)); err != nil {
				return err
			}
		}
		if err := tx.ReplaceScratchCodes(userID, sc); err != nil {
			return err
		}
		if err := s.notify(tx, a, userID, mfad.NotifyRegenerated, ""); err != nil {
			return err
		}
		return s.audit(tx, a, userID, "2fa.scratch.regenerate", "ok", "")
	})
	return out, err
}

func (s *Service) enrolled(tx mfad.Tx, userID int64) (*mfad.User, *mfad.Factor, error) {
	u, err := tx.UserByID(userID)
	if err != nil {
		return nil, nil, notFound(err, "user")
	}
	f, err := loadFactor(tx, userID)
	return u, f, err
}
