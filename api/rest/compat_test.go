package rest_test

import (
	"strings"
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/otp"
)

// choices lets users ask for SHA-256/512 and 8 digits, as an operator may.
func choices() auth.Config {
	cfg := auth.DefaultConfig()
	cfg.Allowed = auth.OTPChoices{Algorithms: []string{"SHA1", "SHA256", "SHA512"}, Digits: []int{6, 8}, Periods: []int{30}}
	return cfg
}

// TestConfirmAppIgnoredSettings: an authenticator app that ignores the
// URI's algorithm or digits shows SHA-1/6-digit codes; confirming with one
// is refused with app_ignored_settings (not a plain wrong code), audited so,
// and counted as a wrong code; the right code still confirms afterwards.
func TestConfirmAppIgnoredSettings(t *testing.T) {
	tests := []struct {
		name      string
		algorithm string
		digits    int
		app       otp.Key // what the app computes from the secret
		status    int
		code      mfad.Code
	}{
		{"SHA-1 code for SHA-256", "SHA256", 6, otp.Key{Algorithm: otp.SHA1, Digits: 6}, 422, mfad.EAppIgnored},
		{"SHA-1 code for SHA-512/8", "SHA512", 8, otp.Key{Algorithm: otp.SHA1, Digits: 6}, 422, mfad.EAppIgnored},
		{"6 digits for SHA-1/8", "SHA1", 8, otp.Key{Algorithm: otp.SHA1, Digits: 6}, 422, mfad.EAppIgnored},
		{"SHA-1/8 for SHA-256/8", "SHA256", 8, otp.Key{Algorithm: otp.SHA1, Digits: 8}, 422, mfad.EAppIgnored},
		{"SHA-512 code for SHA-256 is just wrong", "SHA256", 6, otp.Key{Algorithm: otp.SHA512, Digits: 6}, 401, mfad.EInvalidCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvConfig(t, choices())
			id := e.createUser("alice")
			alice := e.login("alice", userPassword)
			p := e.do("POST", "/v1/users/me/2fa/prepare", alice, map[string]any{"algorithm": tt.algorithm, "digits": tt.digits}).want(200)
			want := keyOf(t, p.str("secret"))
			want.Algorithm, _ = otp.ParseAlgorithm(tt.algorithm)
			want.Digits = tt.digits
			app := tt.app
			app.Secret = want.Secret
			confirm := func(code string) *resp {
				return e.do("POST", "/v1/users/me/2fa/confirm", alice, map[string]any{
					"enrollment_token": p.str("enrollment_token"), "code": code})
			}
			r := confirm(e.code(app)).wantError(tt.status, tt.code)
			if tt.code == mfad.EAppIgnored {
				if msg := r.str("error", "message"); msg == "" || !strings.Contains(msg, "ignored") {
					t.Errorf("message %q does not say what the app ignored", msg)
				}
			}
			ev := e.do("GET", "/v1/audit?limit=1&user_id="+itoa(id), e.admin, nil).want(200).get("events").([]any)[0].(map[string]any)
			if ev["action"] != "2fa.confirm" || ev["result"] != string(tt.code) {
				t.Errorf("audit: %v, want 2fa.confirm %s", ev, tt.code)
			}
			if st := e.do("GET", "/v1/users/me/2fa", alice, nil).want(200); st.get("enabled") != false {
				t.Errorf("2FA on after a refused code: %s", st.body)
			}
			confirm(e.code(want)).want(200)
		})
	}
}

// TestAppIgnoredCountsAsWrong: five codes of an app that ignored the
// settings void the enrollment like five wrong codes.
func TestAppIgnoredCountsAsWrong(t *testing.T) {
	e := newEnvConfig(t, choices())
	e.createUser("alice")
	alice := e.login("alice", userPassword)
	p := e.do("POST", "/v1/users/me/2fa/prepare", alice, map[string]any{"algorithm": "SHA256"}).want(200)
	key := keyOf(t, p.str("secret"))
	confirm := func(code string) *resp {
		return e.do("POST", "/v1/users/me/2fa/confirm", alice, map[string]any{
			"enrollment_token": p.str("enrollment_token"), "code": code})
	}
	for i := 0; i < 5; i++ {
		r := confirm(e.code(key)).wantError(422, mfad.EAppIgnored) // key is SHA-1: the app's view
		if i == 4 && !strings.Contains(r.str("error", "message"), "void") {
			t.Errorf("fifth refusal does not say the enrollment is void: %s", r.body)
		}
	}
	key.Algorithm = otp.SHA256
	confirm(e.code(key)).wantError(409, mfad.ENoPending)
}

// TestPrepareChoices: only the values the operator allows are accepted.
func TestPrepareChoices(t *testing.T) {
	tests := []struct {
		name   string
		cfg    auth.Config
		body   map[string]any
		status int
		uri    string // a part of the otpauth URI
	}{
		{"defaults", auth.Config{}, nil, 200, "period=30"},
		{"SHA-256 not allowed by default", auth.Config{}, map[string]any{"algorithm": "SHA256"}, 400, ""},
		{"8 digits not allowed by default", auth.Config{}, map[string]any{"digits": 8}, 400, ""},
		{"SHA-256 allowed", choices(), map[string]any{"algorithm": "SHA256"}, 200, "algorithm=SHA256"},
		{"8 digits allowed", choices(), map[string]any{"digits": 8}, 200, "digits=8"},
		{"period 60 not allowed", choices(), map[string]any{"period": 60}, 400, ""},
		{"unknown algorithm", choices(), map[string]any{"algorithm": "MD5"}, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvConfig(t, tt.cfg)
			e.createUser("alice")
			alice := e.login("alice", userPassword)
			r := e.do("POST", "/v1/users/me/2fa/prepare", alice, tt.body)
			if tt.status != 200 {
				r.wantError(tt.status, mfad.EInvalidInput)
				return
			}
			if uri := r.want(200).str("otpauth_uri"); !strings.Contains(uri, tt.uri) {
				t.Errorf("URI %q lacks %q", uri, tt.uri)
			}
		})
	}
}
