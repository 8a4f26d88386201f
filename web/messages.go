package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mfad/mfad"
)

// Where an error happened, for the wording of its message.
const (
	atLogin   = "login"   // the password form
	atCode    = "code"    // the second factor of a login
	atConfirm = "confirm" // the code that turns 2FA on
	atOwn     = "own"     // an action on one's own account with a password or code
)

// Messages the tests and the pages share.
const (
	MsgWrongLogin   = "Wrong name or password."
	MsgWrongCode    = "That code is not right. Enter the newest code from your authenticator app, or an unused scratch code."
	MsgWrongConfirm = "That code is not right. Enter the 6-digit code your authenticator app shows now for mfad; if it keeps failing, check that the time on your phone is set automatically."
	MsgHardLocked   = "Too many wrong codes: your second factor is locked until an administrator unlocks it."
	MsgExpiredSetup = "This setup has expired before it was finished, so nothing was turned on. Start again: you will get a new QR code."
	MsgExpiredLogin = "Your login took too long and has expired. Log in again."
	MsgAppIgnored   = "Your authenticator app ignored the settings of this QR code: it shows SHA-1, 6-digit codes. Start again with SHA-1 and 6 digits, or use an app that supports these settings."
)

// explanation is how the page answers one core error code: its status,
// and its wording for people where it happened.
type explanation struct {
	status int
	say    func(h *handler, err error, where string) string
}

// explanations is the page's error table: every code of mfad.Codes. Each
// code has one wording; a replayed code is refused by the core like a
// wrong one, and so it reads the same here.
var explanations = map[mfad.Code]explanation{
	mfad.EInvalidLogin: {http.StatusBadRequest, func(_ *handler, _ error, where string) string {
		if where == atLogin {
			return MsgWrongLogin
		}
		return "Wrong password."
	}},
	mfad.EInvalidCode: {http.StatusBadRequest, func(_ *handler, _ error, where string) string {
		if where == atConfirm {
			return MsgWrongConfirm
		}
		return MsgWrongCode
	}},
	mfad.ELocked: {http.StatusTooManyRequests, func(h *handler, err error, _ string) string {
		d := mfad.RetryAfter(err)
		if d <= 0 {
			return MsgHardLocked
		}
		return fmt.Sprintf("Too many wrong codes: your second factor is locked for now. Try again in %s, at %s.",
			Duration(d), h.svc.Now().Add(d).UTC().Format("15:04:05 UTC"))
	}},
	mfad.EThrottled: {http.StatusTooManyRequests, func(h *handler, err error, _ string) string {
		d := mfad.RetryAfter(err)
		if d <= 0 {
			d = time.Second
		}
		return fmt.Sprintf("Too many failed password attempts. Wait a little: try again in %s, at %s.",
			Duration(d), h.svc.Now().Add(d).UTC().Format("15:04:05 UTC"))
	}},
	mfad.EExpired: {http.StatusGone, func(_ *handler, err error, where string) string {
		switch where {
		case atConfirm:
			return MsgExpiredSetup
		case atCode:
			return MsgExpiredLogin
		}
		return sentence(mfad.ErrorMessage(err))
	}},
	mfad.ENoPending:     {http.StatusBadRequest, fixed("There is no setup in progress (it may have been finished or replaced in another window). Start again.")},
	mfad.EStepUp:        {http.StatusForbidden, fixed("This needs a current code from your authenticator app.")},
	mfad.ENotEnrolled:   {http.StatusBadRequest, fixed("Two-factor authentication is not on.")},
	mfad.ESetupRequired: {http.StatusForbidden, fixed("Two-factor authentication is required for your account. Turn it on first.")},
	mfad.EForbidden: {http.StatusForbidden, func(_ *handler, err error, _ string) string {
		return "You are not allowed to do this: " + mfad.ErrorMessage(err) + "."
	}},
	mfad.EPolicy:          {http.StatusForbidden, coreSentence},
	mfad.EUnauthenticated: {http.StatusUnauthorized, fixed("Your session has ended. Log in again.")},
	mfad.ENotFound:        {http.StatusNotFound, coreSentence},
	mfad.EConflict:        {http.StatusConflict, coreSentence},
	mfad.EInvalidInput:    {http.StatusBadRequest, coreSentence},
	mfad.EAppIgnored:      {http.StatusBadRequest, fixed(MsgAppIgnored)},
	mfad.EBusy:            {http.StatusTooManyRequests, fixed("Too many logins at once from your network. Try again in a moment.")},
	mfad.EUnavailable:     {http.StatusServiceUnavailable, fixed("The service cannot reach its database right now. Try again in a few seconds.")},
	mfad.EInternal:        internalError,
}

// internalError answers EInternal, and any code missing from explanations.
var internalError = explanation{http.StatusInternalServerError, fixed("Something went wrong on the server. Try again in a moment.")}

func fixed(msg string) func(*handler, error, string) string {
	return func(*handler, error, string) string { return msg }
}

// coreSentence is the core's client-safe message as a sentence.
func coreSentence(_ *handler, err error, _ string) string { return sentence(mfad.ErrorMessage(err)) }

// explain turns a core error into an HTTP status and a message for people.
func (h *handler) explain(err error, where string) (int, string) {
	e, ok := explanations[mfad.ErrorCode(err)]
	if !ok {
		e = internalError
	}
	return e.status, e.say(h, err, where)
}

// WireErrors returns the status of each code in explanations, for the test
// that every code of mfad.Codes has a wire form in every front.
func WireErrors() map[mfad.Code]string {
	out := make(map[mfad.Code]string, len(explanations))
	for c, e := range explanations {
		out[c] = fmt.Sprint(e.status)
	}
	return out
}

// retry sets Retry-After on a locked or throttled answer, and the time it
// names on the page, which shows it in the browser's time zone.
func (h *handler) retry(w http.ResponseWriter, v *view, err error) {
	if d := mfad.RetryAfter(err); d > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(int((d+time.Second-1)/time.Second)))
		v.RetryAt = h.svc.Now().Add(d)
	}
}

// sentence makes a core message (lower case, no full stop) a sentence.
func sentence(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// Duration writes d for people: "30 seconds", "2 minutes", "1 minute 5 seconds".
func Duration(d time.Duration) string {
	secs := int((d + time.Second - 1) / time.Second)
	unit := func(n int, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	switch {
	case secs < 60:
		return unit(secs, "second")
	case secs < 3600:
		m, s := secs/60, secs%60
		if s == 0 {
			return unit(m, "minute")
		}
		return unit(m, "minute") + " " + unit(s, "second")
	}
	h, m := secs/3600, (secs%3600)/60
	if m == 0 {
		return unit(h, "hour")
	}
	return unit(h, "hour") + " " + unit(m, "minute")
}

// notices are the messages a redirect may ask for, by key: a URL never
// carries the text itself (nor anything secret).
var notices = map[string]string{
	"logout":      "You are logged out.",
	"expired":     "Your session has ended. Log in again.",
	"disabled":    "Two-factor authentication is off. You log in with your password only.",
	"created":     "The user was created. They can log in and turn on two-factor authentication.",
	"reset":       "Two-factor authentication of the user was reset: their codes, scratch codes and sessions no longer work. They log in with their password and can turn it on again.",
	"unlocked":    "The user was unlocked: their failed attempts were forgotten.",
	"setup":       "Two-factor authentication is required for your account. Turn it on to continue.",
	"codes-shown": "Scratch codes are shown only once and are not kept. If you did not save them, make new ones.",
}
