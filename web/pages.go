package web

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/otp"
)

// Logging in.

func (h *handler) loginView(w http.ResponseWriter, r *http.Request) *view {
	return &view{Title: "Log in", CSRF: preCSRF(w, r), Notice: notices[r.URL.Query().Get("done")]}
}

func (h *handler) loginPage(w http.ResponseWriter, r *http.Request) {
	if cookie(r, cookieSession) != "" || cookie(r, cookieRefresh) != "" {
		if _, err := h.session(w, r); err == nil {
			redirect(w, r, Prefix+"security")
			return
		}
	}
	h.render(w, r, http.StatusOK, "login", h.loginView(w, r))
}

func (h *handler) loginPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || !checkPreCSRF(r) {
		h.csrfRefused(w, r)
		return
	}
	login := strings.TrimSpace(r.PostFormValue("login"))
	res, err := h.svc.Login(r.Context(), h.client(r), auth.LoginRequest{Login: login, Password: r.PostFormValue("password")})
	if err != nil {
		v := h.loginView(w, r)
		v.Login = login
		status, msg := h.explain(err, atLogin)
		v.Error, v.Field = msg, "password"
		h.retry(w, v, err)
		h.render(w, r, status, "login", v)
		return
	}
	if res.Ticket != "" {
		setCookie(w, r, cookieTicket, res.Ticket, h.until(res.TicketExpires))
		redirect(w, r, Prefix+"login/code")
		return
	}
	if cookie(r, cookieTicket) != "" {
		clearCookie(w, r, cookieTicket)
	}
	h.setSession(w, r, res.Tokens)
	if res.SetupRequired {
		redirect(w, r, Prefix+"security?done=setup")
		return
	}
	redirect(w, r, Prefix+"security")
}

func (h *handler) codeView(w http.ResponseWriter, r *http.Request) *view {
	return &view{Title: "Enter your code", CSRF: preCSRF(w, r)}
}

func (h *handler) codePage(w http.ResponseWriter, r *http.Request) {
	if cookie(r, cookieTicket) == "" {
		redirect(w, r, Prefix+"login")
		return
	}
	h.render(w, r, http.StatusOK, "code", h.codeView(w, r))
}

func (h *handler) codePost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || !checkPreCSRF(r) {
		h.csrfRefused(w, r)
		return
	}
	ticket := cookie(r, cookieTicket)
	if ticket == "" {
		h.ticketGone(w, r)
		return
	}
	res, err := h.svc.CompleteLogin(r.Context(), h.client(r), auth.TicketRequest{Ticket: ticket, Code: r.PostFormValue("code")})
	if err != nil {
		switch mfad.ErrorCode(err) {
		case mfad.ENotFound, mfad.EExpired:
			// The ticket is gone: expired, or dead after too many wrong codes.
			clearCookie(w, r, cookieTicket)
			h.ticketGone(w, r)
			return
		}
		h.noteLock(w, r, err)
		v := h.codeView(w, r)
		status, msg := h.explain(err, atCode)
		v.Error, v.Field = msg, "code"
		h.retry(w, v, err)
		h.render(w, r, status, "code", v)
		return
	}
	clearCookie(w, r, cookieTicket)
	if cookie(r, cookieLock) != "" {
		clearCookie(w, r, cookieLock)
	}
	h.setSession(w, r, res.Tokens)
	redirect(w, r, Prefix+"security")
}

// ticketGone answers a code sent without a live login ticket: with the
// lockout, if the last answer was one that has not ended (the ticket died
// with it), else with "your login has expired".
func (h *handler) ticketGone(w http.ResponseWriter, r *http.Request) {
	v := h.loginView(w, r)
	if lerr, ok := h.lockNoted(r); ok {
		status, msg := h.explain(lerr, atCode)
		v.Error = msg
		h.retry(w, v, lerr)
		h.render(w, r, status, "login", v)
		return
	}
	_, v.Error = h.explain(mfad.Errorf(mfad.EExpired, "login ticket expired"), atCode)
	h.render(w, r, http.StatusGone, "login", v)
}

