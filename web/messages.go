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
)

// explain turns a core error into an HTTP status and a message for people.
// Each code has one wording; a replayed code is refused by the core like a
// wrong one, and so it reads the same here.
func (h *handler) explain(err error, where string) (int, string) {
	switch mfad.ErrorCode(err) {
	case mfad.EInvalidLogin:
		if where == atLogin {
			return http.StatusBadRequest, MsgWrongLogin
		}
		return http.StatusBadRequest, "Wrong password."
	case mfad.EInvalidCode:
		if where == atConfirm {
			return http.StatusBadRequest, MsgWrongConfirm
		}
		return http.StatusBadRequest, MsgWrongCode
	case mfad.ELocked:
		d := mfad.RetryAfter(err)
		if d <= 0 {
			return http.StatusTooManyRequests, MsgHardLocked
		}
		return http.StatusTooManyRequests, fmt.Sprintf("Too many wrong codes: your second factor is locked for now. Try again in %s, at %s.",
			Duration(d), h.svc.Now().Add(d).UTC().Format("15:04:05 UTC"))
	case mfad.EThrottled:
		d := mfad.RetryAfter(err)
		if d <= 0 {
			d = time.Second
		}
		return http.StatusTooManyRequests, fmt.Sprintf("Too many failed password attempts. Wait a little: try again in %s, at %s.",
			Duration(d), h.svc.Now().Add(d).UTC().Format("15:04:05 UTC"))
	case mfad.EExpired:
		switch where {
		case atConfirm:
			return http.StatusGone, MsgExpiredSetup
		case atCode:
			return http.StatusGone, MsgExpiredLogin
		}
		return http.StatusGone, sentence(mfad.ErrorMessage(err))
	case mfad.ENoPending:
		return http.StatusBadRequest, "There is no setup in progress (it may have been finished or replaced in another window). Start again."
	case mfad.EStepUp:
		return http.StatusForbidden, "This needs a current code from your authenticator app."
	case mfad.ENotEnrolled:
		return http.StatusBadRequest, "Two-factor authentication is not on."
	case mfad.ESetupRequired:
		return http.StatusForbidden, "Two-factor authentication is required for your account. Turn it on first."
	case mfad.EForbidden:
		return http.StatusForbidden, "You are not allowed to do this: " + mfad.ErrorMessage(err) + "."
	case mfad.EPolicy:
		return http.StatusForbidden, sentence(mfad.ErrorMessage(err))
	case mfad.EUnauthenticated:
		return http.StatusUnauthorized, "Your session has ended. Log in again."
	case mfad.ENotFound:
		return http.StatusNotFound, sentence(mfad.ErrorMessage(err))
	case mfad.EConflict:
		return http.StatusConflict, sentence(mfad.ErrorMessage(err))
	case mfad.EInvalidInput:
		return http.StatusBadRequest, sentence(mfad.ErrorMessage(err))
	}
	return http.StatusInternalServerError, "Something went wrong on the server. Try again in a moment."
}

// retryAfter sets Retry-After on a locked or throttled answer.
func retryAfter(w http.ResponseWriter, err error) {
	if d := mfad.RetryAfter(err); d > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(int((d+time.Second-1)/time.Second)))
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
	"logout":   "You are logged out.",
	"expired":  "Your session has ended. Log in again.",
	"disabled": "Two-factor authentication is off. You log in with your password only.",
	"created":  "The user was created. They can log in and turn on two-factor authentication.",
	"reset":    "Two-factor authentication of the user was reset: their codes, scratch codes and sessions no longer work. They log in with their password and can turn it on again.",
	"unlocked": "The user was unlocked: their failed attempts were forgotten.",
	"setup":    "Two-factor authentication is required for your account. Turn it on to continue.",
}
