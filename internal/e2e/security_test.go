package e2e_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad/internal/e2e"
	"github.com/mfad/mfad/otp"
)

// The attacks of issue 14 (an outside red-team pass), replayed against a
// real mfad serve through the fronts an attacker would use.

// raw sends a request with a body of content type ct and decodes a JSON
// answer into out (if not nil and the answer is JSON).
func raw(t *testing.T, srv *e2e.Server, method, path, token, ct, body string, out any) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(b, out)
	}
	return res.StatusCode, string(b)
}

// veeamToken logs in through Veeam's OAuth token endpoint.
func veeamToken(t *testing.T, srv *e2e.Server, name, password string) string {
	t.Helper()
	form := url.Values{"grant_type": {"Password"}, "username": {name}, "password": {password}}.Encode()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if st, body := raw(t, srv, "POST", "/api/oauth2/token", "", "application/x-www-form-urlencoded", form, &out); st != 200 || out.AccessToken == "" {
		t.Fatalf("Veeam token: %d %s", st, body)
	}
	return out.AccessToken
}

// veeamEnable is Veeam's enableMfa on user id: the secret's key and the
// enrollment token.
func veeamEnable(t *testing.T, srv *e2e.Server, token, id string) (otp.Key, string) {
	t.Helper()
	var out struct {
		SecretKey string `json:"secretKey"`
		Token     string `json:"token"`
	}
	if st, body := raw(t, srv, "POST", "/api/v1/users/"+id+"/enableMfa", token, "application/json", `{"recreate":false}`, &out); st != 200 {
		t.Fatalf("enableMfa: %d %s", st, body)
	}
	secret, err := otp.DecodeSecret(out.SecretKey)
	if err != nil {
		t.Fatal(err)
	}
	return otp.Key{Secret: secret, Algorithm: otp.SHA1, Digits: 6, Period: 30}, out.Token
}

// zimbraEnableStep2 is Zimbra's second EnableTwoFactorAuthRequest step (in
// Zimbra's JSON form): the enablement token and a code, no password, no
// session. It returns the HTTP status and the body.
func zimbraEnableStep2(t *testing.T, srv *e2e.Server, name, token, code string) (int, string) {
	t.Helper()
	body := `{"Header":{"context":{"_jsns":"urn:zimbra"}},"Body":{"EnableTwoFactorAuthRequest":{"_jsns":"urn:zimbraAccount",` +
		`"name":{"_content":` + jsonString(name) + `},"authToken":{"verifyAccount":"1","_content":` + jsonString(token) + `},` +
		`"twoFactorCode":{"_content":` + jsonString(code) + `}}}}`
	return raw(t, srv, "POST", "/service/soap", "", "application/json", body, nil)
}

func jsonString(s string) string { b, _ := json.Marshal(s); return string(b) }

// TestPendingEnrollmentIsNoWayIn is issue 14 item 1. With a stolen session
// an attacker prepares 2FA on the victim's account through Veeam
// (enableMfa on her own id) and keeps the secret and the enrollment token.
// Zimbra's second enable step with that token and a code, with no password
// and no session, used to enable the attacker's secret and answer with a
// full session: after the victim changed her password, and even without.
// Wrong codes on a pending enrollment were judged without limit.
func TestPendingEnrollmentIsNoWayIn(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs mfad")
	}
	srv := e2e.Start(t, e2e.Options{})
	const pw = "victim-password-e2e"
	for _, id := range []string{"1001", "1002", "1003"} {
		srv.AddUser("victim"+id, pw, "--email", "victim"+id+"@example.org", "--id", id)
	}
	now := func() time.Time { return srv.Now() }

	t.Run("after a password change", func(t *testing.T) {
		const name, email = "victim1001", "victim1001@example.org"
		stolen := veeamToken(t, srv, name, pw)
		key, token := veeamEnable(t, srv, stolen, "1001")
		var own struct {
			AccessToken string `json:"access_token"`
		}
		if st, _ := srv.Do("POST", "/v1/login", "", map[string]string{"login": name, "password": pw}, &own); st != 200 {
			t.Fatalf("victim's login: %d", st)
		}
		if st, _ := srv.Do("PUT", "/v1/users/me/password", own.AccessToken,
			map[string]string{"current_password": pw, "new_password": pw + "-new"}, nil); st != 204 {
			t.Fatalf("password change: %d", st)
		}
		st, body := zimbraEnableStep2(t, srv, email, token, key.Code(now()))
		if st == 200 || strings.Contains(body, `"scratchCodes"`) {
			t.Fatalf("the attacker's enrollment survived the password change and enabled 2FA: %d %s", st, body)
		}
		var status struct {
			TwoFactor struct {
				Enabled bool `json:"enabled"`
			} `json:"two_factor"`
		}
		srv.Do("GET", "/v1/users/me/2fa", own.AccessToken, nil, &status)
		if status.TwoFactor.Enabled {
			t.Fatal("2FA is on with the attacker's secret")
		}
	})

	t.Run("prepared with a session, confirmed without", func(t *testing.T) {
		const email = "victim1002@example.org"
		stolen := veeamToken(t, srv, "victim1002", pw)
		key, token := veeamEnable(t, srv, stolen, "1002")
		st, body := zimbraEnableStep2(t, srv, email, token, key.Code(now()))
		if st == 200 || strings.Contains(body, `"scratchCodes"`) {
			t.Fatalf("an enrollment prepared with a session minted a Zimbra session: %d %s", st, body)
		}
		if !strings.Contains(body, "not started with the password") {
			t.Errorf("the fault does not say why: %s", body)
		}
		// In the session that prepared it, it still confirms.
		if st, body := raw(t, srv, "POST", "/api/v1/users/1002/acceptMfa", stolen, "application/json",
			`{"code":"`+key.Code(now())+`","token":"`+token+`"}`, nil); st != 200 {
			t.Fatalf("acceptMfa in the preparing session: %d %s", st, body)
		}
	})

	t.Run("five wrong codes void the enrollment", func(t *testing.T) {
		sess := veeamToken(t, srv, "victim1003", pw)
		key, token := veeamEnable(t, srv, sess, "1003")
		right := key.Code(now())
		wrong := "000000"
		if wrong == right {
			wrong = "111111"
		}
		for i := range 5 {
			st, body := raw(t, srv, "POST", "/api/v1/users/1003/acceptMfa", sess, "application/json",
				`{"code":"`+wrong+`","token":"`+token+`"}`, nil)
			if st == 200 {
				t.Fatalf("wrong code %d accepted: %s", i+1, body)
			}
		}
		st, body := raw(t, srv, "POST", "/api/v1/users/1003/acceptMfa", sess, "application/json",
			`{"code":"`+right+`","token":"`+token+`"}`, nil)
		if st == 200 {
			t.Fatalf("after 5 wrong codes the right one still enabled 2FA: %s", body)
		}
	})
}