func (h *handler) logout(w http.ResponseWriter, r *http.Request, s *session) {
	if err := h.svc.Logout(r.Context(), s.actor.Client(), auth.LogoutRequest{Access: s.token}); err != nil && mfad.ErrorCode(err) != mfad.EUnauthenticated {
		h.log.Warn("web: logout", "err", err)
	}
	clearSession(w, r)
	redirect(w, r, Prefix+"login?done=logout")
}

// The security page.

func (h *handler) securityView(r *http.Request, s *session) (*view, error) {
	v := h.base(r, s, "Security", "security")
	st, err := h.svc.Status(r.Context(), s.actor, auth.ByID(s.actor.UserID()))
	if err != nil {
		return v, err
	}
	v.Status = st
	if c := h.svc.Config().Allowed; len(c.Algorithms) > 1 || len(c.Digits) > 1 || len(c.Periods) > 1 {
		v.Choices = &c
	}
	return v, nil
}

// securityError shows the security page with an error from the core.
func (h *handler) securityError(w http.ResponseWriter, r *http.Request, s *session, err error, where, field string) {
	v, serr := h.securityView(r, s)
	if serr != nil {
		h.fail(w, r, v, serr)
		return
	}
	status, msg := h.explain(err, where)
	v.Error, v.Field = msg, field
	h.retry(w, v, err)
	h.render(w, r, status, "security", v)
}

func (h *handler) security(w http.ResponseWriter, r *http.Request, s *session) {
	v, err := h.securityView(r, s)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	v.Notice = notices[r.URL.Query().Get("done")]
	h.render(w, r, http.StatusOK, "security", v)
}

// enable prepares a new secret and shows it; the answer to this POST is the
// only place the secret appears (and it is not stored by the browser:
// no-store).
func (h *handler) enable(w http.ResponseWriter, r *http.Request, s *session) {
	req := auth.PrepareRequest{UserID: s.actor.UserID(), Code: r.PostFormValue("code"), Algorithm: r.PostFormValue("algorithm")}
	digits, derr := formInt(r, "digits")
	period, perr := formInt(r, "period")
	req.Digits, req.Period = digits, period
	p, err := h.svc.Prepare(r.Context(), s.actor, req)
	if err = errors.Join(derr, perr, err); err != nil {
		h.securityError(w, r, s, err, atOwn, "")
		return
	}
	ev, err := enrollOf(p)
	if err != nil {
		h.fail(w, r, nil, err)
		return
	}
	v := h.base(r, s, "Turn on two-factor authentication", "security")
	v.Enroll = ev
	h.render(w, r, http.StatusOK, "enroll", v)
}

// formInt reads an optional number of a form: absent is 0.
func formInt(r *http.Request, name string) (int, error) {
	v := r.PostFormValue(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, mfad.Errorf(mfad.EInvalidInput, "%s: not a number", name)
	}
	return n, nil
}

func enrollOf(p *auth.Prepared) (*enrollView, error) {
	link, err := phoneLink(p.URI, p.Secret)
	if err != nil {
		return nil, err
	}
	ev := &enrollView{Secret: p.Secret, URI: p.URI, Token: p.Token, Expires: p.ExpiresAt,
		Groups: strings.Fields(groups(p.Secret)), Link: link}
	if k, err := otp.ParseURI(p.URI); err == nil {
		ev.Key = otp.Key{Algorithm: k.Algorithm, Digits: k.Digits, Period: k.Period}.Normalize()
	}
	if png, err := p.QRPNG(256); err == nil {
		ev.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
		return ev, nil
	}
	svg, err := p.QRSVG()
	if err != nil {
		return nil, err
	}
	ev.QR = template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(svg))
	return ev, nil
}

