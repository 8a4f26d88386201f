package veeam

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/httpx"
)

// wireError is how one domain error code goes on the wire: as a problem
// answer of the versioned routes, and as a problem answer of the token
// endpoint that also carries RFC 6749 §5.2's error.
type wireError struct {
	Status      int    // HTTP status of a versioned route's answer
	OAuthStatus int    // HTTP status of a token endpoint answer
	OAuthError  string // RFC 6749 error code of a token endpoint answer
}

// wireErrors is the one table from domain error codes to wire errors. A
// code missing here answers 500, so a new code in package mfad must be
// added.
var wireErrors = map[mfad.Code]wireError{
	mfad.EInvalidInput:    {http.StatusBadRequest, http.StatusBadRequest, "invalid_request"},
	mfad.EInvalidCode:     {http.StatusBadRequest, http.StatusBadRequest, "invalid_grant"},
	mfad.EInvalidLogin:    {http.StatusUnauthorized, http.StatusUnauthorized, "invalid_grant"},
	mfad.EUnauthenticated: {http.StatusUnauthorized, http.StatusBadRequest, "invalid_grant"},
	mfad.EForbidden:       {http.StatusForbidden, http.StatusBadRequest, "invalid_grant"},
	mfad.EStepUp:          {http.StatusForbidden, http.StatusBadRequest, "invalid_grant"},
	mfad.ESetupRequired:   {http.StatusForbidden, http.StatusBadRequest, "invalid_grant"},
	mfad.EPolicy:          {http.StatusForbidden, http.StatusBadRequest, "invalid_grant"},
	mfad.ENotFound:        {http.StatusNotFound, http.StatusBadRequest, "invalid_grant"},
	mfad.EConflict:        {http.StatusConflict, http.StatusBadRequest, "invalid_grant"},
	mfad.ENotEnrolled:     {http.StatusConflict, http.StatusBadRequest, "invalid_grant"},
	mfad.ENoPending:       {http.StatusBadRequest, http.StatusBadRequest, "invalid_grant"},
	mfad.EExpired:         {http.StatusBadRequest, http.StatusBadRequest, "invalid_grant"},
	mfad.ELocked:          {http.StatusLocked, http.StatusBadRequest, "invalid_grant"},
	mfad.EThrottled:       {http.StatusTooManyRequests, http.StatusTooManyRequests, "temporarily_unavailable"},
	mfad.EBusy:            {http.StatusTooManyRequests, http.StatusTooManyRequests, "temporarily_unavailable"},
	mfad.EAppIgnored:      {http.StatusBadRequest, http.StatusBadRequest, "invalid_grant"},
	mfad.EUnavailable:     {http.StatusServiceUnavailable, http.StatusServiceUnavailable, "temporarily_unavailable"}, // RFC 6749 §5.2's word for it
	mfad.EInternal:        {http.StatusInternalServerError, http.StatusInternalServerError, "server_error"},
}

// wireOf returns the wire form of err and its domain code (EInternal for a
// code missing from the table).
func wireOf(err error) (wireError, mfad.Code) {
	code := mfad.ErrorCode(err)
	we, ok := wireErrors[code]
	if !ok {
		return wireErrors[mfad.EInternal], mfad.EInternal
	}
	return we, code
}

// problem is the body of every error: RFC 9457 problem details, as v8.1's
// ProblemDetails schemas have them (type, title, status, detail, traceId),
// with mfad's error code in errorCode. Token endpoint errors also carry
// RFC 6749 §5.2's error and error_description, so OAuth clients read them
// too.
type problem struct {
	Type        string `json:"type"`
	Title       string `json:"title"`
	Status      int    `json:"status"`
	Detail      string `json:"detail"`
	TraceID     string `json:"traceId,omitempty"`
	ErrorCode   string `json:"errorCode"`
	Error       string `json:"error,omitempty"`
	Description string `json:"error_description,omitempty"`
}

// writeProblem writes err as a problem answer, with WWW-Authenticate for a
// missing or bad token and Retry-After for a lockout or throttle that ends.
func writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	we, code := wireOf(err)
	msg := message(r, err, code)
	switch code {
	case mfad.EUnauthenticated:
		challenge := `Bearer realm="mfad"`
		if httpx.Bearer(r) != "" {
			challenge += `, error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
	case mfad.ELocked, mfad.EThrottled, mfad.EBusy, mfad.EUnavailable:
		httpx.RetryAfter(w, err)
	}
	writeProblemStatus(w, r, we.Status, string(code), msg)
}

func writeProblemStatus(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	writeProblemBody(w, problemOf(r, status, code, msg))
}

func problemOf(r *http.Request, status int, code, msg string) problem {
	return problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: msg,
		TraceID: httpx.RequestID(r.Context()), ErrorCode: code}
}

func writeProblemBody(w http.ResponseWriter, p problem) {
	writeBody(w, p.Status, "application/problem+json; charset=utf-8", p)
}

// errUnsupportedGrant is a grant_type mfad does not serve.
var errUnsupportedGrant = mfad.Errorf(mfad.EInvalidInput, "grant_type must be Password, Mfa or Refresh_token")

// writeTokenError writes err as a problem answer of the token endpoint,
// with RFC 6749's error and Retry-After for a lockout or throttle that ends.
func writeTokenError(w http.ResponseWriter, r *http.Request, err error) {
	we, code := wireOf(err)
	p := problemOf(r, we.OAuthStatus, string(code), message(r, err, code))
	p.Error, p.Description = we.OAuthError, p.Detail
	if errors.Is(err, errUnsupportedGrant) {
		p.Error = "unsupported_grant_type"
	}
	if code == mfad.ELocked || code == mfad.EThrottled || code == mfad.EBusy || code == mfad.EUnavailable {
		httpx.RetryAfter(w, err)
	}
	w.Header().Set("Pragma", "no-cache")
	writeProblemBody(w, p)
}

func writeOAuth(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, status, v)
}

// message returns the client-safe message of err. An internal error is
// logged here when the core did not log it (an error from outside the
// domain, or a code missing from the table).
func message(r *http.Request, err error, code mfad.Code) string {
	if code != mfad.EInternal {
		return mfad.ErrorMessage(err)
	}
	var de *mfad.Error
	if !errors.As(err, &de) || de.Code != mfad.EInternal {
		slog.Error("veeam: internal error", "request_id", httpx.RequestID(r.Context()),
			"method", r.Method, "path", r.URL.Path, "err", err)
	}
	return "internal error"
}

// WireErrors returns the wire form of each code in wireErrors, for the
// test that every code of mfad.Codes has one in every front.
func WireErrors() map[mfad.Code]string {
	out := make(map[mfad.Code]string, len(wireErrors))
	for c, w := range wireErrors {
		out[c] = fmt.Sprintf("%d; token endpoint %d %s", w.Status, w.OAuthStatus, w.OAuthError)
	}
	return out
}
