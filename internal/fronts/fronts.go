// Package fronts is the registry of mfad's fronts: every API dialect and
// the web page, with where it is mounted, how it is made, and how it
// answers the core's errors. The server's wiring, the metrics' dialect
// label, the check that every error code has a wire form in every front,
// the import rules and the one-core-call check all read this table, so a
// new front is its package plus one entry here (docs/adding-a-dialect.md).
package fronts

import (
	"net/http"
	"strings"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/cloudreve"
	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/api/rest"
	"github.com/mfad/mfad/api/tchmi"
	"github.com/mfad/mfad/api/veeam"
	"github.com/mfad/mfad/api/zimbra"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/web"
)

// Deps is what a front's constructor may use: the core, and the
// operator's settings that concern browsers.
type Deps struct {
	Svc          *auth.Service
	CORSOrigins  []string // pages of these origins may call the Cloudreve API (--cors-origins)
	TchmiOrigins []string // pages of these origins may use the TwinCAT WebSocket and /Login
	PublicHosts  []string // host names browsers reach mfad by (DNS rebinding)
}

// Front is one entry of the registry.
type Front struct {
	Name    string // the dialect: audit events, metrics labels, profiles
	Package string // its package, relative to the module ("api/rest")
	// Routes are the ServeMux patterns it is mounted on.
	Routes []string
	// Paths are the path prefixes whose requests metrics count as this
	// front's: a path equal to one or below it ("/" alone means exactly
	// "/"). A front whose routes catch more (Veeam's "/api/") lists only
	// what is its own here.
	Paths []string
	// New makes its handler; it registers the front's profile with the
	// core (auth.Service.RegisterProfile).
	New func(Deps) http.Handler
	// Errors is its wire form of every core error code (mfad.Codes).
	Errors func() map[mfad.Code]string
	// Profile is what the front asks of the core where products differ
	// (nil: the core's defaults).
	Profile *auth.Profile
}

// All is every front, in the order they are mounted.
var All = []Front{
	{Name: rest.Dialect, Package: "api/rest", Routes: []string{"/v1/"}, Paths: []string{"/v1"},
		New: func(d Deps) http.Handler { return rest.New(d.Svc) }, Errors: rest.WireErrors, Profile: &rest.Profile},
	{Name: cloudreve.Dialect, Package: "api/cloudreve", Routes: []string{"/api/v4/"}, Paths: []string{"/api/v4"},
		New: func(d Deps) http.Handler {
			return httpx.CORS(d.CORSOrigins, cloudreve.New(d.Svc))
		}, Errors: cloudreve.WireErrors, Profile: &cloudreve.Profile},
	// Every other path under /api/ answers Veeam's problem JSON.
	{Name: veeam.Dialect, Package: "api/veeam", Routes: []string{"/api/"}, Paths: []string{"/api/v1", "/api/v8.1", "/api/oauth2"},
		New: func(d Deps) http.Handler { return veeam.New(d.Svc) }, Errors: veeam.WireErrors, Profile: &veeam.Profile},
	{Name: zimbra.Dialect, Package: "api/zimbra",
		Routes: []string{"/service/soap", "/service/soap/", "/service/admin/soap", "/service/admin/soap/"}, Paths: []string{"/service"},
		New: func(d Deps) http.Handler { return zimbra.New(d.Svc) }, Errors: zimbra.WireErrors, Profile: &zimbra.Profile},
	{Name: "web", Package: "web", Routes: []string{"/ui/"}, Paths: []string{"/ui"},
		New: func(d Deps) http.Handler { return web.New(d.Svc) }, Errors: web.WireErrors},
	// The TwinCAT WebSocket is "/" itself; a plain GET of "/" goes to /ui/.
	{Name: tchmi.Dialect, Package: "api/tchmi", Routes: []string{"/{$}", "/Login", "/Logout"}, Paths: []string{"/", "/Login", "/Logout"},
		New: func(d Deps) http.Handler {
			return tchmi.NewHandler(d.Svc, tchmi.Options{OriginPatterns: d.TchmiOrigins, PublicHosts: d.PublicHosts})
		}, Errors: tchmi.WireErrors, Profile: &tchmi.Profile},
}

// Mount makes every front and mounts it on mux.
func Mount(mux *http.ServeMux, d Deps) {
	for _, f := range All {
		h := f.New(d)
		for _, r := range f.Routes {
			mux.Handle(r, h)
		}
	}
}

// opsPaths are the server's own endpoints, labelled "ops".
var opsPaths = []string{"/healthz", "/readyz", "/metrics"}

// Dialect names the front a request path belongs to, for the metrics'
// dialect label: the front whose Paths hold it, "ops" for the server's own
// endpoints, "other" for anything else.
func Dialect(path string) string {
	for _, f := range All {
		for _, p := range f.Paths {
			if path == p || (p != "/" && strings.HasPrefix(path, p+"/")) || (p == "/" && path == "") {
				return f.Name
			}
		}
	}
	for _, p := range opsPaths {
		if path == p {
			return "ops"
		}
	}
	return "other"
}

// Packages are the fronts' packages, relative to the module.
func Packages() []string {
	out := make([]string, len(All))
	for i, f := range All {
		out[i] = f.Package
	}
	return out
}
