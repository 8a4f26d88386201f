package zimbra

import (
	"strings"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// Profile is Zimbra's: the enablement token lives an hour
// (zimbraTwoFactorAuthEnablementTokenLifetime) and the scratch codes are
// 10 codes of 8 base32 characters. The secret is mfad's default 160 bits,
// not Zimbra's 80: Zimbra clients do not check its length. Enabling
// answers nothing for a user who has 2FA on already, and its second step
// answers with a fresh auth token, every other session ending. Turning
// 2FA off takes the session alone (DisableTwoFactorAuthRequest). Its auth
// tokens live TokenLifetime unless the operator sets otherwise.
var Profile = auth.Profile{
	AccessTTL: TokenLifetime,
	// Zimbra's sessions end 14 days after the login at most (its
	// refresh tokens' lifetime before issue 26 made it absolute).
	MaxSessionAge:    14 * 24 * time.Hour,
	PendingTTL:       time.Hour,
	Scratch:          &mfad.ScratchForm{Count: 10, Length: 8, Alphabet: mfad.Base32Alphabet},
	KeepEnrolled:     true,
	SessionOnConfirm: true,
	NoEnrollSession:  true,
}

// enable is EnableTwoFactorAuthRequest. Without <twoFactorCode> it is the
// first step: the password is checked and a pending secret made (an
// empty answer if 2FA is already on, as Zimbra answers). With the code it
// is the second: the enablement token of the first step (or the password)
// and a current code turn 2FA on; the answer holds the scratch codes and a
// fresh auth token, and every other session of the user ends.
func (c *call) enable() (*node, error) {
	name := strings.TrimSpace(c.req.str("name"))
	if name == "" {
		return nil, invalidRequest("missing required element: name")
	}
	if err := c.method(); err != nil {
		return nil, err
	}
	csrf, err := c.req.flag("csrfTokenSecured")
	if err != nil {
		return nil, err
	}
	password, hasPassword := c.req.value("password")
	code, hasCode := c.req.value("twoFactorCode")
	if !hasCode {
		return c.enableStart(name, password)
	}
	var conf *auth.Confirmed
	switch token := strings.TrimSpace(c.req.str("authToken")); {
	case token != "":
		conf, err = c.svc.Confirm(c.ctx, auth.Anonymous(c.client), auth.ConfirmRequest{
			Token: token, Login: name, Code: code})
	case hasPassword:
		conf, err = c.svc.Confirm(c.ctx, auth.Anonymous(c.client), auth.ConfirmRequest{Login: name, Password: password, Code: code})
	default:
		return nil, mfad.Errorf(mfad.EInvalidLogin, "auth token and password missing")
	}
	if err != nil {
		return nil, err
	}
	t := conf.Tokens
	c.setCookie(cookieAuth, cookieValue(t.Access, csrf), 0)
	n := c.answer()
	n.addNode("authToken", array).set("verifyAccount", false).content = t.Access
	codes := n.addNode("scratchCodes", array)
	for _, sc := range conf.ScratchCodes {
		codes.add("scratchCode", sc, array)
	}
	if csrf {
		token := csrfToken(t.Access)
		c.w.Header().Set(headerCSRF, token)
		n.add("csrfToken", token, array)
	}
	return n, nil
}

// method checks the 2FA method a request asks for (<method>, newer
// Zimbra): "app" (TOTP, also when absent) is the one mfad has. Zimbra
// answers email, when its email method is not configured for the account,
// with account.TWO_FACTOR_AUTH_METHOD_NOT_ALLOWED; mfad has no email
// method, so it always does, rather than answering a TOTP secret.
func (c *call) method() error {
	switch m := strings.TrimSpace(c.req.str("method")); m {
	case "", "app":
		return nil
	case "email":
		return &fault{wire{codeMethodNotAllowed, soapSender}, "two-factor authentication method not allowed: email"}
	default:
		return invalidRequest("unknown two-factor authentication method %q", m)
	}
}

// enableStart is the first step of EnableTwoFactorAuthRequest.
func (c *call) enableStart(name, password string) (*node, error) {
	p, err := c.svc.Prepare(c.ctx, auth.Anonymous(c.client), auth.PrepareRequest{Login: name, Password: password})
	if mfad.ErrorCode(err) == mfad.EConflict {
		return c.answer(), nil // already enabled: Zimbra's empty answer
	}
	if err != nil {
		return nil, err
	}
	n := c.answer()
	n.add("secret", p.Secret, array)
	tok := n.addNode("authToken", array)
	tok.set("verifyAccount", false).set("lifetime", c.lifetime(p.ExpiresAt))
	tok.content = p.Token
	return n, nil
}

// disable is DisableTwoFactorAuthRequest. Zimbra sends no code with it, so
// the core asks for a session whose second factor is recent.
func (c *call) disable() (*node, error) {
	if err := c.svc.Disable(c.ctx, c.actor, auth.DisableRequest{UserID: c.actor.UserID()}); err != nil {
		return nil, err
	}
	return c.answer(), nil
}

// getScratchCodes is GetScratchCodesRequest: the unused scratch codes
// again (a sensitive action: a recent second factor).
func (c *call) getScratchCodes() (*node, error) {
	codes, err := c.svc.ScratchCodes(c.ctx, c.actor, c.actor.UserID(), "")
	if err != nil {
		return nil, err
	}
	return c.scratchAnswer(codes), nil
}

// generateScratchCodes is GenerateScratchCodesRequest: a new set, the old
// one void (a sensitive action: a recent second factor).
func (c *call) generateScratchCodes() (*node, error) {
	codes, err := c.svc.RegenerateScratchCodes(c.ctx, c.actor, c.actor.UserID(), "")
	if err != nil {
		return nil, err
	}
	return c.scratchAnswer(codes), nil
}

func (c *call) scratchAnswer(codes []string) *node {
	n := c.answer()
	w := n.addNode("scratchCodes", unique)
	for _, sc := range codes {
		w.add("scratchCode", sc, array)
	}
	return n
}
