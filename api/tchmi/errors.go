package tchmi

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mfad/mfad"
)

// Error is the error object of a TcHmi answer, of one command or of the
// whole request. Message (the symbolic name) and Reason (free text) are
// sent only when the command asked for them with SendErrorMessage; the
// error of a whole request always carries them.
type Error struct {
	Code    int    `json:"code"`
	Domain  string `json:"domain"`
	Message string `json:"message,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %d %s: %s", e.Domain, e.Code, e.Message, e.Reason)
}

// Error domains: the TcHmi server's own codes, and the codes mfad answers
// for the user management extension's credential and 2FA conditions.
const (
	DomainServer = "TcHmiSrv"
	DomainUsers  = "TcHmiUserManagement"
)

// TcHmi server codes (TcHmiSrv ErrorValue) that mfad answers.
const (
	CodeFail               = 257  // HMI_E_FAIL: the state does not allow it
	CodeUnexpected         = 258  // HMI_E_UNEXPECTED: internal error
	CodeSyntax             = 263  // HMI_E_SYNTAX: the frame is not JSON
	CodeRequestTooLarge    = 266  // HMI_E_REQUEST_TOO_LARGE: too many commands
	CodeNotImplemented     = 272  // HMI_E_NOT_IMPLEMENTED: requestType other than ReadWrite
	CodeSymbolNotMapped    = 513  // HMI_E_SYMBOL_NOT_MAPPED: unknown symbol
	CodeInvalidField       = 1539 // HMI_E_INVALID_FIELD: bad or missing field
	CodeInsufficientAccess = 4101 // HMI_E_INSUFFICIENT_ACCESS: not logged in, not allowed
)

// Codes of mfad's TcHmiUserManagement domain. TwinCAT publishes no codes for
// these conditions; mfad uses a block of its own (0x3001...) that no TcHmiSrv
// code uses, so a client can tell them apart by number alone.
const (
	CodeInvalidCredentials = 0x3001 // wrong user name or password
	CodeTokenRequired      = 0x3002 // a twoFactorToken is needed: log in with one, or send one
	CodeInvalidToken       = 0x3003 // wrong, replayed or unusable twoFactorToken
	CodeLocked             = 0x3004 // second factor locked after repeated failures
	CodeThrottled          = 0x3005 // too many wrong passwords: wait
	CodeSetupRequired      = 0x3006 // the session may only set up 2FA (Enable2FA, Get2FAStatus, Logout)
)

type wire struct {
	code   int
	domain string
	name   string
}

// errorTable maps every domain error code to its TcHmi error. A code
// missing here answers HMI_E_UNEXPECTED, so a new code in package mfad must
// be added (the test of this table lists them all).
var errorTable = map[mfad.Code]wire{
	mfad.EInvalidInput:    {CodeInvalidField, DomainServer, "INVALID_FIELD"},
	mfad.EInvalidLogin:    {CodeInvalidCredentials, DomainUsers, "INVALID_CREDENTIALS"},
	mfad.EStepUp:          {CodeTokenRequired, DomainUsers, "TWO_FACTOR_TOKEN_REQUIRED"},
	mfad.EInvalidCode:     {CodeInvalidToken, DomainUsers, "INVALID_TWO_FACTOR_TOKEN"},
	mfad.ELocked:          {CodeLocked, DomainUsers, "TWO_FACTOR_LOCKED"},
	mfad.EThrottled:       {CodeThrottled, DomainUsers, "TOO_MANY_ATTEMPTS"},
	mfad.EBusy:            {CodeThrottled, DomainUsers, "TOO_MANY_ATTEMPTS"}, // the reason says: logins at once, not failures
	mfad.ESetupRequired:   {CodeSetupRequired, DomainUsers, "TWO_FACTOR_SETUP_REQUIRED"},
	mfad.EUnauthenticated: {CodeInsufficientAccess, DomainServer, "INSUFFICIENT_ACCESS"},
	mfad.EForbidden:       {CodeInsufficientAccess, DomainServer, "INSUFFICIENT_ACCESS"},
	mfad.EPolicy:          {CodeInsufficientAccess, DomainServer, "INSUFFICIENT_ACCESS"},
	mfad.ENotFound:        {CodeInvalidField, DomainServer, "INVALID_FIELD"},
	mfad.EConflict:        {CodeFail, DomainServer, "FAIL"},
	mfad.ENotEnrolled:     {CodeFail, DomainServer, "FAIL"},
	mfad.ENoPending:       {CodeFail, DomainServer, "FAIL"},
	mfad.EExpired:         {CodeFail, DomainServer, "FAIL"},
	mfad.EAppIgnored:      {CodeInvalidToken, DomainUsers, "INVALID_TWO_FACTOR_TOKEN"},
	mfad.EUnavailable:     {CodeUnexpected, DomainServer, "UNEXPECTED"}, // TcHmi has no code of its own for it; the reason says to retry
	mfad.EInternal:        {CodeUnexpected, DomainServer, "UNEXPECTED"},
}

// ErrorOf returns the TcHmi error of err: a front error (*Error) as it is,
// a domain error through the one table. Message and Reason are kept only
// when withMessage is set.
func ErrorOf(err error, withMessage bool) *Error {
	var out Error
	var fe *Error
	if errors.As(err, &fe) {
		out = *fe
	} else {
		code := mfad.ErrorCode(err)
		w, ok := errorTable[code]
		if !ok {
			w, code = errorTable[mfad.EInternal], mfad.EInternal
		}
		out = Error{Code: w.code, Domain: w.domain, Message: w.name, Reason: mfad.ErrorMessage(err)}
		if code == mfad.EInternal {
			out.Reason = "internal error"
			// The core logs its own internal errors; log what it did not see.
			var de *mfad.Error
			if !errors.As(err, &de) || de.Code != mfad.EInternal {
				slog.Error("tchmi: internal error", "err", err)
			}
		}
		if d := mfad.RetryAfter(err); d > 0 {
			out.Reason += fmt.Sprintf(" (retry after %d s)", int((d+time.Second-1)/time.Second))
		}
	}
	if !withMessage {
		out.Message, out.Reason = "", ""
	}
	return &out
}

// Front errors: conditions of the TcHmi framing, not of the core.

func errNotMapped(symbol string) *Error {
	if len(symbol) > 100 {
		symbol = symbol[:100] + "..."
	}
	return &Error{Code: CodeSymbolNotMapped, Domain: DomainServer, Message: "SYMBOL_NOT_MAPPED",
		Reason: fmt.Sprintf("symbol %q is not mapped", symbol)}
}

func errSyntax(reason string) *Error {
	return &Error{Code: CodeSyntax, Domain: DomainServer, Message: "SYNTAX", Reason: reason}
}

func errTooLarge(reason string) *Error {
	return &Error{Code: CodeRequestTooLarge, Domain: DomainServer, Message: "REQUEST_TOO_LARGE", Reason: reason}
}

func errNotImplemented(reason string) *Error {
	return &Error{Code: CodeNotImplemented, Domain: DomainServer, Message: "NOT_IMPLEMENTED", Reason: reason}
}

// WireErrors returns the TcHmi error of each code in errorTable, for the
// test that every code of mfad.Codes has one in every front.
func WireErrors() map[mfad.Code]string {
	out := make(map[mfad.Code]string, len(errorTable))
	for c, w := range errorTable {
		out[c] = fmt.Sprintf("%s %#x %s", w.domain, w.code, w.name)
	}
	return out
}
