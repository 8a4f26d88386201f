package auth

import "context"

// Test hooks for package auth_test: core internals its tests drive.

// Profile returns the effective profile of dialect.
func (s *Service) Profile(dialect string) Profile { return s.profileOf(dialect) }

// StepUpActor proves a second factor for the actor's session (StepUp is
// the one-transaction call fronts use).
func (s *Service) StepUpActor(ctx context.Context, a Actor, code string) error {
	return s.stepUpSession(ctx, a, code)
}
