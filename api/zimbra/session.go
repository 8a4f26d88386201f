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
// context, else the auth token cookie. Since /service/soap shares its
// origin with the web page and a browser sends the cookie with any
// request, a cookie issued with csrfTokenSecured="1" counts only with its
// CSRF token (the X-Zimbra-Csrf-Token header or <csrfToken> in the
// context), as in Zimbra; one issued without counts alone, as in Zimbra
// (the cookie is SameSite=Strict, so another site's page does not make
// the browser send it). A token in the header context never needs the
// CSRF token: another origin cannot read it.
func (c *call) authenticate() (auth.Actor, error) {
	token, _ := splitToken(strings.TrimSpace(c.env.authToken))
	if token == "" {
		ck, err := c.r.Cookie(c.authCookie())
		if err == nil && ck.Value != "" {
			tok, secured := splitToken(ck.Value)
			if secured {
				csrf := c.r.Header.Get(headerCSRF)
				if csrf == "" {
					csrf = strings.TrimSpace(c.env.csrfToken)
				}
				if !checkCSRF(tok, csrf) {
					return auth.Actor{}, mfad.Errorf(mfad.EUnauthenticated, "no valid authtoken present: an auth token cookie needs its CSRF token")
				}
			}
			token = tok
		}
	}
	if token == "" {
		return auth.Actor{}, mfad.Errorf(mfad.EUnauthenticated, "no valid authtoken present")
	}
	c.token = token
	return c.svc.Authenticate(c.ctx, c.client, token)
}

// The auth token cookie holds the core's access token behind a mark of
// whether it was issued with csrfTokenSecured="1": "1_" (the cookie needs
// the CSRF token) or "0_" (it does not), as Zimbra's auth token carries its
// csrf flag. A page of another origin, which can make the browser send the
// cookie, can neither read nor change it. The token in the answer is the
// access token alone, good at mfad's other APIs too.
const (
	markCSRF   = "1_"
	markNoCSRF = "0_"
)

// accessTokenLen is the length of the core's access tokens: 32 random
// bytes in unpadded base64url.
const accessTokenLen = 43

// cookieValue returns the auth token cookie of an access token.
func cookieValue(access string, csrf bool) string {
	if csrf {
		return markCSRF + access
	}
	return markNoCSRF + access
}

// splitToken returns the access token of a cookie (or of a token a client
// copied from one) and whether the cookie needs the CSRF token. A token
// without a mark needs it.
func splitToken(wire string) (access string, csrf bool) {
	// Only a value of a mark's and an access token's length is marked: a
	// bare access token (base64url) begins with "0_" or "1_" once in 2,048
	// and must not lose its first two characters.
	if len(wire) != len(markCSRF)+accessTokenLen {
		return wire, true
	}
	switch {
	case strings.HasPrefix(wire, markNoCSRF):
		return wire[len(markNoCSRF):], false
	case strings.HasPrefix(wire, markCSRF):
		return wire[len(markCSRF):], true
	}
	return wire, true
}

// csrfToken derives the CSRF token of an access token:
// base64url(SHA-256("mfad zimbra csrf\x00" + access token)). Only a holder of
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
