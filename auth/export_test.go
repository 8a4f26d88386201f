package auth

import (
	"context"

	"github.com/mfad/mfad"
)

// Test hooks for package auth_test: core internals its tests drive.

// Profile returns the effective profile of dialect.
func (s *Service) Profile(dialect string) Profile { return s.profileOf(dialect) }

// StepUpActor proves a second factor for the actor's session (StepUp is
// the one-transaction call fronts use).
func (s *Service) StepUpActor(ctx context.Context, a Actor, code string) error {
	return s.stepUpSession(ctx, a, code)
}

// stepUpSession verifies a second factor for the actor's own session (a TOTP or a
// scratch code) and records it as recent proof for sensitive actions.
func (s *Service) stepUpSession(ctx context.Context, a Actor, code string) error {
	if err := s.full(a); err != nil {
		return err
	}
	return s.update(ctx, func(tx mfad.Tx) error {
		u, err := tx.UserByID(a.userID)
		if err != nil {
			return notFound(err, "user")
		}
		f, err := loadFactor(tx, u.ID)
		if err != nil {
			return err
		}
		if _, err := s.verifyFactor(tx, a, u, f, code, "2fa.verify"); err != nil {
			return err
		}
		if a.sessionID == 0 {
			return nil
		}
		return tx.SetSecondFactorAt(a.sessionID, s.Now())
	})
}
