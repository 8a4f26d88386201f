package e2e_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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

// login posts a REST login from the client address xff (the server trusts
// 127.0.0.1 as a proxy) and returns the status and Retry-After.
func login(t *testing.T, srv *e2e.Server, xff, name, password string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", srv.URL+"/v1/login",
		strings.NewReader(`{"login":`+jsonString(name)+`,"password":`+jsonString(password)+`}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, res.Header.Get("Retry-After")
}

// burst sends the logins at once and counts the answers by status; every
// 429 must carry a Retry-After. It also returns how many attempts beyond
// the free ones the growing delay (1 s, then 2 s, 4 s ...) may have let
// through while the burst lasted (on a slow machine it lasts seconds).
func burst(t *testing.T, srv *e2e.Server, xff string, logins [][2]string) (map[int]int, int) {
	t.Helper()
	began := time.Now()
	start := make(chan struct{})
	var mu sync.Mutex
	count := map[int]int{}
	var wg sync.WaitGroup
	for _, l := range logins {
		wg.Go(func() {
			<-start
			st, retry := login(t, srv, xff, l[0], l[1])
			if st == 429 && retry == "" {
				t.Errorf("429 without Retry-After")
			}
			mu.Lock()
			count[st]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	waited := 0
	for d := time.Second; d <= time.Since(began); d = 2*d + time.Second {
		waited++
	}
	return count, waited
}

// TestPasswordBurst is issue 14 item 2: 120 password guesses for one
// account sent at once were all hashed (the throttle was read before the
// hash and written after), and the right one among them logged in. Now at
// most the free attempts are judged; the rest get 429 with Retry-After.
// The same for one address guessing many accounts.
func TestPasswordBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs mfad")
	}
	srv := e2e.Start(t, e2e.Options{Args: []string{"--trusted-proxies", "127.0.0.1"}})
	const pw = "the-right-password-e2e"
	srv.AddUser("target", pw, "--email", "target@example.org")

	t.Run("one account", func(t *testing.T) {
		var logins [][2]string
		for i := range 120 {
			p := "wrong-guess-" + strconv.Itoa(i)
			if i == 77 {
				p = pw
			}
			logins = append(logins, [2]string{"target", p})
		}
		n, waited := burst(t, srv, "198.51.100.10", logins)
		judged := n[200] + n[401]
		if judged > 5+waited || n[429] != 120-judged {
			t.Fatalf("answers by status %v: %d attempts judged, want at most the 5 free ones (+%d after their waits), the rest 429", n, judged, waited)
		}
	})

	t.Run("one address, many accounts", func(t *testing.T) {
		var logins [][2]string
		for i := range 60 {
			logins = append(logins, [2]string{"nobody-" + strconv.Itoa(i), "some-guess"})
		}
		n, waited := burst(t, srv, "198.51.100.20", logins)
		if judged := n[401]; judged > 20+waited || n[429] != 60-judged {
			t.Fatalf("answers by status %v: %d judged, want at most the address's 20 free ones (+%d after their waits), the rest 429", n, judged, waited)
		}
	})
}

// TestGuesserCannotLockOutOwner is issue 14 items 3 and 6. Anyone who knew
// a user name kept her correct password out (one wrong guess every 15
// minutes keeps the account throttled); name and email had separate
// budgets; and each typed login, even a password typed into the name
// field, was kept in the clear as a throttle key.
func TestGuesserCannotLockOutOwner(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs mfad")
	}
	srv := e2e.Start(t, e2e.Options{Args: []string{"--trusted-proxies", "127.0.0.1"}})
	const pw, home, evil = "owners-password-e2e", "203.0.113.5", "198.51.100.66"
	srv.AddUser("owner", pw, "--email", "owner@example.org")
	if st, _ := login(t, srv, home, "owner", pw); st != 200 {
		t.Fatalf("the owner's first login: %d", st)
	}
	// Name and email share one budget: 5 judged, then 429, across both.
	judged := 0
	for i := range 10 {
		who := "owner"
		if i%2 == 1 {
			who = "OWNER@example.org"
		}
		st, _ := login(t, srv, evil, who, "guess-"+strconv.Itoa(i))
		if st == 401 {
			judged++
		} else if st != 429 {
			t.Fatalf("guess %d: %d", i, st)
		}
	}
	if judged != 5 {
		t.Errorf("%d guesses by name and email judged, want 5 (one budget)", judged)
	}
	for i := range 3 { // more by name alone: the account is throttled whichever way it is named
		login(t, srv, evil, "owner", "more-guess-"+strconv.Itoa(i))
	}
	// The guesser from elsewhere is throttled, with the right password too.
	if st, _ := login(t, srv, "198.51.100.67", "owner", pw); st != 429 {
		t.Errorf("the right password from a new address while throttled: %d, want 429", st)
	}
	// The owner, from where she logged in before, is not.
	if st, _ := login(t, srv, home, "owner", pw); st != 200 {
		t.Errorf("the owner's right password from her own address: %d, want 200", st)
	}
	if st, _ := login(t, srv, home, "OWNER@example.org", pw); st != 200 {
		t.Errorf("the owner's right password by email from her own address: %d, want 200", st)
	}

	// No typed login reaches the database in the clear.
	const typed = "Tr0ub4dor&3-typed-into-the-name-field"
	for range 3 {
		login(t, srv, evil, typed, "x-password")
	}
	for _, f := range []string{"mfad.db", "mfad.db-wal"} {
		b, err := os.ReadFile(filepath.Join(srv.DataDir, f))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, s := range []string{typed, strings.ToLower(typed)} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds the typed login %q", f, s)
			}
		}
	}
}

// TestWeakClientSecretRefused is issue 14 item 4 through the native API:
// POST /v1/users/me/2fa/prepare with a secret of all zero bytes, the RFC
// 6238 test seed or the Google Authenticator example was accepted.
func TestWeakClientSecretRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs mfad")
	}
	srv := e2e.Start(t, e2e.Options{})
	srv.AddUser("alice", "alice-password-e2e")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	srv.Do("POST", "/v1/login", "", map[string]string{"login": "alice", "password": "alice-password-e2e"}, &tok)
	for _, secret := range []string{"AAAAAAAAAAAAAAAA", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "JBSWY3DPEHPK3PXP"} {
		var out struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		st, _ := srv.Do("POST", "/v1/users/me/2fa/prepare", tok.AccessToken, map[string]string{"secret": secret}, &out)
		if st != 400 || out.Error.Code != "invalid_input" || strings.Contains(out.Error.Message, secret) {
			t.Errorf("prepare with %s: %d %+v; want 400 invalid_input naming no secret", secret, st, out.Error)
		}
	}
	if st, _ := srv.Do("POST", "/v1/users/me/2fa/prepare", tok.AccessToken, map[string]string{"secret": "GL3C7BQZHCKKPBZ2"}, nil); st != 200 {
		t.Errorf("prepare with a random client secret: %d", st)
	}
}

// TestNativeAPIWantsJSON is issue 14 item 8: /v1 took text/plain bodies and
// bodies without a Content-Type, which a browser sends cross-origin without
// a preflight.
func TestNativeAPIWantsJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs mfad")
	}
	srv := e2e.Start(t, e2e.Options{})
	srv.AddUser("alice", "alice-password-e2e")
	body := `{"login":"alice","password":"alice-password-e2e"}`
	for _, tc := range []struct {
		ct   string
		want int
	}{
		{"text/plain", 415},
		{"", 415},
		{"application/x-www-form-urlencoded", 415},
		{"multipart/form-data; boundary=x", 415},
		{"application/json; charset=latin1", 415},
		{"application/json", 200},
		{"application/json; charset=utf-8", 200},
		{"Application/JSON; Charset=UTF-8", 200},
	} {
		if st, b := raw(t, srv, "POST", "/v1/login", "", tc.ct, body, nil); st != tc.want {
			t.Errorf("login with Content-Type %q: %d %s, want %d", tc.ct, st, b, tc.want)
		}
	}
	// A request without a body needs no Content-Type.
	if st, _ := raw(t, srv, "GET", "/v1/openapi.json", "", "", "", nil); st != 200 {
		t.Errorf("GET without a body: %d", st)
	}
}

// TestForwardedForFailsClosed is issue 14 item 5: behind a trusted proxy on
// the same machine, an X-Forwarded-For entry that did not parse (a port, a
// bracketed IPv6 address, "unknown") fell back to the proxy's loopback
// address, so under the "remote clients only" policy the client counted as
// local and no code was asked.
func TestForwardedForFailsClosed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs mfad")
	}
	srv := e2e.Start(t, e2e.Options{Args: []string{"--trusted-proxies", "127.0.0.1,::1"}})
	const pw = "remote-user-password"
	srv.AddUser("roamer", pw)
	var admin, user struct {
		AccessToken string `json:"access_token"`
	}
	srv.Do("POST", "/v1/login", "", map[string]string{"login": "admin", "password": e2e.AdminPassword}, &admin)
	if st, _ := srv.Do("PUT", "/v1/policy", admin.AccessToken, map[string]string{"policy": "remote"}, nil); st != 200 && st != 204 {
		t.Fatalf("set policy: %d", st)
	}
	srv.Do("POST", "/v1/login", "", map[string]string{"login": "roamer", "password": pw}, &user)
	var prep struct {
		Secret          string `json:"secret"`
		EnrollmentToken string `json:"enrollment_token"`
	}
	srv.Do("POST", "/v1/users/me/2fa/prepare", user.AccessToken, map[string]string{}, &prep)
	secret, err := otp.DecodeSecret(prep.Secret)
	if err != nil {
		t.Fatal(err)
	}
	code := otp.Key{Secret: secret, Algorithm: otp.SHA1, Digits: 6, Period: 30}.Code(srv.Now())
	if st, _ := srv.Do("POST", "/v1/users/me/2fa/confirm", user.AccessToken,
		map[string]string{"enrollment_token": prep.EnrollmentToken, "code": code}, nil); st != 200 {
		t.Fatalf("confirm: %d", st)
	}
	for _, tc := range []struct {
		xff, want string
	}{
		{"", "ok"}, // the proxy's own request: local
		{"203.0.113.9", "second_factor_required"},
		{"203.0.113.9:4711", "second_factor_required"},
		{"[2001:db8::1]:443", "second_factor_required"},
		{"unknown", "second_factor_required"},
		{"198.51.100.1, not-an-address", "second_factor_required"},
	} {
		req, _ := http.NewRequest("POST", srv.URL+"/v1/login", strings.NewReader(`{"login":"roamer","password":"`+pw+`"}`))
		req.Header.Set("Content-Type", "application/json")
		if tc.xff != "" {
			req.Header.Set("X-Forwarded-For", tc.xff)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Status string `json:"status"`
		}
		json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		if out.Status != tc.want {
			t.Errorf("X-Forwarded-For %q: status %q (HTTP %d), want %q", tc.xff, out.Status, res.StatusCode, tc.want)
		}
	}
}
