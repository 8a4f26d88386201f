// Package veeam is mfad's Veeam Backup for Microsoft Azure dialect: the
// REST calls a Veeam client makes to sign in and to turn multi-factor
// authentication on and off, answered by the core service (package auth).
//
// Routes (mounted at /api/, so that any path under it answers JSON):
//
//	POST   /api/oauth2/token                    grant_type Password, Mfa, Refresh_token (form-encoded)
//	DELETE /api/oauth2/token                    log out the bearer token's session -> 204
//	GET    /api/{version}/users                 {offset, limit, totalCount, results, _links}
//	GET    /api/{version}/users/{id}            one user
//	POST   /api/{version}/users/{id}/enableMfa  {recreate} -> {userId, qrString, secretKey, scratchCodes, token}
//	POST   /api/{version}/users/{id}/acceptMfa  {code, token} -> no content
//	POST   /api/{version}/users/{id}/disableMfa no body -> no content
//	POST   /api/v8.1/users                      {name, description, role, password} -> 201 user
//	DELETE /api/v8.1/users/{id}                 -> 204
//	POST   /api/v8.1/users/changePassword       {currentPassword, newPassword} -> 204
//	POST   /api/v8.1/users/{id}/changePassword  {newPassword, adminsPassword} -> 204
//
// {version} is one of the versions table: v1 (the archived v1 reference,
// seed 003: numeric ids, 200 with an empty body) and v8.1 (Veeam's
// published OpenAPI document: string ids, role and type, 204). The handlers
// are the same for every version; a version only changes how ids and users
// are written and what an answer without content is.
//
// The front is thin: it decodes the wire format, calls the core with the
// actor of the bearer token, and writes the core's answer or error. Who may
// act on which user is decided by the core alone; core errors become wire
// errors through one table (wireErrors in errors.go). docs/dialects/veeam.md
// describes the dialect and where mfad differs from Veeam.
package veeam

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/auth"
)

// Dialect is the name of this front in auth.Client and the audit log.
const Dialect = "veeam"

// Profile is Veeam's: a 128-bit secret (26 base32 characters) and 5
// scratch codes of 8 digits, shown when MFA is prepared; enableMfa keeps
// an enabled factor unless it says recreate.
var Profile = auth.Profile{
	SecretSize:   16,
	Scratch:      &mfad.ScratchForm{Count: 5, Length: 8, Alphabet: mfad.Digits},
	KeepEnrolled: true,
}

// version is what differs between the API versions served.
type version struct {
	name      string // as in the path: /api/<name>/
	stringIDs bool   // ids are strings (v8.1: "System ID ... string"), else JSON numbers
	defLimit  int    // page size when the request gives no Limit
	noContent int    // status of an answer without a body
}

// versions are the API versions mfad serves. v1 follows the archived v1
// reference (seed 003; 30 items a page); v8.1 follows Veeam's OpenAPI
// document vbaz_rest_v8.1 (204 No Content; its users examples page by 200).
var versions = []*version{
	{name: "v1", defLimit: 30, noContent: http.StatusOK},
	{name: "v8.1", stringIDs: true, defLimit: 200, noContent: http.StatusNoContent},
}

func (v *version) prefix() string { return "/api/" + v.name }

// handler serves one authenticated route. A returned error is written as a
// problem answer.
type handler func(s *server, v *version, w http.ResponseWriter, r *http.Request, a auth.Actor) error

// routes are the versioned routes, below /api/{version}; each needs a
// bearer token. since names the first version that has the route ("" for
// all): v1 documents no user administration.
var routes = []struct {
	method, path string
	h            handler
	since        string
}{
	{"GET", "/users", (*server).listUsers, ""},
	{"GET", "/users/{id}", (*server).getUser, ""},
	{"POST", "/users/{id}/enableMfa", (*server).enableMFA, ""},
	{"POST", "/users/{id}/acceptMfa", (*server).acceptMFA, ""},
	{"POST", "/users/{id}/disableMfa", (*server).disableMFA, ""},
	{"POST", "/users", (*server).createUser, "v8.1"},
	{"DELETE", "/users/{id}", (*server).deleteUser, "v8.1"},
	{"POST", "/users/changePassword", (*server).changeOwnPassword, "v8.1"},
	{"POST", "/users/{id}/changePassword", (*server).changePassword, "v8.1"},
}

