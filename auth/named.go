package auth

import (
	"context"

	"github.com/mfad/mfad"
)

// Calls on a user named by login (name or email), for fronts whose wire
// names users rather than numbering them (TwinCAT): one call and one
// transaction each, instead of LookupUser and then a call by id.

// namedUser finds the user login names, as the actor may see it: users see
// only themselves, so another name is "not found" and names cannot be
// probed; admins see anyone.
func (s *Service) namedUser(tx mfad.Tx, a Actor, login string) (*mfad.User, error) {
	u, err := tx.UserByLogin(login)
	if err != nil || (!a.IsAdmin() && u.ID != a.userID) {
		return nil, mfad.Errorf(mfad.ENotFound, "user not found")
	}
	return u, nil
}

// StatusOf is Status of the user login names, judged for the actor's
// client.
func (s *Service) StatusOf(ctx context.Context, a Actor, login string) (*Status, error) {
	if err := s.authenticated(a); err != nil {
		return nil, err
	}
	var st *Status
	err := s.view(ctx, func(tx mfad.Tx) error {
		u, err := s.namedUser(tx, a, login)
		if err != nil {
			return err
		}
		if err := s.self(a, u.ID, true); err != nil {
			return err
		}
		st, err = s.status(tx, a.client, u.ID)
		return err
	})
	return st, err
}

// ResetOf is Reset of the user login names (admins only), answering the
// user's status afterwards, judged for the actor's client, from the same
// transaction.
func (s *Service) ResetOf(ctx context.Context, a Actor, login string) (*Status, error) {
	if err := s.admin(a); err != nil {
		return nil, err
	}
	var st *Status
	err := s.update(ctx, func(tx mfad.Tx) error {
		u, err := s.namedUser(tx, a, login)
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
