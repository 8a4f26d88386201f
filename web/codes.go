package web

import (
	"crypto/sha256"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/seal"
)

// Scratch codes are shown after a POST (turning 2FA on, making new codes)
// by POST-redirect-GET, so reloading the page never sends the form again.
// The codes cross the redirect in a cookie sealed (seal: AES-256-GCM) under a key
// derived from the session token, limited to the page that shows them,
// living a few minutes and cleared when the page is shown: the server keeps
// no copy, and the page shows them once.
const (
	cookieCodes = "mfad_codes"  // the sealed scratch codes between the POST and the page
	cookieLock  = "mfad_locked" // when a second-factor lockout ends (Unix seconds), or "hard"
	codesPath   = Prefix + "security/codes"
	codesLife   = 5 * time.Minute
)

// codesRing is the sealing key of the codes cookie of a session, as a key
// ring of one (package seal: AES-256-GCM, the form every sealed value of
// mfad has), derived from the session token: only that session opens it.
func codesRing(sessionToken string) (*seal.Ring, error) {
	k := sha256.Sum256([]byte("mfad web scratch codes" + sessionToken))
	return seal.NewRing(seal.Key{ID: "web", Secret: k[:]})
}

func sealCodes(sessionToken string, codes []string) (string, error) {
	r, err := codesRing(sessionToken)
	if err != nil {
		return "", err
	}
	return r.Seal([]byte(strings.Join(codes, "\n")), []byte(cookieCodes))
}

func openCodes(sessionToken, value string) ([]string, bool) {
	r, err := codesRing(sessionToken)
	if err != nil || value == "" {
		return nil, false
	}
	plain, err := r.Open(value, []byte(cookieCodes))
	if err != nil || len(plain) == 0 {
		return nil, false
	}
	return strings.Split(string(plain), "\n"), true
}

// showCodes answers a POST that made scratch codes: a redirect to the page
// that shows them (kind "enabled" or "new").
func (h *handler) showCodes(w http.ResponseWriter, r *http.Request, s *session, codes []string, kind string) {
	v, err := sealCodes(s.token, codes)
	if err != nil {
		h.fail(w, r, nil, err)
		return
	}
	c := &http.Cookie{Name: cookieCodes, Value: v, Path: codesPath, MaxAge: int(codesLife / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil}
	http.SetCookie(w, c)
	redirect(w, r, codesPath+"?kind="+kind)
}

// codesPage shows the scratch codes the last POST made, once.
func (h *handler) codesPage(w http.ResponseWriter, r *http.Request, s *session) {
	codes, ok := openCodes(s.token, cookie(r, cookieCodes))
	http.SetCookie(w, &http.Cookie{Name: cookieCodes, Path: codesPath, MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	if !ok {
		redirect(w, r, Prefix+"security?done=codes-shown")
		return
	}
	v := h.base(r, s, "Save your new scratch codes", "security")
	v.Notice = "New scratch codes were made. The old ones no longer work."
	if r.URL.Query().Get("kind") == "enabled" {
		v.Title, v.Notice = "Save your scratch codes", "Two-factor authentication is on."
		// The confirming code matched only a neighbouring step: warn now,
		// before the drift grows past the window.
		if st, err := h.svc.Status(r.Context(), s.actor, auth.ByID(s.actor.UserID())); err == nil && st.ClockDrift != 0 {
			v.Notice += " But " + auth.DriftText(st.ClockDrift) + ": set your phone's time automatically, or its codes may soon fail."
		}
	}
	v.Codes = codes
	h.render(w, r, http.StatusOK, "scratch", v)
}

// noteLock remembers in a cookie when a lockout the core reported ends, so
// that the next code, sent on a login ticket the lockout ended, is answered
// with the lockout and its end rather than "your login has expired". The
// value only chooses a message: the core decides.
func (h *handler) noteLock(w http.ResponseWriter, r *http.Request, err error) {
	if mfad.ErrorCode(err) != mfad.ELocked {
		return
	}
	d := mfad.RetryAfter(err)
	if d <= 0 {
		setCookie(w, r, cookieLock, "hard", 24*time.Hour)
		return
	}
	setCookie(w, r, cookieLock, strconv.FormatInt(h.svc.Now().Add(d).Unix(), 10), d)
}

// lockNoted returns the lockout a cookie of noteLock remembers, if it has
// not ended.
func (h *handler) lockNoted(r *http.Request) (error, bool) {
	v := cookie(r, cookieLock)
	if v == "hard" {
		return mfad.Errorf(mfad.ELocked, "locked"), true
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, false
	}
	d := time.Unix(sec, 0).Sub(h.svc.Now())
	if d <= 0 {
		return nil, false
	}
	return &mfad.Error{Code: mfad.ELocked, Message: "locked", RetryAfter: d}, true
}
