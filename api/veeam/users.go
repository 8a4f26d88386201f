package veeam

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// maxLimit caps a page: Limit=-1 ("all", as Veeam's reference samples send
// it) and larger limits answer at most this many users, and the answer's
// limit says so, so a client pages on.
const maxLimit = 1000

type link struct {
	Href string `json:"href"`
}

type links struct {
	Self link `json:"self"`
}

// userV1 is a user as v1 shows it. mfad users have no description: it
// holds the email. isDefault (Veeam's built-in appliance account) is always
// false.
type userV1 struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	MFAEnabled  bool   `json:"mfaEnabled"`
	IsDefault   bool   `json:"isDefault"`
	Links       links  `json:"_links"`
}

// userV81 is v8.1's User: role is required, the id a string, type says
// where the account lives (always Internal: mfad has no identity
// providers, so identityProviderEntityId is never written).
type userV81 struct {
	Role        string `json:"role"`
	Type        string `json:"type"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	MFAEnabled  bool   `json:"mfaEnabled"`
	IsDefault   bool   `json:"isDefault"`
	Links       links  `json:"_links"`
}

// roleNames are the v8.1 RbacRole values of mfad's roles. An mfad user may
// act on their own account only, which of Veeam's roles ReadOnlyUser comes
// closest to.
var roleNames = map[mfad.Role]string{mfad.RoleAdmin: "PortalAdmin", mfad.RoleUser: "ReadOnlyUser"}

// userType is v8.1's UserType of every mfad user.
const userType = "Internal"

func roleName(r mfad.Role) string {
	if n, ok := roleNames[r]; ok {
		return n
	}
	return "Unknown"
}

// user is how v writes u.
func (v *version) user(u *auth.UserInfo) any {
	self := links{link{v.prefix() + "/users/" + v.idPath(u.ID)}}
	if v.stringIDs {
		return userV81{Role: roleName(u.Role), Type: userType, ID: uuidOf(u.ID), Name: u.Name,
			Description: u.Email, MFAEnabled: u.MFAEnabled, Links: self}
	}
	return userV1{ID: u.ID, Name: u.Name, Description: u.Email, MFAEnabled: u.MFAEnabled, Links: self}
}

type usersPage struct {
	Offset     int   `json:"offset"`
	Limit      int   `json:"limit"`
	TotalCount int   `json:"totalCount"`
	Results    []any `json:"results"`
	Links      links `json:"_links"`
}

// listUsers serves GET /users: the users the core lets the actor see
// (everyone for an admin, only themselves for anyone else), NameFilter
// keeping only the user of that name.
func (s *server) listUsers(v *version, w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	q, err := parseUsersQuery(r.URL.RawQuery, v.defLimit)
	if err != nil {
		return err
	}
	users, total, err := s.svc.ListUsers(r.Context(), a, q)
	if err != nil {
		return err
	}
	out := usersPage{Offset: q.Offset, Limit: q.Limit, TotalCount: total, Results: make([]any, len(users)),
		Links: links{link{v.prefix() + "/users"}}}
	for i := range users {
		out.Results[i] = v.user(&users[i])
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// The query parameters of GET /users: Veeam's reference writes them
// Offset, Limit and NameFilter (v1's examples write offset and limit), so
// names are matched without regard to case.
const (
	qOffset     = "offset"
	qLimit      = "limit"
	qNameFilter = "namefilter"
)

// queryNames are the parameters as Veeam's reference writes them, by
// lower-cased name.
var queryNames = map[string]string{qOffset: "Offset", qLimit: "Limit", qNameFilter: "NameFilter"}

// parseUsersQuery reads the query of GET /users. A parameter given twice,
// an unknown parameter or an empty NameFilter is refused rather than
// ignored: a filter the server did not apply must never look like a list
// of matches. Limit -1 (Veeam's "all") and limits above maxLimit become
// maxLimit; a missing or zero Limit is the version's page size.
func parseUsersQuery(raw string, defLimit int) (auth.UserQuery, error) {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return auth.UserQuery{}, mfad.Errorf(mfad.EInvalidInput, "malformed query")
	}
	p := map[string]string{}
	for name, vs := range vals {
		lower := strings.ToLower(name)
		known, ok := queryNames[lower]
		if !ok {
			return auth.UserQuery{}, mfad.Errorf(mfad.EInvalidInput, "unknown query parameter %q; known: Offset, Limit, NameFilter", name)
		}
		if _, dup := p[lower]; dup || len(vs) != 1 {
			return auth.UserQuery{}, mfad.Errorf(mfad.EInvalidInput, "query parameter %s is given more than once", known)
		}
		p[lower] = vs[0]
	}
	q := auth.UserQuery{Limit: defLimit, Visible: true}
	if s, ok := p[qOffset]; ok {
		if q.Offset, err = queryInt(s, 0); err != nil {
			return auth.UserQuery{}, mfad.Errorf(mfad.EInvalidInput, "Offset must be an integer of at least 0")
		}
	}
	if s, ok := p[qLimit]; ok {
		if q.Limit, err = queryInt(s, -1); err != nil {
			return auth.UserQuery{}, mfad.Errorf(mfad.EInvalidInput, "Limit must be an integer of at least -1")
		}
	}
	switch {
	case q.Limit == 0:
		q.Limit = defLimit
	case q.Limit < 0 || q.Limit > maxLimit:
		q.Limit = maxLimit
	}
	if s, ok := p[qNameFilter]; ok {
		if strings.TrimSpace(s) == "" {
			return auth.UserQuery{}, mfad.Errorf(mfad.EInvalidInput, "NameFilter must name a user")
		}
		q.Name = s
	}
	return q, nil
}

// queryInt parses a 32-bit integer of at least min.
func queryInt(s string, min int) (int, error) {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || int(n) < min {
		return 0, mfad.Errorf(mfad.EInvalidInput, "out of range")
	}
	return int(n), nil
}

// getUser serves GET /users/{id}.
func (s *server) getUser(v *version, w http.ResponseWriter, r *http.Request, a auth.Actor) error {
	id, err := v.userID(r)
	if err != nil {
		return err
	}
	u, err := s.svc.GetUser(r.Context(), a, auth.ByID(id))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v.user(u))
	return nil
}
