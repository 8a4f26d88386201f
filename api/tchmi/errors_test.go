package tchmi_test

import (
	"errors"
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/tchmi"
)

// TestErrorTable holds the one table from domain error codes to TcHmi
// errors. It lists every code of package mfad: a new code must be added
// here and to the table.
func TestErrorTable(t *testing.T) {
	const srv, users = tchmi.DomainServer, tchmi.DomainUsers
	tests := []struct {
		code   mfad.Code
		want   int
		domain string
		name   string
	}{
		{mfad.EInvalidInput, 1539, srv, "INVALID_FIELD"},
		{mfad.EInvalidLogin, 0x3001, users, "INVALID_CREDENTIALS"},
		{mfad.EStepUp, 0x3002, users, "TWO_FACTOR_TOKEN_REQUIRED"},
		{mfad.EInvalidCode, 0x3003, users, "INVALID_TWO_FACTOR_TOKEN"},
		{mfad.ELocked, 0x3004, users, "TWO_FACTOR_LOCKED"},
		{mfad.EThrottled, 0x3005, users, "TOO_MANY_ATTEMPTS"},
		{mfad.ESetupRequired, 0x3006, users, "TWO_FACTOR_SETUP_REQUIRED"},
		{mfad.EUnauthenticated, 4101, srv, "INSUFFICIENT_ACCESS"},
		{mfad.EForbidden, 4101, srv, "INSUFFICIENT_ACCESS"},
		{mfad.EPolicy, 4101, srv, "INSUFFICIENT_ACCESS"},
		{mfad.ENotFound, 1539, srv, "INVALID_FIELD"},
		{mfad.EConflict, 257, srv, "FAIL"},
		{mfad.ENotEnrolled, 257, srv, "FAIL"},
		{mfad.ENoPending, 257, srv, "FAIL"},
		{mfad.EExpired, 257, srv, "FAIL"},
		{mfad.EAppIgnored, 0x3003, users, "INVALID_TWO_FACTOR_TOKEN"},
		{mfad.EInternal, 258, srv, "UNEXPECTED"},
		{"a_code_missing_from_the_table", 258, srv, "UNEXPECTED"},
	}
	for _, tt := range tests {
		t.Run(string(tt.code), func(t *testing.T) {
			err := mfad.Errorf(tt.code, "the message")
			got := tchmi.ErrorOf(err, true)
			reason := "the message"
			if tt.want == tchmi.CodeUnexpected {
				reason = "internal error"
			}
			if *got != (tchmi.Error{Code: tt.want, Domain: tt.domain, Message: tt.name, Reason: reason}) {
				t.Errorf("ErrorOf(%s, true) = %+v, want %d %s %s %q", tt.code, *got, tt.want, tt.domain, tt.name, reason)
			}
			bare := tchmi.ErrorOf(err, false)
			if *bare != (tchmi.Error{Code: tt.want, Domain: tt.domain}) {
				t.Errorf("ErrorOf(%s, false) = %+v, want code and domain only", tt.code, *bare)
			}
		})
	}
}

func TestErrorOfOtherErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want tchmi.Error
	}{
		{"an error from outside the domain hides its text", errors.New("disk on fire at /var/lib/mfad"),
			tchmi.Error{Code: 258, Domain: "TcHmiSrv", Message: "UNEXPECTED", Reason: "internal error"}},
		{"an internal domain error hides its message", &mfad.Error{Code: mfad.EInternal, Message: "database detail"},
			tchmi.Error{Code: 258, Domain: "TcHmiSrv", Message: "UNEXPECTED", Reason: "internal error"}},
		{"a lockout says when to retry", &mfad.Error{Code: mfad.ELocked, Message: "locked", RetryAfter: 1500 * time.Millisecond},
			tchmi.Error{Code: 0x3004, Domain: "TcHmiUserManagement", Message: "TWO_FACTOR_LOCKED", Reason: "locked (retry after 2 s)"}},
		{"a front error passes as it is", &tchmi.Error{Code: 513, Domain: "TcHmiSrv", Message: "SYMBOL_NOT_MAPPED", Reason: "r"},
			tchmi.Error{Code: 513, Domain: "TcHmiSrv", Message: "SYMBOL_NOT_MAPPED", Reason: "r"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tchmi.ErrorOf(tt.err, true); *got != tt.want {
				t.Errorf("ErrorOf = %+v, want %+v", *got, tt.want)
			}
		})
	}
}
