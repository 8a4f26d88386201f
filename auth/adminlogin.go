package auth

import (
	"errors"

	"github.com/mfad/mfad"
)

// An administrators' login (LoginRequest.AdminOnly, TicketRequest.AdminOnly).

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
