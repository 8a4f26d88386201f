// Package rest is mfad's native JSON API under /v1/. It decodes requests,
// calls the core service (package auth) and encodes its answers and errors;
// every rule about who may do what stays in the core.
//
// The routes are one table (Routes), used both to register the handlers and
// by the test that holds the OpenAPI document (openapi.json, served at
// /v1/openapi.json) against them.
package rest

import (
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/auth"
)

// Dialect is the name of this front in auth.Client and the audit log.
const Dialect = "rest"

// Profile is the native API's profile: mfad's defaults, and turning 2FA
// off needs the password as well as a code (docs/architecture.md §1.7).
var Profile = auth.Profile{PasswordToDisable: true}

// Route is one registered route: a method and a path pattern in the syntax
// of net/http.ServeMux, which is also OpenAPI's path template syntax.
type Route struct {
	Method string
	Path   string
	Public bool // needs no bearer token
}

// handler serves one route. a is the authenticated actor, or for a public
// route the anonymous actor of the client. A returned error is written as
// the JSON error of its code.
type handler func(s *server, w http.ResponseWriter, r *http.Request, a auth.Actor) error

type route struct {
	Route
	h handler
}

// ownAuth holds the routes whose handler authenticates the bearer token
// in its own core call, in the same transaction as its work (issue 17).
var ownAuth = map[string]bool{"POST /v1/me/verify": true}

// routes is the route table. {id} is a user id or "me" (the actor's own).
var routes = []route{
	{Route{"GET", "/v1/openapi.json", true}, (*server).openAPI},

	// session.go
	{Route{"POST", "/v1/login", true}, (*server).login},
	{Route{"POST", "/v1/login/second-factor", true}, (*server).secondFactor},
	{Route{"POST", "/v1/token/refresh", true}, (*server).refresh},
	{Route{"POST", "/v1/logout", false}, (*server).logout},
	{Route{"GET", "/v1/me", false}, (*server).me},
	{Route{"POST", "/v1/me/verify", false}, (*server).verify},

	// users.go
	{Route{"GET", "/v1/users", false}, (*server).listUsers},
	{Route{"POST", "/v1/users", false}, (*server).createUser},
	{Route{"GET", "/v1/users/{id}", false}, (*server).getUser},
	{Route{"DELETE", "/v1/users/{id}", false}, (*server).deleteUser},
	{Route{"PUT", "/v1/users/{id}/password", false}, (*server).changePassword},

	// twofactor.go
	{Route{"GET", "/v1/users/{id}/2fa", false}, (*server).status},
	{Route{"POST", "/v1/users/{id}/2fa/prepare", false}, (*server).prepare},
	{Route{"POST", "/v1/users/{id}/2fa/confirm", false}, (*server).confirm},
	{Route{"POST", "/v1/users/{id}/2fa/disable", false}, (*server).disable},
	{Route{"POST", "/v1/users/{id}/2fa/reset", false}, (*server).reset},
	{Route{"POST", "/v1/users/{id}/2fa/unlock", false}, (*server).unlock},
	{Route{"POST", "/v1/users/{id}/2fa/scratch-codes/view", false}, (*server).viewScratch},
	{Route{"POST", "/v1/users/{id}/2fa/scratch-codes", false}, (*server).regenerateScratch},

	// devices.go
	{Route{"GET", "/v1/users/{id}/trusted-devices", false}, (*server).listDevices},
	{Route{"DELETE", "/v1/users/{id}/trusted-devices/{device_id}", false}, (*server).revokeDevice},
	{Route{"GET", "/v1/users/{id}/app-passwords", false}, (*server).listAppPasswords},
	{Route{"POST", "/v1/users/{id}/app-passwords", false}, (*server).createAppPassword},
	{Route{"DELETE", "/v1/users/{id}/app-passwords/{name}", false}, (*server).revokeAppPassword},

	// admin.go
	{Route{"POST", "/v1/protocol-auth", false}, (*server).protocolAuth},
	{Route{"GET", "/v1/policy", false}, (*server).getPolicy},
	{Route{"PUT", "/v1/policy", false}, (*server).setPolicy},
	{Route{"GET", "/v1/audit", false}, (*server).audit},
	{Route{"GET", "/v1/notifications", false}, (*server).notifications},
	{Route{"GET", "/v1/users/{id}/notification-settings", false}, (*server).getNotifySettings},
	{Route{"PUT", "/v1/users/{id}/notification-settings", false}, (*server).setNotifySettings},
}

