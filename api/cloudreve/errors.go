package cloudreve

import (
	"fmt"
	"net/http"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/httpx"
)

// wireError is a Cloudreve error: its numeric code and the msg Cloudreve
// gives it. An empty Msg means the core's client-safe message is the msg.
type wireError struct {
	Code int
	Msg  string
}

// Cloudreve's messages for the codes it answers with a fixed text
// (pkg/serializer, service/user/login.go and setting.go, middleware).
const (
	msgCode2FA     = "Incorrect 2FA code"
	msgNoPending   = "You have not initiated 2FA session"
	msgLogin       = "Incorrect password or email address"
	msgLoginNeeded = "Login required"
	msgRateLimited = "Too many requests, please try again later."
	msgSessionGone = "Session not found"
	msgInternal    = "Internal error"
	msgUnavailable = "Service temporarily unavailable, please try again later"
	msgBusy        = "Too many logins at once, please try again in a moment"
	msgBadPassword = "Incorrect password"
	msgRefreshFail = "Failed to issue token pair"
	msgSignOutFail = "Failed to parse token"
	msgParseID     = "Failed to parse object ID"
	msgEmailFormat = "Email format error"

	msgBatchIncomplete = "Not all operations are completed"
)

// codeBatchIncomplete is Cloudreve's CodeBatchOperationNotFullyCompleted:
// the envelope of a batch with failures, each in aggregated_error.
const codeBatchIncomplete = 40081

// codes is THE table: every core error code and the Cloudreve error it is
// answered with. A code missing here answers 50001, so a new code in
// package mfad must be added (the tests check that every code is here).
var codes = map[mfad.Code]wireError{
	mfad.EInvalidInput:    {40001, ""},             // CodeParamErr
	mfad.EInvalidCode:     {40022, msgCode2FA},     // Code2FACodeErr; a replayed code too
	mfad.EStepUp:          {40022, msgCode2FA},     // a sensitive action without a (recent) code: Cloudreve checks an absent code and fails
	mfad.ENotEnrolled:     {40022, msgCode2FA},     // Cloudreve checks the code against an empty secret and fails
	mfad.EInvalidLogin:    {40080, msgLogin},       // CodeInvalidPassword
	mfad.EUnauthenticated: {401, msgLoginNeeded},   // CodeCheckLogin
	mfad.EForbidden:       {403, ""},               // CodeNoPermissionErr
	mfad.ESetupRequired:   {403, ""},               // policy requires 2FA: the session may only enroll
	mfad.EPolicy:          {403, ""},               // policy forbids it (turning required 2FA off)
	mfad.ENotFound:        {404, ""},               // CodeNotFound
	mfad.EExpired:         {404, ""},               // gone like a Cloudreve KV entry past its TTL
	mfad.ENoPending:       {50005, msgNoPending},   // CodeInternalSetting, as Cloudreve answers it
	mfad.EConflict:        {409, ""},               // CodeConflict
	mfad.ELocked:          {40090, msgRateLimited}, // CodeRateLimited: see docs/dialects/cloudreve.md
	mfad.EThrottled:       {40090, msgRateLimited}, // CodeRateLimited
	mfad.EBusy:            {40090, msgBusy},        // CodeRateLimited: too many logins at once, not failures
	mfad.EAppIgnored:      {40022, ""},             // Code2FACodeErr, with the core's message: what the app ignored and what to do
	mfad.EUnavailable:     {50001, msgUnavailable}, // CodeDBError: the database cannot be reached now
	mfad.EInternal:        {50001, msgInternal},    // CodeDBError: the store is all that can fail
}

// overrides are the few places where Cloudreve answers one core error code
// differently on one endpoint; they replace entries of codes for that
// route only.
type overrides map[mfad.Code]wireError

var (
	// POST /session/token/2fa: an unknown or expired 2FA session.
	ticketErrors = overrides{
		mfad.ENotFound: {404, msgSessionGone},
		mfad.EExpired:  {404, msgSessionGone},
	}
	// POST /session/token/refresh: any bad refresh token.
	refreshErrors = overrides{
		mfad.EUnauthenticated: {40020, msgRefreshFail}, // CodeCredentialInvalid
	}
	// DELETE /session/token: any bad token.
	signOutErrors = overrides{
		mfad.EUnauthenticated: {40020, msgSignOutFail},
	}
	// PATCH /user/setting: an expired prepared secret is "not initiated"
	// (Cloudreve's KV entry is simply gone), and a wrong current password
	// of a password change is CodeIncorrectPassword.
	settingErrors = overrides{
		mfad.EExpired:      {50005, msgNoPending},
		mfad.EInvalidLogin: {40069, msgBadPassword},
	}
)

// wireOf returns the Cloudreve error of err, looking in ov first.
func wireOf(err error, ov overrides) wireError {
	code := mfad.ErrorCode(err)
	if we, ok := ov[code]; ok {
		return we
	}
	if we, ok := codes[code]; ok {
		return we
	}
	return codes[mfad.EInternal]
}

// writeError writes err as a Cloudreve failure: msg is Cloudreve's text
// for the code (or the core's message where Cloudreve has none), error is
// the core's client-safe message (it never holds a secret, code, password
// or token), correlation_id a fresh UUID. A lockout or throttle that ends
// gets Retry-After, as Cloudreve's rate limiter sets it.
func writeError(w http.ResponseWriter, err error, ov overrides) {
	httpx.RetryAfter(w, err)
	write(w, errorEnvelope(err, ov))
}

// errorEnvelope is the envelope of err, as writeError writes it.
func errorEnvelope(err error, ov overrides) envelope {
	we := wireOf(err, ov)
	detail := mfad.ErrorMessage(err)
	msg := we.Msg
	if msg == "" {
		msg = detail
	}
	return envelope{Code: we.Code, Msg: msg, Error: detail, CorrelationID: newUUID()}
}

// WireErrors returns the wire form of each code in codes, for the test
// that every code of mfad.Codes has one in every front.
func WireErrors() map[mfad.Code]string {
	out := make(map[mfad.Code]string, len(codes))
	for c, w := range codes {
		out[c] = fmt.Sprintf("%d %q", w.Code, w.Msg)
	}
	return out
}
