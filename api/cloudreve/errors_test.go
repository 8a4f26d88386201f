package cloudreve_test

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/cloudreve"
)

// The one table: each core code, on a route without exceptions.
var wantCodes = map[mfad.Code]struct {
	code int
	msg  string // "" : the core's message
}{
	mfad.EInvalidInput:    {40001, ""},
	mfad.EInvalidCode:     {40022, "Incorrect 2FA code"},
	mfad.EStepUp:          {40022, "Incorrect 2FA code"},
	mfad.ENotEnrolled:     {40022, "Incorrect 2FA code"},
	mfad.EInvalidLogin:    {40080, "Incorrect password or email address"},
	mfad.EUnauthenticated: {401, "Login required"},
	mfad.EForbidden:       {403, ""},
	mfad.ESetupRequired:   {403, ""},
	mfad.EPolicy:          {403, ""},
	mfad.ENotFound:        {404, ""},
	mfad.EExpired:         {404, ""},
	mfad.ENoPending:       {50005, "You have not initiated 2FA session"},
	mfad.EConflict:        {409, ""},
	mfad.ELocked:          {40090, "Too many requests, please try again later."},
	mfad.EThrottled:       {40090, "Too many requests, please try again later."},
	mfad.EAppIgnored:      {40022, ""}, // "": the envelope carries the core's message, what the app ignored
	mfad.EUnavailable:     {50001, "Service temporarily unavailable, please try again later"},
	mfad.EBusy:            {40090, "Too many logins at once, please try again in a moment"},
	mfad.EInternal:        {50001, "Internal error"},
}

func TestErrorTableCoversEveryCode(t *testing.T) {
	for _, c := range mfad.Codes() {
		want, known := wantCodes[c]
		if !known {
			t.Errorf("core code %q has no expected Cloudreve code in this test (nor, probably, in errors.go)", c)
			continue
		}
		code, msg := cloudreve.WireOf(mfad.Errorf(c, "x"), "")
		if code != want.code || msg != want.msg {
			t.Errorf("%s: Cloudreve %d %q, want %d %q", c, code, msg, want.code, want.msg)
		}
		if c != mfad.EInternal && c != mfad.EUnavailable && code == 50001 {
			t.Errorf("%s falls through to the internal error", c)
		}
	}
}

// The few endpoints where Cloudreve answers a core code differently.
func TestErrorOverrides(t *testing.T) {
	cases := []struct {
		route string
		core  mfad.Code
		code  int
		msg   string
	}{
		{"POST /session/token/2fa", mfad.ENotFound, 404, "Session not found"},
		{"POST /session/token/2fa", mfad.EExpired, 404, "Session not found"},
		{"POST /session/token/2fa", mfad.EInvalidCode, 40022, "Incorrect 2FA code"},
		{"POST /session/token/2fa", mfad.ELocked, 40090, "Too many requests, please try again later."},
		{"POST /session/token/refresh", mfad.EUnauthenticated, 40020, "Failed to issue token pair"},
		{"DELETE /session/token", mfad.EUnauthenticated, 40020, "Failed to parse token"},
		{"PATCH /user/setting", mfad.EExpired, 50005, "You have not initiated 2FA session"},
		{"PATCH /user/setting", mfad.ENoPending, 50005, "You have not initiated 2FA session"},
		{"PATCH /user/setting", mfad.EInvalidLogin, 40069, "Incorrect password"},
		{"PATCH /user/setting", mfad.EInvalidCode, 40022, "Incorrect 2FA code"},
		{"POST /session/token", mfad.EInvalidLogin, 40080, "Incorrect password or email address"},
		{"GET /user/setting", mfad.EUnauthenticated, 401, "Login required"},
	}
	for _, c := range cases {
		code, msg := cloudreve.WireOf(mfad.Errorf(c.core, "x"), c.route)
		if code != c.code || msg != c.msg {
			t.Errorf("%s %s: %d %q, want %d %q", c.route, c.core, code, msg, c.code, c.msg)
		}
	}
}

// A failure outside the domain is 50001 with a fixed text: no detail of
// the cause reaches the client.
func TestWriteErrorHidesInternals(t *testing.T) {
	cases := []struct {
		name       string
		err        error
		code       int
		msg, error string
		retry      string
	}{
		{"foreign", errors.New("disk /var/lib/mfad full; secret=abc"), 50001, "Internal error", "internal error", ""},
		{"internal", &mfad.Error{Code: mfad.EInternal, Message: "db at /x broke"}, 50001, "Internal error", "internal error", ""},
		{"locked", &mfad.Error{Code: mfad.ELocked, Message: "locked", RetryAfter: 90 * time.Second}, 40090, "Too many requests, please try again later.", "locked", "90"},
		{"hard locked", &mfad.Error{Code: mfad.ELocked, Message: "an administrator must unlock it"}, 40090, "Too many requests, please try again later.", "an administrator must unlock it", ""},
		{"bad input", mfad.Errorf(mfad.EInvalidInput, "Email cannot be empty"), 40001, "Email cannot be empty", "Email cannot be empty", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			cloudreve.WriteError(rec, c.err)
			if rec.Code != 200 {
				t.Fatalf("HTTP %d", rec.Code)
			}
			var got struct {
				Code          int
				Msg           string
				Error         string
				CorrelationID string `json:"correlation_id"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.Code != c.code || got.Msg != c.msg || got.Error != c.error || !uuidV4.MatchString(got.CorrelationID) {
				t.Errorf("got %s", rec.Body)
			}
			if ra := rec.Header().Get("Retry-After"); ra != c.retry {
				t.Errorf("Retry-After %q, want %q", ra, c.retry)
			}
		})
	}
}
