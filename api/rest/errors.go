package rest

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/httpx"
)

// statuses maps every domain error code to its HTTP status. A code missing
// here answers 500, so a new code in package mfad must be added.
var statuses = map[mfad.Code]int{
	mfad.EInvalidInput:    http.StatusBadRequest,
	mfad.EInvalidLogin:    http.StatusUnauthorized,
	mfad.EInvalidCode:     http.StatusUnauthorized,
	mfad.EUnauthenticated: http.StatusUnauthorized,
	mfad.EForbidden:       http.StatusForbidden,
	mfad.EStepUp:          http.StatusForbidden,
	mfad.ESetupRequired:   http.StatusForbidden,
	mfad.EPolicy:          http.StatusForbidden,
	mfad.ENotFound:        http.StatusNotFound,
	mfad.EConflict:        http.StatusConflict,
	mfad.ENoPending:       http.StatusConflict,
	mfad.ENotEnrolled:     http.StatusConflict,
	mfad.EExpired:         http.StatusGone,
	mfad.ELocked:          http.StatusLocked,
	mfad.EThrottled:       http.StatusTooManyRequests,
	mfad.EBusy:            http.StatusTooManyRequests,     // with Retry-After; its own code and message
	mfad.EAppIgnored:      http.StatusUnprocessableEntity, // the code is SHA-1/6 digits: a different answer from a wrong one
	mfad.EUnavailable:     http.StatusServiceUnavailable,  // with Retry-After: come back in a moment
	mfad.EInternal:        http.StatusInternalServerError,
}

// codeMethodNotAllowed is the one error code that is not a domain code: a
// known path asked with a method it does not serve.
const codeMethodNotAllowed = "method_not_allowed"

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// statusOf returns the HTTP status and wire code of err.
func statusOf(err error) (int, mfad.Code) {
	code := mfad.ErrorCode(err)
	status, ok := statuses[code]
	if !ok {
		return http.StatusInternalServerError, mfad.EInternal
	}
	return status, code
}

// writeError writes err as {"error":{"code","message"}} with its status,
// WWW-Authenticate for a missing or bad token and Retry-After for a
// lockout or throttle that ends (none for a lock only an admin lifts).
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, code := statusOf(err)
	msg := mfad.ErrorMessage(err)
	switch code {
	case mfad.EInternal:
		msg = "internal error"
		// The core logs its own internal errors; log what it did not see:
		// errors from outside the domain and codes missing from statuses.
		var de *mfad.Error
		if !errors.As(err, &de) || de.Code != mfad.EInternal {
			slog.Error("rest: internal error", "request_id", httpx.RequestID(r.Context()),
				"method", r.Method, "path", r.URL.Path, "err", err)
		}
	case mfad.EUnauthenticated:
		challenge := `Bearer realm="mfad"`
		if httpx.Bearer(r) != "" {
			challenge += `, error="invalid_token"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
	case mfad.ELocked, mfad.EThrottled, mfad.EBusy, mfad.EUnavailable:
		httpx.RetryAfter(w, err)
	}
	httpx.WriteJSON(w, status, errorBody{errorDetail{string(code), msg}})
}

// unrouted answers a /v1/ request that matched no route: 405 with Allow
// when the path is served for other methods, else 404.
func (s *server) unrouted(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/v1/" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		writeError(w, r, mfad.Errorf(mfad.ENotFound, "no such endpoint"))
		return
	}
	if slices.Contains(allow, "GET") {
		allow = append(allow, "HEAD")
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	httpx.WriteJSON(w, http.StatusMethodNotAllowed, errorBody{errorDetail{codeMethodNotAllowed,
		"method not allowed; allowed: " + strings.Join(allow, ", ")}})
}

// unsupportedMediaType answers a body that is not declared JSON: 415 with
// the code invalid_input.
func unsupportedMediaType(w http.ResponseWriter) {
	httpx.WriteJSON(w, http.StatusUnsupportedMediaType, errorBody{errorDetail{string(mfad.EInvalidInput),
		"Content-Type must be application/json"}})
}

// WireErrors returns the wire form of each code in statuses, for the test
// that every code of mfad.Codes has one in every front.
func WireErrors() map[mfad.Code]string {
	out := make(map[mfad.Code]string, len(statuses))
	for c, s := range statuses {
		out[c] = fmt.Sprintf("%d %s", s, c)
	}
	return out
}
