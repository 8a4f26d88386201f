package rest_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/rest"
)

// TestStatusTable holds every domain error code to its HTTP status, with
// the headers that go with it.
func TestStatusTable(t *testing.T) {
	table := []struct {
		code   mfad.Code
		status int
	}{
		{mfad.EInvalidInput, 400},
		{mfad.EInvalidLogin, 401},
		{mfad.EInvalidCode, 401},
		{mfad.EUnauthenticated, 401},
		{mfad.EForbidden, 403},
		{mfad.EStepUp, 403},
		{mfad.ESetupRequired, 403},
		{mfad.EPolicy, 403},
		{mfad.ENotFound, 404},
		{mfad.EConflict, 409},
		{mfad.ENoPending, 409},
		{mfad.ENotEnrolled, 409},
		{mfad.EExpired, 410},
		{mfad.ELocked, 423},
		{mfad.EThrottled, 429},
		{mfad.EAppIgnored, 422},
		{mfad.EUnavailable, 503},
		{mfad.EBusy, 429},
		{mfad.EInternal, 500},
	}
	for _, c := range table {
		err := &mfad.Error{Code: c.code, Message: "the message", RetryAfter: 1500 * time.Millisecond}
		rec, body := writeError(t, err)
		if rec.Code != c.status {
			t.Errorf("%s: status %d, want %d", c.code, rec.Code, c.status)
		}
		if body.Error.Code != string(c.code) {
			t.Errorf("%s: wire code %q", c.code, body.Error.Code)
		}
		wantMsg := "the message"
		if c.code == mfad.EInternal {
			wantMsg = "internal error"
		}
		if body.Error.Message != wantMsg {
			t.Errorf("%s: message %q, want %q", c.code, body.Error.Message, wantMsg)
		}
		wantAuth := c.code == mfad.EUnauthenticated
		if got := rec.Header().Get("WWW-Authenticate"); (got != "") != wantAuth || (wantAuth && got[:6] != "Bearer") {
			t.Errorf("%s: WWW-Authenticate %q", c.code, got)
		}
		wantRetry := ""
		if c.code == mfad.ELocked || c.code == mfad.EThrottled || c.code == mfad.EBusy || c.code == mfad.EUnavailable {
			wantRetry = "2" // 1.5 s, rounded up
		}
		if got := rec.Header().Get("Retry-After"); got != wantRetry {
			t.Errorf("%s: Retry-After %q, want %q", c.code, got, wantRetry)
		}
	}
}

func TestErrorEdgeCases(t *testing.T) {
	// A lock only an admin lifts has no time to retry at.
	rec, _ := writeError(t, mfad.Errorf(mfad.ELocked, "locked"))
	if rec.Code != 423 || rec.Header().Get("Retry-After") != "" {
		t.Errorf("hard lock: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	// Errors from outside the domain and unknown codes are internal, and
	// their text never reaches the client.
	for _, err := range []error{
		errors.New("secret detail"),
		&mfad.Error{Code: "no_such_code", Message: "secret detail"},
		&mfad.Error{Code: mfad.EInternal, Message: "secret detail"},
	} {
		rec, body := writeError(t, err)
		if rec.Code != 500 || body.Error.Code != "internal" || body.Error.Message != "internal error" {
			t.Errorf("%v: %d %+v", err, rec.Code, body)
		}
	}
}

type errorBody struct {
	Error struct{ Code, Message string }
}

func writeError(t *testing.T, err error) (*httptest.ResponseRecorder, errorBody) {
	t.Helper()
	rec := httptest.NewRecorder()
	rest.WriteError(rec, httptest.NewRequest(http.MethodGet, "/v1/me", nil), err)
	var body errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body: %v: %s", err, rec.Body)
	}
	if rec.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("content type %q", rec.Header().Get("Content-Type"))
	}
	return rec, body
}
