package e2e_test

import (
	"testing"
	"time"

	"github.com/mfad/mfad/internal/e2e"
)

// TestSessionsEndAbsolutely (issue 26, item 6): no use, renewal or refresh
// keeps a session past its maximum age, whatever front uses it. A
// persistent TwinCAT login used every ten days (its id also works as a /v1
// bearer token, and each use renews its 30-day idle timeout) ends 30 days
// after the login; a /v1 session refreshed every 13 days ends then too.
func TestSessionsEndAbsolutely(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs mfad")
	}
	srv := e2e.Start(t, e2e.Options{})
	srv.AddUser("hmi", "hmi-password-e2e")

	var tc struct {
		SessionID string `json:"sessionId"`
	}
	if st, _ := srv.Do("POST", "/Login", "", map[string]any{"userName": "hmi", "password": "hmi-password-e2e", "persistent": true}, &tc); st != 200 || tc.SessionID == "" {
		t.Fatalf("TwinCAT login: %d %+v", st, tc)
	}
	var rest struct {
		Access  string `json:"access_token"`
		Refresh string `json:"refresh_token"`
		Expires string `json:"refresh_expires_at"`
	}
	if st, _ := srv.Do("POST", "/v1/login", "", map[string]any{"login": "hmi", "password": "hmi-password-e2e"}, &rest); st != 200 {
		t.Fatalf("REST login: %d", st)
	}
	login := srv.Now()
	at := func(day int) { srv.Advance(login.Add(time.Duration(day) * 24 * time.Hour).Sub(srv.Now())) }
	for _, day := range []int{10, 20, 29} {
		at(day)
		if st, _ := srv.Do("GET", "/v1/me", tc.SessionID, nil, nil); st != 200 {
			t.Fatalf("day %d: the TwinCAT session at /v1/me: %d, want 200", day, st)
		}
		if st, _ := srv.Do("POST", "/v1/token/refresh", "", map[string]any{"refresh_token": rest.Refresh}, &rest); st != 200 {
			t.Fatalf("day %d: refresh: %d, want 200", day, st)
		}
		end := login.Add(30 * 24 * time.Hour)
		if exp, err := time.Parse(time.RFC3339, rest.Expires); err != nil || exp.After(end.Add(time.Second)) {
			t.Errorf("day %d: refresh_expires_at %s, past the session's end %s", day, rest.Expires, end)
		}
	}
	at(30) // and a moment: past the end
	srv.Advance(time.Minute)
	if st, _ := srv.Do("GET", "/v1/me", tc.SessionID, nil, nil); st != 401 {
		t.Errorf("day 30: the TwinCAT session at /v1/me: %d, want 401", st)
	}
	if st, _ := srv.Do("POST", "/v1/token/refresh", "", map[string]any{"refresh_token": rest.Refresh}, nil); st != 401 {
		t.Errorf("day 30: refresh: %d, want 401", st)
	}
	if st, _ := srv.Do("GET", "/v1/me", rest.Access, nil, nil); st != 401 {
		t.Errorf("day 30: the REST access token: %d, want 401", st)
	}
}
