package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/auth"
)

// Cookies, all HttpOnly, SameSite=Lax, Path=/ui/ and Secure under TLS.
const (
	cookieSession = "mfad_session" // the core's access token
	cookieRefresh = "mfad_refresh" // the core's refresh token
	cookieTicket  = "mfad_ticket"  // the login ticket between the password and the code
	cookieCSRF    = "mfad_csrf"    // the double-submit token of the forms before login
)

func (h *handler) client(r *http.Request) auth.Client { return httpx.Client(r, dialect) }

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, life time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: Prefix, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil}
	switch {
	case life > 0:
		c.MaxAge = int((life + time.Second - 1) / time.Second)
	case life < 0:
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

func clearCookie(w http.ResponseWriter, r *http.Request, name string) { setCookie(w, r, name, "", -1) }

func cookie(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// until is how long a cookie for something that expires at t must live,
// judged by the core's clock (the browser's may differ).
func (h *handler) until(t time.Time) time.Duration {
	d := t.Sub(h.svc.Now())
	if d < time.Second {
		d = time.Second
	}
	return d
}

func (h *handler) setSession(w http.ResponseWriter, r *http.Request, t *auth.Tokens) {
	// The access cookie lives as long as the refresh token, so that an
	// expired access token comes back and can be refreshed.
	setCookie(w, r, cookieSession, t.Access, h.until(t.RefreshExpires))
	setCookie(w, r, cookieRefresh, t.Refresh, h.until(t.RefreshExpires))
}

func clearSession(w http.ResponseWriter, r *http.Request) {
	clearCookie(w, r, cookieSession)
	clearCookie(w, r, cookieRefresh)
}

// CSRFToken is the CSRF token of the forms of a session: a MAC of a fixed
// text under a key derived from the session's access token. It needs no
// server state, so it works across instances, and only the holder of the
// session token (which the HttpOnly cookie keeps from scripts and other
// sites) can know it.
func CSRFToken(sessionToken string) string {
	key := sha256.Sum256([]byte("mfad web csrf" + sessionToken))
	m := hmac.New(sha256.New, key[:])
	m.Write([]byte("csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func equal(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// preCSRF returns the double-submit token of the forms before login,
// setting its cookie when there is none.
func preCSRF(w http.ResponseWriter, r *http.Request) string {
	if v := cookie(r, cookieCSRF); len(v) >= 32 {
		return v
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	setCookie(w, r, cookieCSRF, v, 0)
	return v
}

// checkPreCSRF checks a form before login: the token in the form must equal
// the one in the cookie.
func checkPreCSRF(r *http.Request) bool {
	return equal(r.PostFormValue("csrf"), cookie(r, cookieCSRF))
}

// session is a logged-in request.
type session struct {
	actor auth.Actor
	token string // the access token in force now (after a refresh, the new one)
}

func (s *session) csrf() string { return CSRFToken(s.token) }

// session authenticates the request with its access cookie, refreshing the
// session with the refresh cookie when the access token has expired. On
// failure the session cookies are cleared.
func (h *handler) session(w http.ResponseWriter, r *http.Request) (*session, error) {
	ctx, c := r.Context(), h.client(r)
	access := cookie(r, cookieSession)
	a, err := h.svc.Authenticate(ctx, c, access)
	if err == nil {
		return &session{actor: a, token: access}, nil
	}
	if mfad.ErrorCode(err) != mfad.EUnauthenticated {
		return nil, err
	}
	refresh := cookie(r, cookieRefresh)
	if refresh == "" {
		if access != "" {
			clearSession(w, r)
		}
		return nil, err
	}
	t, rerr := h.svc.Refresh(ctx, c, refresh)
	if rerr != nil {
		clearSession(w, r)
		if mfad.ErrorCode(rerr) == mfad.EUnauthenticated {
			return nil, err
		}
		return nil, rerr
	}
	h.setSession(w, r, t)
	return &session{actor: t.Actor(), token: t.Access}, nil
}

// authed wraps a page that needs a session. A POST must carry the CSRF
// token of the session cookie it came with, checked before anything else.
func (h *handler) authed(fn func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				h.render(w, r, http.StatusBadRequest, "error", &view{Title: "Request refused", Error: "The form could not be read."})
				return
			}
			sent := cookie(r, cookieSession)
			if sent == "" && cookie(r, cookieRefresh) == "" {
				redirect(w, r, Prefix+"login?done=expired")
				return
			}
			if !equal(r.PostFormValue("csrf"), CSRFToken(sent)) {
				h.csrfRefused(w, r)
				return
			}
		}
		s, err := h.session(w, r)
		if err != nil {
			if mfad.ErrorCode(err) == mfad.EUnauthenticated {
				to := Prefix + "login"
				if cookie(r, cookieSession) != "" || r.Method == http.MethodPost {
					to += "?done=expired"
				}
				redirect(w, r, to)
				return
			}
			h.fail(w, r, nil, err)
			return
		}
		fn(w, r, s)
	}
}

func (h *handler) csrfRefused(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusForbidden, "error", &view{Title: "Request refused",
		Error: "This form has expired or did not come from this site, so nothing was changed. Go back, reload the page and try again."})
}

// base fills the parts of a view every logged-in page has: the user's
// name, the CSRF token and whether the core lets them administer (asked
// of the core, never judged here).
func (h *handler) base(r *http.Request, s *session, title, nav string) *view {
	v := &view{Title: title, Nav: nav, CSRF: s.csrf()}
	v.User = &auth.UserInfo{ID: s.actor.UserID(), Name: s.actor.Name()}
	if c, err := h.svc.Capabilities(s.actor); err == nil {
		v.Admin = c.Administer
	}
	return v
}

// fail renders an error the core gave on a page of its own.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, v *view, err error) {
	if v == nil {
		v = &view{Title: "Something went wrong"}
	}
	status, msg := h.explain(err, "")
	v.Error = msg
	h.retry(w, v, err)
	h.render(w, r, status, "error", v)
}
