package auth

import (
	"github.com/mfad/mfad"
)

// UserRef names the user a request is about: by id, or by login (name or
// email, case-folded by the core) for fronts whose wire names users
// (TwinCAT, Zimbra's account by name, the command line). The core finds
// the user in the call's own transaction, so no front looks a user up
// first and acts on it in a second call.
type UserRef struct {
	ID    int64
	Login string // used when ID is 0
}

// ByID names a user by id.
func ByID(id int64) UserRef { return UserRef{ID: id} }

// ByLogin names a user by name or email.
func ByLogin(login string) UserRef { return UserRef{Login: login} }

// userOf finds the user ref names, with allowed judging whether the actor
// may act on that user. By id, allowed judges first, so an id the actor
// may not see is refused the same whether or not it exists. By login,
// users see only themselves: another name is "not found", so names
// cannot be probed; admins see anyone.
func (s *Service) userOf(tx mfad.Tx, a Actor, ref UserRef, allowed func(Actor, int64) error) (*mfad.User, error) {
	if ref.ID != 0 || ref.Login == "" {
		if err := allowed(a, ref.ID); err != nil {
			return nil, err
		}
		u, err := tx.UserByID(ref.ID)
		return u, notFound(err, "user")
	}
	u, err := tx.UserByLogin(ref.Login)
	if err != nil || (!a.IsAdmin() && u.ID != a.userID) {
		return nil, mfad.Errorf(mfad.ENotFound, "user not found")
	}
	return u, allowed(a, u.ID)
}

// selfOrAdmin allows the user herself (also with an enroll-only session)
// and an admin.
func (s *Service) selfOrAdmin(a Actor, userID int64) error { return s.self(a, userID, true) }

// adminOnly allows an admin.
func (s *Service) adminOnly(a Actor, _ int64) error { return s.admin(a) }
