package zimbra

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// Cookies, named as Zimbra names them.
const (
	cookieAuth      = "ZM_AUTH_TOKEN"
	cookieAdminAuth = "ZM_ADMIN_AUTH_TOKEN"
	cookieTrust     = "ZM_TRUST_TOKEN"
	headerCSRF      = "X-Zimbra-Csrf-Token"
)

// authCookie is the auth token cookie of the path served.
func (c *call) authCookie() string {
	if c.admin {
		return cookieAdminAuth
	}
	return cookieAuth
}

// authenticate finds the caller's session: the auth token of the header
// context, else the auth token cookie, which counts only with the
// matching CSRF token (the X-Zimbra-Csrf-Token header or <csrfToken> in the
// context), since /service/soap shares its origin with the web page and a
// cookie is sent by any page that makes the browser post to it.
func (c *call) authenticate() (auth.Actor, error) {
	token := strings.TrimSpace(c.env.authToken)
	if token == "" {
		ck, err := c.r.Cookie(c.authCookie())
		if err == nil && ck.Value != "" {
			csrf := c.r.Header.Get(headerCSRF)
			if csrf == "" {
				csrf = strings.TrimSpace(c.env.csrfToken)
			}
			if !checkCSRF(ck.Value, csrf) {
				return auth.Actor{}, mfad.Errorf(mfad.EUnauthenticated, "no valid authtoken present: an auth token cookie needs its CSRF token")
			}
			token = ck.Value
		}
	}
	if token == "" {
		return auth.Actor{}, mfad.Errorf(mfad.EUnauthenticated, "no valid authtoken present")
	}
	return c.svc.Authenticate(c.ctx, c.client, token)
}

// csrfToken derives the CSRF token of an auth token:
// base64url(SHA-256("mfad zimbra csrf\x00" + auth token)). Only a holder of
// the auth token can compute it, and any mfad instance can check it with
// nothing stored; a page of another origin, which makes the browser send
// the HttpOnly cookie but cannot read it, cannot.
func csrfToken(authToken string) string {
	h := sha256.Sum256([]byte("mfad zimbra csrf\x00" + authToken))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func checkCSRF(authToken, given string) bool {
	if given == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(csrfToken(authToken)), []byte(given)) == 1
}

// setCookie sets an HttpOnly, SameSite=Strict cookie for the whole site,
// Secure when the request came over TLS. maxAge 0 makes a session cookie,
// a negative one deletes the cookie.
func (c *call) setCookie(name, value string, maxAge time.Duration) {
	ck := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: c.r.TLS != nil}
	switch {
	case maxAge < 0:
		ck.MaxAge = -1
	case maxAge > 0:
		ck.MaxAge = int((maxAge + time.Second - 1) / time.Second)
	}
	http.SetCookie(c.w, ck)
}

// trustedToken is the trusted device token the client holds: <trustedToken>
// in the request, else the ZM_TRUST_TOKEN cookie.
func (c *call) trustedToken() string {
	if t := strings.TrimSpace(c.req.str("trustedToken")); t != "" {
		return t
	}
	if ck, err := c.r.Cookie(cookieTrust); err == nil {
		return ck.Value
	}
	return ""
}

// lifetime is the time left until t, in milliseconds, as Zimbra writes
// lifetimes.
func (c *call) lifetime(t time.Time) int64 {
	return max(t.Sub(c.svc.Now()).Milliseconds(), 0)
}
