package auth

import (
	"context"

	"github.com/mfad/mfad"
)

// UserUpdate is an administrator's change to a user's account: a reset of
// their 2FA, a new password, or both. The zero value changes nothing.
type UserUpdate struct {
	UserID   int64
	Reset2FA bool
	Password string // "": keep the password
}

// UpdateUser applies an administrator's UserUpdate in one transaction, so
// that either all of it happens or none (a refused password must not leave
// a reset 2FA behind), and returns the user as it is afterwards. A reset
// is the core's Reset; a password is set as ChangePassword sets it on
// someone else's behalf. Both revoke what the "what revokes what" table
// of docs/architecture.md §2 says. An administrator's own password is changed with the current
// password (ChangePassword), not here.
func (s *Service) UpdateUser(ctx context.Context, a Actor, up UserUpdate) (*UserInfo, error) {
	if err := s.admin(a); err != nil {
		return nil, err
	}
	var hash string
	if up.Password != "" {
		if !onBehalf(a, up.UserID) {
			return nil, mfad.Errorf(mfad.EForbidden, "change your own password with your current password, not as an administrator")
		}
		h, err := s.hasher.Hash(ctx, up.Password) // checks the password rules first
		if err != nil {
			return nil, s.internal(ctx, err)
		}
		hash = h
	}
	var ui UserInfo
	err := s.update(ctx, func(tx mfad.Tx) error {
		u, err := tx.UserByID(up.UserID)
		if err != nil {
			return notFound(err, "user")
		}
		if up.Reset2FA {
			if err := s.resetIn(tx, a, u.ID); err != nil {
				return err
			}
		}
		if hash != "" {
			if err := s.setPassword(tx, a, u, hash); err != nil {
				return err
			}
		}
		if ui, err = s.userInfo(tx, u); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ui, nil
}

// setPassword gives u the password hash on an administrator's behalf and
// revokes what a password change revokes.
func (s *Service) setPassword(tx mfad.Tx, a Actor, u *mfad.User, hash string) error {
	u.PasswordHash, u.PasswordChangedAt = hash, s.Now()
	if err := tx.UpdateUser(u); err != nil {
		return err
	}
	if err := revoke(tx, u.ID, revocation{sessions: true, tickets: true, devices: true, appPasswords: true, enrollments: true}); err != nil {
		return err
	}
	if err := s.notify(tx, a, u.ID, mfad.NotifyPasswordSet, ""); err != nil {
		return err
	}
	return s.audit(tx, a, u.ID, "user.password", "ok", "")
}

// DeleteUsers deletes each user of ids as DeleteUser does, each in a
// transaction of its own: deleting a list removes every user it can, and
// a failure (an unknown id, the administrator's own account) undoes no
// other deletion. It returns the error of each id that failed, or an
// error for the whole call (not an administrator).
//
// One caller (Cloudreve's batch delete): the list is one wire operation, and its partial success is the product's.
func (s *Service) DeleteUsers(ctx context.Context, a Actor, ids []int64) (map[int64]error, error) {
	if err := s.admin(a); err != nil {
		return nil, err
	}
	failed := map[int64]error{}
	for _, id := range ids {
		if err := s.DeleteUser(ctx, a, id); err != nil {
			failed[id] = err
		}
	}
	return failed, nil
}
