package zimbra

import (
	"strconv"
	"strings"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// loginFlags are the switches of an AuthRequest.
type loginFlags struct {
	trustDevice bool // deviceTrusted="1": trust this device after the code
	csrf        bool // csrfTokenSecured="1": answer a CSRF token
	persist     bool // persistAuthTokenCookie="1": a cookie that outlives the browser session
	verify      bool // <authToken verifyAccount="1">: <account> is required
}

func (c *call) loginFlags() (loginFlags, error) {
	var f loginFlags
	var err error
	if f.trustDevice, err = c.req.flag("deviceTrusted"); err != nil {
		return f, err
	}
	if f.csrf, err = c.req.flag("csrfTokenSecured"); err != nil {
		return f, err
	}
	if f.persist, err = c.req.flag("persistAuthTokenCookie"); err != nil {
		return f, err
	}
	if t := c.req.child("authToken"); t != nil {
		if f.verify, err = t.flag("verifyAccount"); err != nil {
			return f, err
		}
	}
	return f, nil
}

// account returns the account an AuthRequest names: <account by="name">
// (by defaults to name; adminName is a name too), or for the admin
// namespace also <name>.
func (c *call) account() (string, error) {
	if el := c.req.child("account"); el != nil {
		switch by, _ := el.attr("by"); by {
		case "", "name", "adminName":
		default:
			return "", invalidRequest("account by %q is not supported; use by=\"name\"", by)
		}
		return strings.TrimSpace(el.text), nil
	}
	if v, ok := c.req.attr("account"); ok {
		return strings.TrimSpace(v), nil
	}
	if c.op.ns == nsAdmin {
		return strings.TrimSpace(c.req.str("name")), nil
	}
	return "", nil
}

// login runs an AuthRequest: with a password (and perhaps the code, or a
// trusted device token, in the same request), or with the temporary auth
// token of the first step and the code. One core call each.
func (c *call) login(f loginFlags) (*auth.LoginResult, error) {
	acct, err := c.account()
	if err != nil {
		return nil, err
	}
	password, hasPassword := c.req.value("password")
	code := strings.TrimSpace(c.req.str("twoFactorCode"))
	ticket := strings.TrimSpace(c.req.str("authToken"))
	switch {
	case hasPassword:
		if acct == "" {
			return nil, invalidRequest("missing required element: account")
		}
		req := auth.LoginRequest{Login: acct, Password: password, Code: code, AdminOnly: c.op.ns == nsAdmin}
		if c.op.ns == nsAccount {
			req.TrustedToken = c.trustedToken()
			req.TrustDevice, req.DeviceName = f.trustDevice && code != "", c.r.UserAgent()
		}
		return c.svc.Login(c.ctx, c.client, req)
	case ticket != "":
		if f.verify && acct == "" {
			return nil, invalidRequest("missing required element: account")
		}
		if code == "" {
			return nil, mfad.Errorf(mfad.EInvalidLogin, "no two-factor code provided")
		}
		return c.svc.CompleteLogin(c.ctx, c.client, auth.TicketRequest{Ticket: ticket, Code: code, AdminOnly: c.op.ns == nsAdmin,
			TrustDevice: f.trustDevice && c.op.ns == nsAccount, DeviceName: c.r.UserAgent()})
	case c.req.child("preauth") != nil && c.op.ns == nsAccount:
		p, err := c.preauth()
		if err != nil {
			return nil, err
		}
		if acct == "" {
			return nil, invalidRequest("missing required element: account")
		}
		return c.svc.Login(c.ctx, c.client, auth.LoginRequest{Login: acct, Preauth: p, Code: code,
			TrustedToken: c.trustedToken(), TrustDevice: f.trustDevice && code != "", DeviceName: c.r.UserAgent()})
	}
	return nil, invalidRequest("must specify password")
}

// preauth reads <preauth timestamp="ms" expires="ms">value</preauth> and
// the by of <account> (python-zimbra's default login; Zimbra's PreAuth).
func (c *call) preauth() (*auth.Preauth, error) {
	el := c.req.child("preauth")
	ts, err := strconv.ParseInt(strings.TrimSpace(el.str("timestamp")), 10, 64)
	if err != nil {
		return nil, invalidRequest("preauth: timestamp must be milliseconds since 1970")
	}
	p := &auth.Preauth{By: "name", Timestamp: ts, Value: strings.TrimSpace(el.text)}
	if v, ok := el.value("expires"); ok && strings.TrimSpace(v) != "" {
		if p.Expires, err = strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil {
			return nil, invalidRequest("preauth: expires must be milliseconds")
		}
	}
	if a := c.req.child("account"); a != nil {
		if by, ok := a.attr("by"); ok && by != "" {
			p.By = by
		}
	}
	return p, nil
}

// setupRequired is the fault of a user whom policy requires to set up 2FA
// first: Zimbra answers it and the client enables 2FA with
// EnableTwoFactorAuthRequest.
func setupRequired() error {
	return mfad.Errorf(mfad.ESetupRequired, "two-factor authentication setup required. Allowed method:[app]")
}

// authRequest is urn:zimbraAccount AuthRequest.
func (c *call) authRequest() (*node, error) {
	f, err := c.loginFlags()
	if err != nil {
		return nil, err
	}
	if c.renews() {
		return c.renew(f)
	}
	res, err := c.login(f)
	if err != nil {
		return nil, err
	}
	n := c.answer()
	switch {
	case res.SetupRequired:
		return nil, setupRequired()
	case res.Tokens == nil:
		// The password is right and the code is asked: the temporary
		// auth token is the login ticket.
		n.add("twoFactorAuthRequired", "true", unique)
		n.add("lifetime", c.lifetime(res.TicketExpires), plain)
		n.add("authToken", res.Ticket, array)
		n.add("trustedDevicesEnabled", "true", unique)
		return n, nil
	}
	c.sessionAnswer(n, res.Tokens, f, cookieAuth)
	if d := res.Trusted; d != nil {
		c.setCookie(cookieTrust, d.Token, d.Expires.Sub(c.svc.Now()))
		n.add("trustedToken", d.Token, unique)
		n.add("trustLifetime", strconv.FormatInt(c.lifetime(d.Expires), 10), unique)
		n.add("deviceId", d.DeviceID, unique)
	}
	return n, nil
}

// renews reports whether an AuthRequest only names an auth token: no
// password, no preauth, no code. Clients send it at start-up to check the
// token they hold (Zimbra's Auth.handle, authToken of usage AUTH).
func (c *call) renews() bool {
	_, pw := c.req.value("password")
	return !pw && c.req.child("preauth") == nil && c.req.str("twoFactorCode") == "" &&
		strings.TrimSpace(c.req.str("authToken")) != ""
}

// renew answers an AuthRequest with an auth token: the core validates the
// token and renews it (see auth.RenewSession); the answer is Zimbra's to a
// login, with the same token. A token that is no session (unknown, expired,
// another account's) is service.AUTH_REQUIRED, as in Zimbra; the temporary
// token of a login without its code is account.AUTH_FAILED.
func (c *call) renew(f loginFlags) (*node, error) {
	acct := ""
	if f.verify {
		var err error
		if acct, err = c.account(); err != nil {
			return nil, err
		}
		if acct == "" {
			return nil, invalidRequest("missing required element: account")
		}
	}
	tok, _ := splitToken(strings.TrimSpace(c.req.str("authToken")))
	t, err := c.svc.RenewSession(c.ctx, c.client, tok, acct)
	if mfad.ErrorCode(err) == mfad.EUnauthenticated {
		return nil, &fault{wire{codeAuthRequired, soapSender}, "no valid authtoken present"}
	}
	if err != nil {
		return nil, err
	}
	// A token whose cookie was issued with csrfTokenSecured keeps it
	// (Zimbra: "do not disable CSRF check for this authToken").
	if ck, err := c.r.Cookie(c.authCookie()); err == nil {
		if cookieTok, secured := splitToken(ck.Value); cookieTok == tok && secured {
			f.csrf = true
		}
	}
	n := c.answer()
	c.sessionAnswer(n, t, f, c.authCookie())
	return n, nil
}

// sessionAnswer adds a session's auth token to an AuthResponse as Zimbra's
// doResponse does: the token (also as cookie), its lifetime, and with
// csrfTokenSecured="1" the CSRF token (also as X-Zimbra-Csrf-Token).
func (c *call) sessionAnswer(n *node, t *auth.Tokens, f loginFlags, cookie string) {
	c.setCookie(cookie, cookieValue(t.Access, f.csrf), c.cookieAge(f, t))
	n.add("authToken", t.Access, array)
	n.add("lifetime", c.lifetime(t.AccessExpires), plain)
	if f.csrf {
		csrf := csrfToken(t.Access)
		c.w.Header().Set(headerCSRF, csrf)
		n.add("csrfToken", csrf, unique)
	}
}

// cookieAge is the lifetime of an auth token cookie: the browser session,
// or with persistAuthTokenCookie="1" the token's life.
func (c *call) cookieAge(f loginFlags, t *auth.Tokens) time.Duration {
	if !f.persist {
		return 0
	}
	return t.AccessExpires.Sub(c.svc.Now())
}

// adminAuthRequest is urn:zimbraAdmin AuthRequest: administrators only,
// with their second factor.
func (c *call) adminAuthRequest() (*node, error) {
	f, err := c.loginFlags()
	if err != nil {
		return nil, err
	}
	f.trustDevice = false
	res, err := c.login(f)
	if err != nil {
		return nil, err
	}
	n := c.answer()
	switch {
	case res.SetupRequired:
		return nil, setupRequired()
	case res.Tokens == nil:
		n.add("lifetime", c.lifetime(res.TicketExpires), plain)
		n.add("twoFactorAuthRequired", "true", unique)
		n.add("authToken", res.Ticket, array)
		return n, nil
	}
	t := res.Tokens
	c.setCookie(cookieAdminAuth, cookieValue(t.Access, f.csrf), c.cookieAge(f, t))
	n.add("lifetime", c.lifetime(t.AccessExpires), plain)
	n.add("authToken", t.Access, array)
	if f.csrf {
		csrf := csrfToken(t.Access)
		c.w.Header().Set(headerCSRF, csrf)
		n.add("csrfToken", csrf, unique)
	}
	return n, nil
}

// endSession is EndSessionRequest: with logoff="1" it ends the session
// and clears its cookie; without, there is no SOAP session to end.
func (c *call) endSession() (*node, error) {
	logoff, err := c.req.flag("logoff")
	if err != nil {
		return nil, err
	}
	if logoff {
		if err := c.svc.Logout(c.ctx, c.client, auth.LogoutRequest{Access: c.token}); err != nil {
			return nil, err
		}
		c.setCookie(c.authCookie(), "", -1)
	}
	return c.answer(), nil
}
