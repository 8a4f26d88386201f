// Package veeam is mfad's Veeam Backup for Microsoft Azure dialect: the
// REST calls a Veeam client makes to sign in and to turn multi-factor
// authentication on and off, answered by the core service (package auth).
//
// Routes (mounted at both /api/v1/ and /api/oauth2/):
//
//	POST /api/oauth2/token                  grant_type Password, Mfa, Refresh_token (form-encoded)
//	GET  /api/v1/users                      {offset, limit, totalCount, results, _links}
//	GET  /api/v1/users/{id}                 one user
//	POST /api/v1/users/{id}/enableMfa       {recreate} -> {userId, qrString, secretKey, scratchCodes, token}
//	POST /api/v1/users/{id}/acceptMfa       {code, token} -> 200, empty body
//	POST /api/v1/users/{id}/disableMfa      no body -> 200, empty body
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
	"strconv"
	"strings"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/auth"
)

// Dialect is the name of this front in auth.Client and the audit log.
const Dialect = "veeam"

// The profile of Veeam's enrollment: a 128-bit secret (26 base32
// characters) and 5 scratch codes of 8 digits, shown when MFA is prepared.
const secretSize = 16

var scratchForm = mfad.ScratchForm{Count: 5, Length: 8, Alphabet: mfad.Digits}

// handler serves one authenticated route. A returned error is written as a
// problem answer.
type handler func(s *server, w http.ResponseWriter, r *http.Request, a auth.Actor) error

type route struct {
	method, path string
	h            handler
}

// routes are the /api/v1 routes; each needs a bearer token.
var routes = []route{
	{"GET", "/api/v1/users", (*server).listUsers},
	{"GET", "/api/v1/users/{id}", (*server).getUser},
	{"POST", "/api/v1/users/{id}/enableMfa", (*server).enableMFA},
	{"POST", "/api/v1/users/{id}/acceptMfa", (*server).acceptMFA},
	{"POST", "/api/v1/users/{id}/disableMfa", (*server).disableMFA},
}

const tokenPath = "/api/oauth2/token"

type server struct {
	svc *auth.Service
	mux *http.ServeMux
}

// New returns the handler of the dialect; mount it at /api/v1/ and at
// /api/oauth2/. Any other path under those is a 404, a known path with
// another method a 405.
func New(svc *auth.Service) http.Handler {
	s := &server{svc: svc, mux: http.NewServeMux()}
	for _, rt := range routes {
		s.mux.Handle(rt.method+" "+rt.path, s.wrap(rt.h))
	}
	s.mux.HandleFunc("POST "+tokenPath, s.token)
	s.mux.HandleFunc("/api/v1/", s.unrouted)
	s.mux.HandleFunc("/api/oauth2/", s.unrouted)
	return s.mux
}

// wrap limits the body, authenticates the bearer token and writes a
// returned error.
func (s *server) wrap(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, httpx.MaxBody)
		a, err := s.svc.Authenticate(r.Context(), httpx.Client(r, Dialect), httpx.Bearer(r))
		if err == nil {
			err = h(s, w, r, a)
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
	status, msg := http.StatusNotFound, "no such endpoint"
	if len(allow) > 0 {
		if slices.Contains(allow, "GET") {
			allow = append(allow, "HEAD")
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		status, msg = http.StatusMethodNotAllowed, "method not allowed; allowed: "+strings.Join(allow, ", ")
	}
	if strings.HasPrefix(r.URL.Path, "/api/oauth2/") {
		writeOAuth(w, status, oauthError{Error: "invalid_request", Description: msg})
		return
	}
	writeProblemStatus(w, status, codeOf(status), msg)
}

// codeOf names a routing failure in the errorCode of a problem answer.
func codeOf(status int) string {
	if status == http.StatusMethodNotAllowed {
		return "method_not_allowed"
	}
	return string(mfad.ENotFound)
}

// userID returns the {id} of the path: a positive decimal id.
func userID(r *http.Request) (int64, error) {
	v := r.PathValue("id")
	bad := mfad.Errorf(mfad.EInvalidInput, "user id in the path must be a positive integer")
	if v == "" || len(v) > 18 {
		return 0, bad
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, bad
		}
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, bad
	}
	return id, nil
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

// empty answers 200 with an empty body, as Veeam does for acceptMfa and
// disableMfa.
func empty(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}
