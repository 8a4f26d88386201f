package rest

import (
	"net/http"
	"strconv"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// Paging limits of the list routes.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

type usersResponse struct {
	Users []userJSON `json:"users"`
	Total int        `json:"total"`
}

func (s *server) listUsers(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	q := r.URL.Query()
	offset, err := queryInt(q.Get("offset"), "offset", 0, 0, 1<<31-1)
	if err != nil {
		return err
	}
	limit, err := queryInt(q.Get("limit"), "limit", defaultLimit, 1, maxLimit)
	if err != nil {
		return err
	}
	users, total, err := s.svc.ListUsers(r.Context(), a, auth.UserQuery{Offset: int(offset), Limit: int(limit)})
	if err != nil {
		return err
	}
	out := usersResponse{Users: make([]userJSON, len(users)), Total: total}
	for i := range users {
		out.Users[i] = userOf(&users[i])
	}
	return writeJSON(w, http.StatusOK, out)
}

// queryInt parses an optional integer query parameter within [lo, hi].
func queryInt(v, name string, def, lo, hi int64) (int64, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, mfad.Errorf(mfad.EInvalidInput, "%s must be an integer from %d to %d", name, lo, hi)
	}
	return n, nil
}

type createUserRequest struct {
	ID       int64     `json:"id"`
	Name     string    `json:"name"`
	Email    string    `json:"email"`
	Password string    `json:"password"`
	Role     mfad.Role `json:"role"`
}

func (s *server) createUser(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	var req createUserRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := require("name", req.Name, "password", req.Password); err != nil {
		return err
	}
	u, err := s.svc.CreateUser(r.Context(), a, auth.NewUser(req))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/users/"+strconv.FormatInt(u.ID, 10))
	return writeJSON(w, http.StatusCreated, userOf(u))
}

func (s *server) getUser(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := userID(r, a)
	if err != nil {
		return err
	}
	u, err := s.svc.GetUser(r.Context(), a, auth.ByID(id))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, userOf(u))
}

func (s *server) deleteUser(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := userID(r, a)
	if err != nil {
		return err
	}
	if err := s.svc.DeleteUser(r.Context(), a, id); err != nil {
		return err
	}
	noContent(w)
	return nil
}

type passwordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
	Code            string `json:"code"`
}

func (s *server) changePassword(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := userID(r, a)
	if err != nil {
		return err
	}
	var req passwordRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := require("new_password", req.NewPassword); err != nil {
		return err
	}
	err = s.svc.ChangePassword(r.Context(), a, auth.PasswordChange{UserID: id,
		Current: req.CurrentPassword, New: req.NewPassword, Code: req.Code})
	if err != nil {
		return err
	}
	noContent(w)
	return nil
}