const tokenPath = "/api/oauth2/token"

type server struct {
	svc *auth.Service
	mux *http.ServeMux
}

// New returns the handler of the dialect; mount it at /api/ (more specific
// mounts, such as Cloudreve's /api/v4/, keep their paths). Any other path
// under /api/ is a 404, a known path with another method a 405, both as
// problem details.
func New(svc *auth.Service) http.Handler {
	svc.RegisterProfile(Dialect, Profile)
	s := &server{svc: svc, mux: http.NewServeMux()}
	for i, v := range versions {
		for _, rt := range routes {
			if rt.since == "" || slices.IndexFunc(versions, func(w *version) bool { return w.name == rt.since }) <= i {
				s.mux.Handle(rt.method+" "+v.prefix()+rt.path, s.wrap(v, rt.h))
			}
		}
	}
	s.mux.HandleFunc("POST "+tokenPath, s.token)
	s.mux.HandleFunc("DELETE "+tokenPath, s.logout)
	s.mux.HandleFunc("/api/", s.unrouted)
	return s.mux
}

// wrap limits the body, authenticates the bearer token and writes a
// returned error.
func (s *server) wrap(v *version, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, httpx.MaxBody)
		a, err := s.svc.Authenticate(r.Context(), httpx.Client(r, Dialect), httpx.Bearer(r))
		if err == nil {
			err = h(s, v, w, r, a)
		}
		if err != nil {
			writeProblem(w, r, err)
		}
	})
}

// unrouted answers a request that matched no route: 405 with Allow when
// the path is served for other methods, else 404.
func (s *server) unrouted(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); strings.HasPrefix(pattern, m+" ") {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		writeProblemStatus(w, r, http.StatusNotFound, string(mfad.ENotFound), notFoundDetail(r.URL.Path))
		return
	}
	if slices.Contains(allow, "GET") {
		allow = append(allow, "HEAD")
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeProblemStatus(w, r, http.StatusMethodNotAllowed, "method_not_allowed",
		"method not allowed; allowed: "+strings.Join(allow, ", "))
}

// notFoundDetail says why a path is not served: a client of an API version
// mfad does not serve learns which ones it does.
func notFoundDetail(path string) string {
	seg, _, _ := strings.Cut(strings.TrimPrefix(path, "/api/"), "/")
	if len(seg) < 2 || seg[0] != 'v' || seg[1] < '0' || seg[1] > '9' {
		return "no such endpoint"
	}
	served := make([]string, len(versions))
	for i, v := range versions {
		if v.name == seg {
			return "no such endpoint"
		}
		served[i] = v.name
	}
	return "API version " + seg + " is not served; served: " + strings.Join(served, ", ")
}

// writeJSON writes v as JSON with status. '&', '<' and '>' are written as
// they are (as Veeam does), not as \u0026 and the like: the qrString holds
// '&'.
func writeJSON(w http.ResponseWriter, status int, v any) {
	writeBody(w, status, "application/json; charset=utf-8", v)
}

func writeBody(w http.ResponseWriter, status int, contentType string, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // only our own response types get here; they always encode
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// empty answers an operation without a body: 200 with an empty body in v1
// (as its reference shows for acceptMfa and disableMfa), 204 in v8.1.
func empty(w http.ResponseWriter, status int) {
	w.Header().Set("Cache-Control", "no-store")
	if status != http.StatusNoContent {
		w.Header().Set("Content-Length", "0")
	}
	w.WriteHeader(status)
}