// Routes returns the route table.
func Routes() []Route {
	out := make([]Route, len(routes))
	for i, rt := range routes {
		out[i] = rt.Route
	}
	return out
}

type server struct {
	svc *auth.Service
	mux *http.ServeMux
}

// New returns the handler of every /v1/ route; mount it with
// mux.Handle("/v1/", h). Any other path under /v1/ is a JSON 404, a known
// path with another method a JSON 405.
func New(svc *auth.Service) http.Handler {
	svc.RegisterProfile(Dialect, Profile)
	s := &server{svc: svc, mux: http.NewServeMux()}
	for _, rt := range routes {
		s.mux.Handle(rt.Method+" "+rt.Path, s.wrap(rt))
	}
	s.mux.HandleFunc("/v1/", s.unrouted)
	return s.mux
}

// wrap limits the body, authenticates the bearer token of a non-public
// route and writes a returned error.
func (s *server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, httpx.MaxBody)
		if !jsonBody(r) {
			unsupportedMediaType(w)
			return
		}
		a := auth.Anonymous(httpx.Client(r, Dialect))
		if !rt.Public && !ownAuth[rt.Method+" "+rt.Path] {
			var err error
			if a, err = s.svc.Authenticate(r.Context(), a.Client(), httpx.Bearer(r)); err != nil {
				writeError(w, r, err)
				return
			}
		}
		if err := rt.h(s, w, r, a); err != nil {
			writeError(w, r, err)
		}
	})
}

// jsonBody reports whether r's body, if it has one, is declared JSON:
// application/json with at most a charset of UTF-8. A body of another type
// (text/plain, a form) or of no declared type is what a browser may send
// cross-origin without asking first, so the native API refuses it (issue
// 14); a request without a body and without a Content-Type passes.
func jsonBody(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return r.ContentLength == 0
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return false
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return false
		}
	}
	return true
}

// userID returns the {id} of the path: a positive decimal id, or "me" for
// the actor's own.
func userID(r *http.Request, a auth.Actor) (int64, error) {
	v := r.PathValue("id")
	if v == "me" {
		return a.UserID(), nil
	}
	id, err := parseID(v)
	if err != nil {
		return 0, mfad.Errorf(mfad.EInvalidInput, "user id in the path must be a positive integer or \"me\"")
	}
	return id, nil
}

// parseID parses a positive decimal id of at most 18 digits, without sign.
func parseID(v string) (int64, error) {
	if v == "" || len(v) > 18 {
		return 0, strconv.ErrRange
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err == nil && id <= 0 {
		err = strconv.ErrRange
	}
	return id, err
}

// decode decodes a required JSON object body strictly.
func decode(r *http.Request, v any) error { return httpx.DecodeJSON(r, v) }

// decodeOptional decodes a JSON object body that may be absent.
func decodeOptional(r *http.Request, v any) error { return httpx.DecodeOptionalJSON(r, v) }

// require returns EInvalidInput naming the first empty field.
func require(fields ...string) error {
	for i := 0; i+1 < len(fields); i += 2 {
		if fields[i+1] == "" {
			return mfad.Errorf(mfad.EInvalidInput, "%s is required", fields[i])
		}
	}
	return nil
}

func noContent(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	httpx.WriteJSON(w, status, v)
	return nil
}