// phoneLink is the otpauth:// URI as a link an authenticator app on the
// same phone opens (the QR code cannot be scanned by the phone showing it).
// html/template lets only http(s) and mailto URLs into an href, so the URI
// is checked by parsing it back with the otp package, the same secret as
// the one shown for typing, before it is marked safe.
func phoneLink(uri, secret string) (template.URL, error) {
	k, err := otp.ParseURI(uri)
	if err != nil {
		return "", fmt.Errorf("web: the prepared otpauth URI does not parse: %w", err)
	}
	if !sameSecret(uri, secret) || k.Validate() != nil || !strings.HasPrefix(uri, "otpauth://totp/") {
		return "", errors.New("web: the prepared otpauth URI does not carry the secret shown")
	}
	return template.URL(uri), nil
}

// groups writes a secret in groups of four characters, for typing.
func groups(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

// confirm turns 2FA on with a code of the pending secret. The form carries
// the enrollment token and the secret back in its body (never in a URL), so
// that a wrong code can show the same QR code again; the core checks that
// the secret is the pending one before it looks at the code.
func (h *handler) confirm(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	token, secret, uri := f.Get("token"), f.Get("secret"), f.Get("uri")
	if !sameSecret(uri, secret) {
		h.securityError(w, r, s, mfad.Errorf(mfad.ENoPending, "no pending enrollment"), atConfirm, "")
		return
	}
	out, err := h.svc.Confirm(r.Context(), s.actor, auth.ConfirmRequest{UserID: s.actor.UserID(), Token: token, Secret: secret, Code: f.Get("code")})
	if err != nil {
		// A wrong code, or one of an app that ignored the settings: the
		// same QR code may still be scanned by another app.
		if c := mfad.ErrorCode(err); c != mfad.EInvalidCode && c != mfad.EAppIgnored {
			h.securityError(w, r, s, err, atConfirm, "")
			return
		}
		// The core knows the secret is the pending one: show it again.
		ev, qerr := enrollOf(&auth.Prepared{Secret: secret, URI: uri, Token: token})
		if qerr != nil {
			h.fail(w, r, nil, qerr)
			return
		}
		v := h.base(r, s, "Turn on two-factor authentication", "security")
		if st, serr := h.svc.Status(r.Context(), s.actor, auth.ByID(s.actor.UserID())); serr == nil {
			ev.Expires = st.PendingExpires
		}
		v.Enroll = ev
		status, msg := h.explain(err, atConfirm)
		v.Error, v.Field = msg, "code"
		h.render(w, r, status, "enroll", v)
		return
	}
	h.showCodes(w, r, s, out.ScratchCodes, "enabled")
}

// sameSecret reports whether uri is an otpauth URI of secret.
func sameSecret(uri, secret string) bool {
	k, err := otp.ParseURI(uri)
	if err != nil {
		return false
	}
	b, err := otp.DecodeSecret(secret)
	return err == nil && len(b) > 0 && bytes.Equal(b, k.Secret)
}

func (h *handler) regenerate(w http.ResponseWriter, r *http.Request, s *session) {
	codes, err := h.svc.RegenerateScratchCodes(r.Context(), s.actor, s.actor.UserID(), r.PostFormValue("code"))
	if err != nil {
		h.securityError(w, r, s, err, atOwn, "scratch-code")
		return
	}
	h.showCodes(w, r, s, codes, "new")
}

func (h *handler) disable(w http.ResponseWriter, r *http.Request, s *session) {
	err := h.svc.Disable(r.Context(), s.actor, auth.DisableRequest{UserID: s.actor.UserID(),
		Password: r.PostFormValue("password"), Code: r.PostFormValue("code")})
	if err != nil {
		field := "off-code"
		if mfad.ErrorCode(err) == mfad.EInvalidLogin || mfad.ErrorCode(err) == mfad.EThrottled {
			field = "off-password"
		}
		h.securityError(w, r, s, err, atOwn, field)
		return
	}
	redirect(w, r, Prefix+"security?done=disabled")
}
