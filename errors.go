package mfad

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Code classifies an Error. Every front maps each code to its own wire form
// (an HTTP status, a Cloudreve number, a SOAP fault, a TwinCAT error) in one
// table, so a new code must be added to Codes and to each of those tables;
// TestEveryCodeHasAWireForm (codes_test.go) fails until it is.
type Code string

const (
	EInvalidInput    Code = "invalid_input"        // malformed or missing input
	EInvalidCode     Code = "invalid_code"         // wrong, replayed or unknown second-factor code
	EInvalidLogin    Code = "invalid_login"        // unknown user or wrong password: one answer for both
	EUnauthenticated Code = "unauthenticated"      // no, expired or forged token
	EForbidden       Code = "forbidden"            // authenticated but not allowed
	ENotFound        Code = "not_found"            // no such user, enrollment, ticket, device...
	EConflict        Code = "conflict"             // the state does not allow it (already enabled, name taken)
	ELocked          Code = "locked"               // second factor locked; RetryAfter says until when
	EThrottled       Code = "throttled"            // too many wrong passwords; RetryAfter says when to retry
	EBusy            Code = "busy"                 // too many logins at once from one address or for one account; RetryAfter
	EExpired         Code = "expired"              // an enrollment, ticket or token that has expired
	EStepUp          Code = "step_up_required"     // a sensitive action needs a fresh second factor
	ENotEnrolled     Code = "not_enrolled"         // the action needs 2FA on, and it is off
	ENoPending       Code = "no_pending"           // confirm without a pending enrollment
	ESetupRequired   Code = "setup_required"       // policy requires 2FA and the session may only enroll
	EPolicy          Code = "policy"               // policy forbids it (e.g. disabling required 2FA)
	EAppIgnored      Code = "app_ignored_settings" // the confirming code is SHA-1/6 digits: the app ignored the prepared algorithm or digits
	EUnavailable     Code = "unavailable"          // the database cannot be reached now; RetryAfter says when to try again
	EInternal        Code = "internal"             // anything else; details go to the log only
)

// codes is the registry: every Code the core may return, in the order of
// the constants above.
var codes = []Code{
	EInvalidInput, EInvalidCode, EInvalidLogin, EUnauthenticated, EForbidden,
	ENotFound, EConflict, ELocked, EThrottled, EBusy, EExpired, EStepUp,
	ENotEnrolled, ENoPending, ESetupRequired, EPolicy, EAppIgnored, EUnavailable, EInternal,
}

// Codes returns every error code the core may return. A front's error
// table must give each a wire form.
func Codes() []Code { return slices.Clone(codes) }

// Error is the one domain error type. Message is safe to show to a client: it
// never contains a secret, code, password or token.
type Error struct {
	Code       Code
	Message    string
	RetryAfter time.Duration // for ELocked, EThrottled, EBusy and EUnavailable; zero when unknown or permanent
	Err        error         // the cause, for logs only
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, EInternal for errors from outside the
// domain and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the client-safe message of err: internal errors are
// reduced to a fixed text so that no detail leaks.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EInternal {
		return e.Message
	}
	return "internal error"
}

// RetryAfter returns how long the client should wait before retrying, or 0.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// Store errors that the core turns into domain errors.
var (
	ErrNoRows    = errors.New("mfad: no such row")
	ErrDuplicate = errors.New("mfad: duplicate")
	// ErrUnavailable wraps a store's failure to reach its database (refused
	// or lost connection, the server shutting down): nothing was judged,
	// and trying again shortly may work. The core answers EUnavailable.
	ErrUnavailable = errors.New("mfad: the database cannot be reached")
)
