package veeam

import (
	"net/http"
	"strconv"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// Paging of GET /api/v1/users: Veeam's example answers limit 30 to a
// request without one.
const (
	defaultLimit = 30
	maxLimit     = 1000
)

type link struct {
	Href string `json:"href"`
}

type links struct {
	Self link `json:"self"`
}

// userJSON is a user as Veeam shows it. mfad users have no description:
// it holds the email. isDefault (Veeam's built-in appliance account) is
// always false.
type userJSON struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	MFAEnabled  bool   `json:"mfaEnabled"`
	IsDefault   bool   `json:"isDefault"`
	Links       links  `json:"_links"`
}

func userOf(u *auth.UserInfo) userJSON {
	return userJSON{ID: u.ID, Name: u.Name, Description: u.Email, MFAEnabled: u.MFAEnabled,
		Links: links{link{"/api/v1/users/" + strconv.FormatInt(u.ID, 10)}}}
}

type usersPage struct {
	Offset     int        `json:"offset"`
	Limit      int        `json:"limit"`
	TotalCount int        `json:"totalCount"`
	Results    []userJSON `json:"results"`
	Links      links      `json:"_links"`
}

// listUsers serves GET /api/v1/users: every user for an admin, only
// themselves for anyone else (the core decides).
func (s *server) listUsers(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	q := r.URL.Query()
	offset, err := queryInt(q, "offset", 0)
	if err != nil {
		return err
	}
	limit, err := queryInt(q, "limit", defaultLimit)
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = defaultLimit
	}
	limit = min(limit, maxLimit)
	users, total, err := s.svc.VisibleUsers(r.Context(), a, auth.UserQuery{Offset: offset, Limit: limit})
	if err != nil {
		return err
	}
	out := usersPage{Offset: offset, Limit: limit, TotalCount: total, Results: make([]userJSON, len(users)),
		Links: links{link{"/api/v1/users"}}}
	for i := range users {
		out.Results[i] = userOf(&users[i])
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// getUser serves GET /api/v1/users/{id}.
func (s *server) getUser(w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	u, err := s.svc.GetUser(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userOf(u))
	return nil
}

// queryInt parses a non-negative integer query parameter, or returns def
// when it is absent.
func queryInt(q map[string][]string, name string, def int) (int, error) {
	vs := q[name]
	if len(vs) == 0 {
		return def, nil
	}
	n, err := strconv.Atoi(vs[0])
	if len(vs) > 1 || err != nil || n < 0 || n > 1<<31-1 {
		return 0, mfad.Errorf(mfad.EInvalidInput, "%s must be one non-negative integer", name)
	}
	return n, nil
}
