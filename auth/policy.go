package auth

import (
	"context"
	"errors"

	"github.com/mfad/mfad"
)

// Policy says who must have 2FA.
type Policy string

const (
	PolicyOff    Policy = "off"    // 2FA optional for everyone
	PolicyAll    Policy = "all"    // required for everyone
	PolicyAdmins Policy = "admins" // required for admins
	PolicyRemote Policy = "remote" // required for, and only asked of, remote clients (TwinCAT REMOTE_2FA)
)

const policyKey = "policy"

// Valid reports whether p is a known policy.
func (p Policy) Valid() bool {
	switch p {
	case PolicyOff, PolicyAll, PolicyAdmins, PolicyRemote:
		return true
	}
	return false
}

func (s *Service) policy(tx mfad.Tx) (Policy, error) {
	v, err := tx.Setting(policyKey)
	if errors.Is(err, mfad.ErrNoRows) {
		return PolicyOff, nil
	}
	return Policy(v), err
}

// requires reports whether policy p requires 2FA of u on client c.
func (p Policy) requires(u *mfad.User, c Client) bool {
	switch p {
	case PolicyAll:
		return true
	case PolicyAdmins:
		return u.Role == mfad.RoleAdmin
	case PolicyRemote:
		return c.Remote()
	}
	return false
}

// mandatory reports whether p requires 2FA of u on some client, so that u
// may not turn it off (TwinCAT allows Disable2FA only when it is optional).
func (p Policy) mandatory(u *mfad.User) bool {
	return p == PolicyAll || p == PolicyRemote || (p == PolicyAdmins && u.Role == mfad.RoleAdmin)
}

// asks reports whether a login of u with an enabled factor must give it on
// client c. Under the remote-only policy a local client is not asked
// (TwinCAT's status 4, "enabled but not asked for on this connection").
func (p Policy) asks(c Client) bool { return p != PolicyRemote || c.Remote() }

// Policy returns the 2FA policy. Any authenticated actor may read it.
func (s *Service) Policy(ctx context.Context, a Actor) (Policy, error) {
	if err := s.authenticated(a); err != nil {
		return "", err
	}
	var p Policy
	err := s.view(ctx, func(tx mfad.Tx) (err error) { p, err = s.policy(tx); return err })
	return p, err
}

// SetPolicy sets the 2FA policy (admins only).
func (s *Service) SetPolicy(ctx context.Context, a Actor, p Policy) error {
	if err := s.admin(a); err != nil {
		return err
	}
	if !p.Valid() {
		return mfad.Errorf(mfad.EInvalidInput, "unknown policy %q", p)
	}
	return s.update(ctx, func(tx mfad.Tx) error {
		if err := tx.PutSetting(policyKey, string(p)); err != nil {
			return err
		}
		return s.audit(tx, a, 0, "policy.set", "ok", string(p))
	})
}

// Authorization. Every rule about who may act on whom is here.

func (s *Service) authenticated(a Actor) error {
	if a.userID == 0 && !a.system {
		return mfad.Errorf(mfad.EUnauthenticated, "authentication required")
	}
	return nil
}

// full requires an authenticated actor whose session may do more than enroll.
func (s *Service) full(a Actor) error {
	if err := s.authenticated(a); err != nil {
		return err
	}
	if a.scope == mfad.ScopeEnroll {
		return mfad.Errorf(mfad.ESetupRequired, "two-factor authentication must be set up first")
	}
	return nil
}

func (s *Service) admin(a Actor) error {
	if err := s.full(a); err != nil {
		return err
	}
	if !a.IsAdmin() {
		return mfad.Errorf(mfad.EForbidden, "administrators only")
	}
	return nil
}

// self allows a user to act on their own account (also with an enroll-only
// session when enroll is set) and an admin on anyone's.
func (s *Service) self(a Actor, userID int64, enroll bool) error {
	if err := s.authenticated(a); err != nil {
		return err
	}
	if a.userID == userID && !a.system {
		if a.scope == mfad.ScopeEnroll && !enroll {
			return mfad.Errorf(mfad.ESetupRequired, "two-factor authentication must be set up first")
		}
		return nil
	}
	if a.IsAdmin() {
		return nil
	}
	return mfad.Errorf(mfad.EForbidden, "not allowed for another user")
}

// onBehalf reports whether an admin acts on another user's account.
func onBehalf(a Actor, userID int64) bool { return a.system || a.userID != userID }

// stepUp guards a sensitive action on the actor's own enrolled account
// (docs/architecture.md §2): it needs a code in the request, or a second factor proven in
// this session within StepUpTTL. A code given is verified like any other
// (counted, replay-checked) and refreshes the session's proof.
func (s *Service) stepUp(tx mfad.Tx, a Actor, u *mfad.User, f *mfad.Factor, code, action string) error {
	_, err := s.stepUpHow(tx, a, u, f, code, action)
	return err
}

// stepUpHow is stepUp that also says how the second factor was proven,
// for the notification of the action: kindTOTP or kindScratch for a code
// in the request, "" for a session's recent second factor.
func (s *Service) stepUpHow(tx mfad.Tx, a Actor, u *mfad.User, f *mfad.Factor, code, action string) (string, error) {
	if code != "" {
		kind, err := s.verifyFactor(tx, a, u, f, code, action)
		if err != nil {
			return "", err
		}
		if a.sessionID != 0 {
			return kind, tx.SetSecondFactorAt(a.sessionID, s.Now())
		}
		return kind, nil
	}
	if a.sessionID != 0 && !a.secondFactorAt.IsZero() && s.Now().Sub(a.secondFactorAt) <= s.cfg.StepUpTTL {
		return "", nil
	}
	return "", mfad.Errorf(mfad.EStepUp, "this action needs a current code or a recent second factor")
}

// guard applies stepUp when the actor acts on their own account with 2FA on;
// an admin acting on another user's account needs no code of that user.
func (s *Service) guard(tx mfad.Tx, a Actor, u *mfad.User, code, action string) error {
	if onBehalf(a, u.ID) {
		return nil
	}
	f, err := tx.Factor(u.ID)
	if errors.Is(err, mfad.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.stepUp(tx, a, u, f, code, action)
}

// Capabilities is what a session may do, for fronts that show or hide
// tools (the web page's administration link). It is the core's judgement
// of the actor, so no front compares roles or scopes; each call still
// checks for itself.
type Capabilities struct {
	Administer bool // users, resets, unlocks, policy and the audit log
	Full       bool // more than enrolling: the session's scope is full
}

// Capabilities returns what the actor may do. It reads nothing: the
// actor's role and scope are those its authentication found.
//
// One caller (the web page) today: every front that shows or hides tools asks it rather than judging roles.
func (s *Service) Capabilities(a Actor) (Capabilities, error) {
	if err := s.authenticated(a); err != nil {
		return Capabilities{}, err
	}
	return Capabilities{Administer: s.admin(a) == nil, Full: s.full(a) == nil}, nil
}
