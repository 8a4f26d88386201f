package veeam_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/veeam"
)

// TestErrorTable holds the one table from domain codes to wire errors: the
// status and errorCode of a problem answer of the versioned routes, and the
// status and RFC 6749 error of a token endpoint's problem answer.
func TestErrorTable(t *testing.T) {
	tests := []struct {
		code        mfad.Code
		status      int
		oauthStatus int
		oauthError  string
	}{
		{mfad.EInvalidInput, 400, 400, "invalid_request"},
		{mfad.EInvalidCode, 400, 400, "invalid_grant"},
		{mfad.EInvalidLogin, 401, 401, "invalid_grant"},
		{mfad.EUnauthenticated, 401, 400, "invalid_grant"},
		{mfad.EForbidden, 403, 400, "invalid_grant"},
		{mfad.EStepUp, 403, 400, "invalid_grant"},
		{mfad.ESetupRequired, 403, 400, "invalid_grant"},
		{mfad.EPolicy, 403, 400, "invalid_grant"},
		{mfad.ENotFound, 404, 400, "invalid_grant"},
		{mfad.EConflict, 409, 400, "invalid_grant"},
		{mfad.ENotEnrolled, 409, 400, "invalid_grant"},
		{mfad.ENoPending, 400, 400, "invalid_grant"},
		{mfad.EExpired, 400, 400, "invalid_grant"},
		{mfad.ELocked, 423, 400, "invalid_grant"},
		{mfad.EThrottled, 429, 429, "temporarily_unavailable"},
		{mfad.EAppIgnored, 400, 400, "invalid_grant"},
		{mfad.EUnavailable, 503, 503, "temporarily_unavailable"},
		{mfad.EBusy, 429, 429, "temporarily_unavailable"},
		{mfad.EInternal, 500, 500, "server_error"},
	}
	covered := map[mfad.Code]bool{}
	for _, tt := range tests {
		covered[tt.code] = true
		t.Run(string(tt.code), func(t *testing.T) {
			err := &mfad.Error{Code: tt.code, Message: "msg", RetryAfter: 1500 * time.Millisecond}
			r := httptest.NewRequest("GET", "/api/v1/users", nil)

			w := httptest.NewRecorder()
			veeam.WriteProblem(w, r, err)
			var p struct {
				Title     string `json:"title"`
				Status    int    `json:"status"`
				Detail    string `json:"detail"`
				ErrorCode string `json:"errorCode"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			wantMsg := "msg"
			if tt.code == mfad.EInternal {
				wantMsg = "internal error"
			}
			if w.Code != tt.status || p.Status != tt.status || p.ErrorCode != string(tt.code) || p.Detail != wantMsg || p.Title != http.StatusText(tt.status) {
				t.Errorf("problem: %d %+v, want %d %s", w.Code, p, tt.status, tt.code)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/problem+json; charset=utf-8" {
				t.Errorf("problem Content-Type %q", ct)
			}
			checkRetryAfter(t, tt.code, w.Header())

			w = httptest.NewRecorder()
			veeam.WriteTokenError(w, httptest.NewRequest("POST", "/api/oauth2/token", nil), err)
			var o struct {
				Status      int    `json:"status"`
				ErrorCode   string `json:"errorCode"`
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &o); err != nil {
				t.Fatal(err)
			}
			if w.Code != tt.oauthStatus || o.Status != tt.oauthStatus || o.ErrorCode != string(tt.code) ||
				o.Error != tt.oauthError || o.Description != wantMsg {
				t.Errorf("token error: %d %+v, want %d %s", w.Code, o, tt.oauthStatus, tt.oauthError)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/problem+json; charset=utf-8" {
				t.Errorf("token error Content-Type %q", ct)
			}
			if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Pragma") != "no-cache" {
				t.Errorf("token error headers %v", w.Header())
			}
			checkRetryAfter(t, tt.code, w.Header())
		})
	}
	for _, c := range mfad.Codes() {
		if !covered[c] {
			t.Errorf("code %s missing from the table test", c)
		}
	}
}

func checkRetryAfter(t *testing.T, code mfad.Code, h http.Header) {
	t.Helper()
	want := ""
	if code == mfad.ELocked || code == mfad.EThrottled || code == mfad.EBusy || code == mfad.EUnavailable {
		want = "2"
	}
	if got := h.Get("Retry-After"); got != want {
		t.Errorf("Retry-After %q, want %q", got, want)
	}
}

// TestErrorUnknown: an error from outside the domain, or a code missing
// from the table, is a 500 that shows nothing of the cause.
func TestErrorUnknown(t *testing.T) {
	for _, err := range []error{errors.New("disk on fire: secret-value"), &mfad.Error{Code: "no_such_code", Message: "secret-value"}} {
		w := httptest.NewRecorder()
		veeam.WriteProblem(w, httptest.NewRequest("GET", "/api/v1/users", nil), err)
		want := `{"type":"about:blank","title":"Internal Server Error","status":500,"detail":"internal error","errorCode":"internal"}` + "\n"
		if w.Code != 500 || w.Body.String() != want {
			t.Errorf("%v: %d %s", err, w.Code, w.Body)
		}
		w = httptest.NewRecorder()
		veeam.WriteTokenError(w, httptest.NewRequest("POST", "/api/oauth2/token", nil), err)
		want = `{"type":"about:blank","title":"Internal Server Error","status":500,"detail":"internal error","errorCode":"internal","error":"server_error","error_description":"internal error"}` + "\n"
		if w.Code != 500 || w.Body.String() != want {
			t.Errorf("%v: %d %s", err, w.Code, w.Body)
		}
	}
}
