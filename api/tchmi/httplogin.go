package tchmi

import (
	"html/template"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/auth"
)

// The HTTP side of the dialect: the login page and its POST, and the
// logout, as the TwinCAT HMI server offers them at /Login and /Logout. A
// login answers with TwinCAT's session cookie, sessionId-<serverId>, which
// the browser then sends with every WebSocket upgrade: a page that logged
// in once opens further sockets without credentials.

// httpLogin is what a POST /Login carries, as a form or as JSON, under the
// names of the Login symbol's writeValue.
type httpLogin struct {
	UserName       string `json:"userName"`
	Password       string `json:"password"`
	TwoFactorToken string `json:"twoFactorToken"`
	Persistent     bool   `json:"persistent"`
}

func (h *Handler) serveLogin(w http.ResponseWriter, r *http.Request) {
	if !h.fromAllowedPage(w, r) {
		return
	}
	switch r.Method {
	case http.MethodOptions:
		w.WriteHeader(http.StatusNoContent)
	case http.MethodGet, http.MethodHead:
		h.loginPage(w, r, http.StatusOK, "", false)
	case http.MethodPost:
		h.postLogin(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST, OPTIONS")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// fromAllowedPage refuses (403) a request from a page the dialect does not
// serve, and lets an allowed page of another origin read the answer.
func (h *Handler) fromAllowedPage(w http.ResponseWriter, r *http.Request) bool {
	if err := h.opts.checkOrigin(r); err != nil {
		slog.Debug("tchmi: request from a page refused", "request_id", httpx.RequestID(r.Context()), "err", err)
		http.Error(w, "forbidden: "+err.Error(), http.StatusForbidden)
		return false
	}
	h.opts.corsHeaders(w, r)
	return true
}

// postLogin is one core Login: the password, the code when the user has
// 2FA on (the policy decides, as for every login), and the session the
// browser's cookie held before, which the new one replaces.
func (h *Handler) postLogin(w http.ResponseWriter, r *http.Request) {
	asJSON := isJSON(r)
	in, err := readLogin(r, asJSON)
	if err == nil {
		req := auth.LoginRequest{Login: in.UserName, Password: in.Password, Code: in.TwoFactorToken,
			Persistent: in.Persistent, Replace: h.cookie(r)}
		var res *auth.LoginResult
		res, err = h.svc.Login(r.Context(), httpx.Client(r, Dialect), req)
		if err == nil && res.Tokens == nil {
			err = mfad.Errorf(mfad.EStepUp, "two-factor authentication is on: send the code as twoFactorToken")
		}
		if err == nil {
			h.setCookie(w, r, res.Tokens, in.Persistent)
			if asJSON {
				httpx.WriteJSON(w, http.StatusOK, map[string]string{"sessionId": res.Tokens.Access, "serverId": h.opts.ServerID})
				return
			}
			http.Redirect(w, r, localPath(r.URL.Query().Get("Location")), http.StatusSeeOther)
			return
		}
	}
	status := httpStatus(err)
	httpx.RetryAfter(w, err)
	if asJSON {
		httpx.WriteJSON(w, status, ErrorFrame{Error: ErrorOf(err, true)})
		return
	}
	e := ErrorOf(err, true)
	h.loginPage(w, r, status, e.Reason, e.Code == CodeTokenRequired || e.Code == CodeInvalidToken)
}

func isJSON(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/json"
}

func readLogin(r *http.Request, asJSON bool) (httpLogin, error) {
	var in httpLogin
	if asJSON {
		return in, httpx.DecodeJSON(r, &in)
	}
	if err := r.ParseForm(); err != nil {
		return in, mfad.Errorf(mfad.EInvalidInput, "malformed form")
	}
	in.UserName, in.Password = r.PostForm.Get("userName"), r.PostForm.Get("password")
	in.TwoFactorToken = r.PostForm.Get("twoFactorToken")
	switch strings.ToLower(r.PostForm.Get("persistent")) {
	case "on", "true", "1":
		in.Persistent = true
	}
	return in, nil
}

// httpStatus is the HTTP status of a refused login; the body carries the
// TcHmi error object of the error table.
func httpStatus(err error) int {
	switch mfad.ErrorCode(err) {
	case mfad.EInvalidInput:
		return http.StatusBadRequest
	case mfad.EInvalidLogin, mfad.EStepUp, mfad.EInvalidCode, mfad.EUnauthenticated:
		return http.StatusUnauthorized
	case mfad.ELocked, mfad.EThrottled, mfad.EBusy:
		return http.StatusTooManyRequests
	case mfad.EForbidden, mfad.EPolicy:
		return http.StatusForbidden
	case mfad.EInternal:
		return http.StatusInternalServerError
	case mfad.EUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusConflict
}

// localPath is where a login form goes on success: the Location it names,
// if that is a path on this server (never another site), else "/". A
// browser's URL parser (WHATWG) drops tabs and newlines and reads a
// backslash as a slash, so "/\t/evil.com" and "/\\evil.com" are
// "//evil.com", another origin: a path with a control character or a
// backslash anywhere is refused, as is one that a URL parser reads with a
// scheme or a host.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return "/"
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	if u, err := url.Parse(p); err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	return p
}

// cookieName is TwinCAT's session cookie, sessionId-<serverId>.
func (o Options) cookieName() string { return "sessionId-" + o.ServerID }

// cookie returns the session id the request's cookie carries, or "".
func (h *Handler) cookie(r *http.Request) string {
	c, err := r.Cookie(h.opts.cookieName())
	if err != nil {
		return ""
	}
	return c.Value
}

// setCookie sets the session cookie: HttpOnly (scripts never see the
// session id), path /, for the browser session unless the login is
// persistent. Over HTTPS it is Secure and SameSite=None, so that an HMI
// page of another site (an allowed origin) may use it; over plain HTTP it
// is SameSite=Lax: pages of the same site only.
func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, t *auth.Tokens, persistent bool) {
	c := &http.Cookie{Name: h.opts.cookieName(), Value: t.Access, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}
	if r.TLS != nil {
		c.Secure, c.SameSite = true, http.SameSiteNoneMode
	}
	if persistent {
		c.MaxAge = int(t.RefreshExpires.Sub(h.svc.Now()) / time.Second)
		if c.MaxAge <= 0 {
			c.MaxAge = 1
		}
	}
	http.SetCookie(w, c)
}

// serveLogout is /Logout: the cookie's session ends (one core call) and the
// cookie is cleared; a GET (a link, as TwinCAT's pages use) goes on to the
// login page.
func (h *Handler) serveLogout(w http.ResponseWriter, r *http.Request) {
	if !h.fromAllowedPage(w, r) {
		return
	}
	switch r.Method {
	case http.MethodOptions:
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, HEAD, POST, OPTIONS")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	// A navigation from another site (a link or an image on a page the
	// user visits) does not end the session: it gets a page that asks.
	// Beckhoff's own pages log out with a link, which is same-origin; a
	// browser that sends no Sec-Fetch-Site is answered as before.
	if r.Method != http.MethodPost && r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		logoutPage(w, r)
		return
	}
	if tok := h.cookie(r); tok != "" {
		err := h.svc.Logout(r.Context(), httpx.Client(r, Dialect), auth.LogoutRequest{Access: tok})
		if err != nil && mfad.ErrorCode(err) != mfad.EUnauthenticated {
			httpx.WriteJSON(w, httpStatus(err), ErrorFrame{Error: ErrorOf(err, true)})
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: h.opts.cookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true})
	if r.Method == http.MethodPost {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" {
			http.Redirect(w, r, "/Login", http.StatusSeeOther) // the logout page's button
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, "/Login", http.StatusFound)
}

var logoutTmpl = template.Must(template.New("logout").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log out</title></head>
<body><main><h1>Log out?</h1>
<p>Another site sent you here to log out. You are still logged in.</p>
<form method="post" action="/Logout"><p><button type="submit">Log out</button></p></form>
</main></body></html>
`))

// logoutPage asks before logging out (a cross-site GET /Logout). It may
// not be framed, so no other site can make the button a click of its own.
func logoutPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; form-action 'self'; frame-ancestors 'none'")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_ = logoutTmpl.Execute(w, nil)
	}
}

var loginTmpl = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in</title></head>
<body><main><h1>Log in</h1>
{{if .Error}}<p role="alert">{{.Error}}</p>{{end}}
<form method="post" action="/Login{{if .Location}}?Location={{.Location}}{{end}}">
<p><label>User name <input name="userName" autocomplete="username" required value="{{.UserName}}"></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
{{if .Code}}<p><label>Authenticator code <input name="twoFactorToken" inputmode="numeric" autocomplete="one-time-code" required autofocus></label></p>{{end}}
<p><label><input name="persistent" type="checkbox" value="true"> Stay logged in</label></p>
<p><button type="submit">Log in</button></p>
</form></main></body></html>
`))

// loginPage answers the login form; code shows the field for the second
// factor (after the server asked for it).
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request, status int, msg string, code bool) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; form-action 'self'; frame-ancestors 'none'")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	loc := r.URL.Query().Get("Location")
	if localPath(loc) != loc {
		loc = ""
	}
	_ = loginTmpl.Execute(w, map[string]any{"Error": msg, "Code": code, "UserName": r.PostFormValue("userName"), "Location": loc})
}
