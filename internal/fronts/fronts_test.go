package fronts_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/internal/coretest"
	"github.com/mfad/mfad/internal/fronts"
)

// TestDialect: the metrics' dialect label of a path, from the registry.
func TestDialect(t *testing.T) {
	for path, want := range map[string]string{
		"/v1/login":                 "rest",
		"/v1":                       "rest",
		"/v10/x":                    "other",
		"/api/v4/session/token":     "cloudreve",
		"/api/v1/users/1/enableMfa": "veeam",
		"/api/oauth2/token":         "veeam",
		"/api/v8.1/users":           "veeam",
		"/service/soap":             "zimbra",
		"/service/admin/soap/Auth":  "zimbra",
		"/ui/":                      "web",
		"/ui/login":                 "web",
		"/":                         "tchmi",
		"/Login":                    "tchmi",
		"/Logout":                   "tchmi",
		"/healthz":                  "ops",
		"/readyz":                   "ops",
		"/metrics":                  "ops",
		"/favicon.ico":              "other",
		"/api/v2/x":                 "other",
		"/uix":                      "other",
		"/debug/clock":              "other",
	} {
		if got := fronts.Dialect(path); got != want {
			t.Errorf("Dialect(%q) = %q, want %q", path, got, want)
		}
	}
}

// TestRegistry: every front has a unique name, its routes are mounted and
// are the ones that serve them, its paths are labelled with its name, and
// its error table covers every core code (see also
// TestEveryCodeHasAWireForm at the module root).
func TestRegistry(t *testing.T) {
	core := coretest.New(t, coretest.Options{})
	mux := http.NewServeMux()
	fronts.Mount(mux, fronts.Deps{Svc: core.Svc})
	seen := map[string]bool{}
	for _, f := range fronts.All {
		if seen[f.Name] || f.Name == "" || f.Package == "" || len(f.Routes) == 0 || len(f.Paths) == 0 || f.New == nil || f.Errors == nil {
			t.Errorf("front %+v: a name of its own, a package, routes, paths, a constructor and an error table are required", f.Name)
		}
		seen[f.Name] = true
		for _, r := range f.Routes {
			path := r
			if path == "/{$}" {
				path = "/"
			}
			if _, pattern := mux.Handler(httptest.NewRequest(http.MethodPost, path, nil)); pattern != r {
				t.Errorf("%s: %s is served by %q", f.Name, path, pattern)
			}
		}
		for _, p := range f.Paths {
			if got := fronts.Dialect(p); got != f.Name {
				t.Errorf("%s: Dialect(%q) = %q", f.Name, p, got)
			}
		}
		for _, c := range mfad.Codes() {
			if f.Errors()[c] == "" {
				t.Errorf("%s: no wire form of %s", f.Name, c)
			}
		}
	}
}
