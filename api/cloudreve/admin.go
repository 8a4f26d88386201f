package cloudreve

import (
	"net/http"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// upsertUser is Cloudreve's admin UpsertUserService. Of the user entity
// only id is read (it must name the user of the path when given); every
// other field of it is accepted and ignored.
type upsertUser struct {
	User *struct {
		ID int64 `json:"id"`
	} `json:"user"`
	Password string `json:"password"`
	TwoFA    string `json:"two_fa"`
}

// PUT /admin/user/{id} {user, password, two_fa}: a non-empty two_fa resets
// the user's 2FA (the core's Reset: factor, pending enrollment and every
// session of the user); a non-empty password sets the user's password.
// The answer is the user as the admin API shows it. Whether the caller
// may do either is the core's decision (403 for anyone but an admin).
func (s *server) adminUpdateUser(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, valid := parseID(r.PathValue("id"))
	if !valid {
		return mfad.Errorf(mfad.EInvalidInput, "%s", msgParseID)
	}
	var req upsertUser
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.User == nil {
		return mfad.Errorf(mfad.EInvalidInput, "User cannot be empty")
	}
	if req.User.ID != 0 && req.User.ID != id {
		return mfad.Errorf(mfad.EInvalidInput, "user.id does not match the id in the path")
	}
	if req.TwoFA != "" {
		if err := s.svc.Reset(r.Context(), a, id); err != nil {
			return err
		}
	}
	if req.Password != "" {
		if err := s.svc.ChangePassword(r.Context(), a, auth.PasswordChange{UserID: id, New: req.Password}); err != nil {
			return err
		}
	}
	u, err := s.svc.GetUser(r.Context(), a, id)
	if err != nil {
		return err
	}
	return ok(w, adminUserOf(u))
}
