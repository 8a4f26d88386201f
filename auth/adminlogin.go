package auth

import (
	"context"
	"errors"

	"github.com/mfad/mfad"
)

// AdminLogin is Login for an administrators' console (Zimbra's admin
// AuthRequest): once the password is proven, anyone but an administrator is
// refused with EForbidden, before any ticket or session is made. The second
// factor is asked as in Login.
func (s *Service) AdminLogin(ctx context.Context, c Client, req LoginRequest) (*LoginResult, error) {
	return s.login(ctx, c, req, true)
}

// CompleteAdminLogin is CompleteLogin for the ticket of an administrators'
// login: the ticket of a user who is not an administrator (one made by
// Login for another front) is refused with EForbidden and left as it was.
func (s *Service) CompleteAdminLogin(ctx context.Context, c Client, req TicketRequest) (*LoginResult, error) {
	return s.completeLogin(ctx, c, req, true)
}

// adminTicket refuses, in tx, a ticket whose user is not an administrator.
func (s *Service) adminTicket(tx mfad.Tx, c Client, t *mfad.Ticket) error {
	u, err := tx.UserByID(t.UserID)
	if errors.Is(err, mfad.ErrNoRows) {
		return mfad.Errorf(mfad.ENotFound, "login ticket not found")
	}
	if err != nil {
		return err
	}
	if u.Role != mfad.RoleAdmin || (t.Scope != "" && t.Scope != mfad.ScopeFull) { // a preauth login's ticket is no admin's
		return s.refuseAdminLogin(tx, c, u.ID)
	}
	return nil
}

// refuseAdminLogin audits and refuses an administrators' login of a user who
// is not one. The refusal commits, so the audit event stays.
func (s *Service) refuseAdminLogin(tx mfad.Tx, c Client, userID int64) error {
	a := Anonymous(c)
	a.userID = userID
	if err := s.audit(tx, a, userID, "login.admin", string(mfad.EForbidden), ""); err != nil {
		return err
	}
	return keep(mfad.Errorf(mfad.EForbidden, "administrators only"))
}
