// Package web is mfad's web page under /ui/: log in (with the second factor
// when it is on), turn two-factor authentication on by scanning a QR code,
// see the scratch codes once, make new ones, turn it off, and, for whoever
// the core lets, administer users. Templates and static files are embedded;
// every decision is the core's (package auth): the pages only ask it and
// show its answers.
//
// Security defaults: the session is the core's access token in an HttpOnly,
// SameSite=Lax cookie (Secure under TLS) limited to /ui/, refreshed with the
// refresh token in its own cookie; every form carries a CSRF token derived
// from the session token (a double-submit cookie before login); the
// Content-Security-Policy allows no inline script or style; no secret ever
// goes into a URL; every page is Cache-Control: no-store.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/otp"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Prefix is where the pages are mounted.
const Prefix = "/ui/"

// dialect is the name of this front in audit events and auth.Client.
const dialect = "web"

// profile is the page's: mfad's defaults, and turning 2FA off needs the
// password as well as a code.
var profile = auth.Profile{PasswordToDisable: true}

// CSP is the Content-Security-Policy of every answer: no inline script or
// style, images from here or data: URLs (the QR code), no framing.
const CSP = "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// maxForm bounds a form body (docs/architecture.md §2), also when the handler is used
// without httpx.Wrap.
const maxForm = 64 << 10

type handler struct {
	svc    *auth.Service
	log    *slog.Logger
	pages  map[string]*template.Template
	static map[string]string // file name -> URL with a content hash
}

// New returns the handler of the pages under /ui/.
func New(svc *auth.Service) http.Handler {
	svc.RegisterProfile(dialect, profile)
	h := &handler{svc: svc, log: slog.Default(), static: map[string]string{}}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	entries, err := fs.ReadDir(sub, ".")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(sub, e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		h.static[e.Name()] = Prefix + "static/" + e.Name() + "?v=" + hex.EncodeToString(sum[:6])
	}
	h.pages = parsePages(h)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /ui/{$}", h.home)
	mux.HandleFunc("GET /ui/login", h.loginPage)
	mux.HandleFunc("POST /ui/login", h.loginPost)
	mux.HandleFunc("GET /ui/login/code", h.codePage)
	mux.HandleFunc("POST /ui/login/code", h.codePost)
	mux.HandleFunc("POST /ui/logout", h.authed(h.logout))
	mux.HandleFunc("GET /ui/security", h.authed(h.security))
	mux.HandleFunc("POST /ui/security/enable", h.authed(h.enable))
	mux.HandleFunc("POST /ui/security/confirm", h.authed(h.confirm))
	mux.HandleFunc("POST /ui/security/scratch", h.authed(h.regenerate))
	mux.HandleFunc("GET /ui/security/codes", h.authed(h.codesPage))
	mux.HandleFunc("POST /ui/security/disable", h.authed(h.disable))
	mux.HandleFunc("GET /ui/admin", h.authed(h.admin))
	mux.HandleFunc("POST /ui/admin/users", h.authed(h.createUser))
	mux.HandleFunc("POST /ui/admin/reset", h.authed(h.resetUser))
	mux.HandleFunc("POST /ui/admin/unlock", h.authed(h.unlockUser))
	files := http.StripPrefix(Prefix+"static/", http.FileServerFS(sub))
	mux.Handle("GET /ui/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			h.notFound(w, r)
			return
		}
		// The URLs carry a content hash, so a file may be kept a long time.
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		files.ServeHTTP(w, r)
	}))
	mux.HandleFunc("/ui/", h.notFound)

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.render(w, r, http.StatusForbidden, "error", &view{Title: "Request refused",
			Error: "This form was sent from another site, so it was refused."})
	}))
	return secure(cop.Handler(mux))
}

// secure sets the headers every answer gets.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", CSP)
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		if r.TLS != nil {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		}
		next.ServeHTTP(w, r)
	})
}

// view is what every template gets.
type view struct {
	Title   string
	Nav     string // "security" or "admin": the current section
	Wide    bool
	CSRF    string
	User    *auth.UserInfo // nil when logged out
	Admin   bool           // the core lets this user administer
	Error   string
	RetryAt time.Time // the time Error names (a lockout's end), shown in local time
	Notice  string

	Login   string // the name typed at login, kept after an error
	Field   string // the field an error is about, for aria-invalid
	Status  *auth.Status
	Choices *auth.OTPChoices // what the operator lets users choose at enrollment; nil: nothing
	Enroll  *enrollView
	Codes   []string
	Users   []auth.UserInfo
	Total   int
	Prev    int // offsets of the previous and next pages of users; -1: none
	Next    int
	Events  []eventView
	Target  *auth.UserInfo // the user an admin action is about
	NewUser newUserForm
	Listed  bool // the core let the actor list the users
}

// Inline reports whether the error belongs next to its field in a form of
// the page (the security page's own forms) rather than at the top.
func (v *view) Inline() bool {
	switch v.Field {
	case "off-code", "off-password", "scratch-code":
		return v.Error != ""
	}
	return false
}

type newUserForm struct {
	Name, Email, Role string
}

type enrollView struct {
	QR      template.URL // a data: URL of the PNG (or SVG) QR code
	Link    template.URL // the otpauth:// URI, checked, for a tap on the phone
	Groups  []string     // the secret in groups of four
	Secret  string
	URI     string
	Token   string
	Expires time.Time
	Key     otp.Key // the URI's algorithm, digits and period (not its secret), to say what the app must use
}

type eventView struct {
	Time                       time.Time
	Actor, User                string
	Action, Result, Addr, Dial string
	Detail                     string
}

var pageNames = []string{"login", "code", "security", "enroll", "scratch", "admin", "reset", "error"}

func parsePages(h *handler) map[string]*template.Template {
	funcs := template.FuncMap{
		"static":    func(name string) string { return h.static[name] },
		"when":      func(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") },
		"iso":       func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"stamp":     func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") },
		"errorHTML": errorHTML,
		"drift":     auth.DriftText,
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return one
			}
			return many
		},
	}
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		out[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return out
}

// clockUTC finds the time of day a message names ("at 15:04:05 UTC").
var clockUTC = regexp.MustCompile(`\d\d:\d\d:\d\d UTC`)

// errorHTML is a view's error message, with the time it names marked up as
// a <time> that the page's script shows in the browser's time zone.
func errorHTML(v *view) template.HTML {
	msg := template.HTMLEscapeString(v.Error)
	if v.RetryAt.IsZero() {
		return template.HTML(msg)
	}
	iso := v.RetryAt.UTC().Format(time.RFC3339)
	return template.HTML(clockUTC.ReplaceAllStringFunc(msg, func(c string) string {
		return `<time datetime="` + iso + `" data-clock>` + c + `</time>`
	}))
}

// render writes a page with status. It is rendered into a buffer first, so
// a template error becomes a clean 500.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	var buf bytes.Buffer
	if err := h.pages[page].ExecuteTemplate(&buf, "layout", v); err != nil {
		h.log.Error("web: rendering a page", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusNotFound, "error", &view{Title: "Page not found", Error: "There is no page at this address."})
}

// redirect answers a form with 303 See Other. Locations never carry a
// secret: only fixed message keys.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (h *handler) home(w http.ResponseWriter, r *http.Request) {
	if _, err := h.session(w, r); err == nil {
		redirect(w, r, Prefix+"security")
		return
	}
	redirect(w, r, Prefix+"login")
}
