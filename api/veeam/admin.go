package veeam

import (
	"net/http"
	"strings"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/auth"
)

// newUserRequest is v8.1's UserFromClient. mfad users have no description:
// it holds the email, as the users list shows it.
type newUserRequest struct {
	Name                     string  `json:"name"`
	Description              string  `json:"description"`
	Role                     *string `json:"role"`
	Type                     *string `json:"type"`
	IdentityProviderEntityID *string `json:"identityProviderEntityId"`
	Password                 *string `json:"password"`
}

// roleOf maps a v8.1 role onto mfad's: PortalAdmin is an admin,
// ReadOnlyUser (or none) a user. The other roles grant rights mfad has no
// form of, and are refused rather than quietly narrowed or widened.
func roleOf(name *string) (mfad.Role, error) {
	if name == nil {
		return mfad.RoleUser, nil
	}
	for r, n := range roleNames {
		if n == *name {
			return r, nil
		}
	}
	return "", mfad.Errorf(mfad.EInvalidInput, "role must be PortalAdmin or ReadOnlyUser; mfad has no equivalent of %q", *name)
}

// createUser serves POST /users: one core call (admins only, decided by
// the core); 201 with the user.
func (s *server) createUser(v *version, w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var req newUserRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	role, err := roleOf(req.Role)
	switch {
	case err != nil:
		return err
	case req.Type != nil && *req.Type != userType:
		return mfad.Errorf(mfad.EInvalidInput, "type must be Internal: mfad has no identity providers")
	case req.IdentityProviderEntityID != nil && *req.IdentityProviderEntityID != "":
		return mfad.Errorf(mfad.EInvalidInput, "identityProviderEntityId is not supported: mfad has no identity providers")
	case req.Password == nil || *req.Password == "":
		return mfad.Errorf(mfad.EInvalidInput, "password is required")
	case req.Description != "" && !strings.Contains(req.Description, "@"):
		return mfad.Errorf(mfad.EInvalidInput, "description holds the user's email in mfad; give an email or nothing")
	}
	u, err := s.svc.CreateUser(r.Context(), a, auth.NewUser{Name: req.Name, Email: req.Description, Password: *req.Password, Role: role})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v.user(u))
	return nil
}

// deleteUser serves DELETE /users/{id}: one core call (admins only, never
// themselves); the user's sessions, factor and everything else go with it.
func (s *server) deleteUser(v *version, w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := v.userID(r)
	if err != nil {
		return err
	}
	if err := s.svc.DeleteUser(r.Context(), a, id); err != nil {
		return err
	}
	empty(w, v.noContent)
	return nil
}

type passwordRequest struct {
	Current string `json:"currentPassword"`
	New     string `json:"newPassword"`
}

// changeOwnPassword serves POST /users/changePassword: the current user's
// password, with the current one (and, with MFA on, a second factor proven
// in this session within the step-up time, as for every sensitive action).
// Every other session of the user ends.
func (s *server) changeOwnPassword(v *version, w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var req passwordRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if req.Current == "" || req.New == "" {
		return mfad.Errorf(mfad.EInvalidInput, "currentPassword and newPassword are required")
	}
	if err := s.svc.ChangePassword(r.Context(), a, auth.PasswordChange{UserID: a.UserID(), Current: req.Current, New: req.New}); err != nil {
		return err
	}
	empty(w, v.noContent)
	return nil
}

type usersPasswordRequest struct {
	New   string `json:"newPassword"`
	Admin string `json:"adminsPassword"`
}

// changePassword serves POST /users/{id}/changePassword: an admin sets a
// user's password, proving their own password (v8.1's adminsPassword,
// required there; "the password of the Default Admin" is, in mfad, the
// acting admin's). For one's own id it is the current password, as in
// changeOwnPassword. One core call; the user's sessions end.
func (s *server) changePassword(v *version, w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := v.userID(r)
	if err != nil {
		return err
	}
	var req usersPasswordRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if req.New == "" || req.Admin == "" {
		return mfad.Errorf(mfad.EInvalidInput, "newPassword and adminsPassword are required")
	}
	err = s.svc.ChangePassword(r.Context(), a, auth.PasswordChange{UserID: id, New: req.New, Current: req.Admin, AdminPassword: req.Admin})
	if err != nil {
		return err
	}
	empty(w, v.noContent)
	return nil
}
