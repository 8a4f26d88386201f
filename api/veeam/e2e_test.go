package veeam_test

import (
	"bytes"
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

// veeamClient speaks only the Veeam dialect to a real mfad serve, and
// remembers every secret it saw so the test can check none reached the log.
type veeamClient struct {
	t       *testing.T
	srv     *e2e.Server
	secrets []string
}

func (c *veeamClient) remember(s ...string) { c.secrets = append(c.secrets, s...) }

// answer is a status and a decoded JSON body (nil when empty).
type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func (a answer) str(k string) string { s, _ := a.body[k].(string); return s }

func (c *veeamClient) do(method, path, token, contentType, body string) answer {
	c.t.Helper()
	req, err := http.NewRequest(method, c.srv.URL+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	a := answer{status: res.StatusCode, header: res.Header}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &a.body); err != nil {
			c.t.Fatalf("%s %s: answer is not a JSON object: %s", method, path, raw)
		}
	}
	return a
}

// token posts a form to the token endpoint and checks the status.
func (c *veeamClient) token(want int, params ...string) answer {
	c.t.Helper()
	v := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		v.Set(params[i], params[i+1])
	}
	a := c.do("POST", "/api/oauth2/token", "", "application/x-www-form-urlencoded", v.Encode())
	if a.status != want {
		c.t.Fatalf("token %s: status %d, want %d: %v", v.Get("grant_type"), a.status, want, a.body)
	}
	c.remember(a.str("access_token"), a.str("refresh_token"), a.str("mfa_token"))
	return a
}

// api calls an /api/v1 route with a JSON body and checks the status.
func (c *veeamClient) api(want int, method, path, token, body string) answer {
	c.t.Helper()
	ct := ""
	if body != "" {
		ct = "application/json"
	}
	a := c.do(method, path, token, ct, body)
	if a.status != want {
		c.t.Fatalf("%s %s: status %d, want %d: %v", method, path, a.status, want, a.body)
	}
	return a
}

// enable runs enableMfa and returns its answer and the key of its secret.
func (c *veeamClient) enable(path, token, body string) (answer, otp.Key) {
	c.t.Helper()
	a := c.api(200, "POST", path, token, body)
	secret, err := otp.DecodeSecret(a.str("secretKey"))
	if err != nil {
		c.t.Fatal(err)
	}
	c.remember(a.str("secretKey"), a.str("token"))
	for _, s := range a.body["scratchCodes"].([]any) {
		c.remember(s.(string))
	}
	return a, otp.Key{Secret: secret, Algorithm: otp.SHA1, Digits: 6, Period: 30}
}

func scratchCodes(a answer) []string {
	var out []string
	for _, s := range a.body["scratchCodes"].([]any) {
		out = append(out, s.(string))
	}
	return out
}

func acceptBody(code, token string) string {
	b, _ := json.Marshal(map[string]string{"code": code, "token": token})
	return string(b)
}

// TestE2E walks the whole MFA lifecycle through the Veeam dialect alone,
// against a real mfad serve process.
func TestE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs mfad")
	}
	srv := e2e.Start(t, e2e.Options{})
	c := &veeamClient{t: t, srv: srv}
	const pw1, pw2 = "u1001-password-e2e", "u1002-password-e2e"
	c.remember(e2e.AdminPassword, pw1, pw2)
	srv.AddUser("u1001", pw1, "--id", "1001")
	srv.AddUser("u1002", pw2, "--id", "1002")
	next := func() { srv.Advance(30 * time.Second) } // a new TOTP step

	// An admin signs in and lists the users.
	admin := c.token(200, "grant_type", "Password", "Username", "admin", "Password", e2e.AdminPassword).str("access_token")
	list := c.api(200, "GET", "/api/v1/users", admin, "")
	if n, _ := list.body["totalCount"].(float64); n != 3 {
		t.Fatalf("admin sees %v users: %v", list.body["totalCount"], list.body)
	}
	for _, u := range list.body["results"].([]any) {
		if u.(map[string]any)["mfaEnabled"] != false {
			t.Fatalf("MFA on before enabling: %v", u)
		}
	}

	// A user can neither see nor enable MFA for another user.
	u1002 := c.token(200, "grant_type", "Password", "username", "u1002", "password", pw2).str("access_token")
	if l := c.api(200, "GET", "/api/v1/users", u1002, ""); l.body["totalCount"] != float64(1) {
		t.Fatalf("u1002 sees %v", l.body)
	}
	c.api(403, "GET", "/api/v1/users/1001", u1002, "")
	c.api(403, "POST", "/api/v1/users/1001/enableMfa", u1002, `{"recreate": false}`)

	// The admin enables MFA for user 1001 and accepts it with a TOTP code;
	// a scratch code of the same answer does not accept it.
	en, key := c.enable("/api/v1/users/1001/enableMfa", admin, `{"recreate": false}`)
	if len(key.Secret) != 16 || len(en.str("secretKey")) != 26 || !strings.HasPrefix(en.str("qrString"), "otpauth://totp/") {
		t.Fatalf("enableMfa answer: %v", en.body)
	}
	scratch := scratchCodes(en)
	if len(scratch) != 5 || len(scratch[0]) != 8 {
		t.Fatalf("scratch codes %v", scratch)
	}
	c.api(400, "POST", "/api/v1/users/1001/acceptMfa", admin, acceptBody(scratch[0], en.str("token")))
	c.api(200, "POST", "/api/v1/users/1001/acceptMfa", admin, acceptBody(key.Code(srv.Now()), en.str("token")))
	if u := c.api(200, "GET", "/api/v1/users/1001", admin, ""); u.body["mfaEnabled"] != true {
		t.Fatalf("after acceptMfa: %v", u.body)
	}
	c.api(409, "POST", "/api/v1/users/1001/enableMfa", admin, `{"recreate": "false"}`)

	// The user's password grant answers an mfa_token and no access token.
	login := func() string {
		a := c.token(200, "grant_type", "Password", "username", "u1001", "password", pw1)
		if a.body["access_token"] != nil || a.str("mfa_token") == "" {
			t.Fatalf("password grant of an MFA user: %v", a.body)
		}
		return a.str("mfa_token")
	}
	ticket := login()
	c.token(400, "grant_type", "Mfa", "mfa_token", ticket, "mfa_code", wrongCode(key, srv.Now()))
	next()
	code := key.Code(srv.Now())
	tok := c.token(200, "grant_type", "Mfa", "mfa_token", ticket, "mfa_code", code)
	if tok.str("access_token") == "" || tok.str("refresh_token") == "" || tok.str("token_type") != "bearer" || tok.body["expires_in"] != float64(3600) {
		t.Fatalf("Mfa grant: %v", tok.body)
	}
	u1001 := tok.str("access_token")
	if u := c.api(200, "GET", "/api/v1/users/1001", u1001, ""); u.str("name") != "u1001" {
		t.Fatalf("own user: %v", u.body)
	}

	// The same code again is refused; a scratch code works once.
	c.token(400, "grant_type", "Mfa", "mfa_token", login(), "mfa_code", code)
	c.token(200, "grant_type", "Mfa", "mfa_token", login(), "mfa_code", scratch[1])
	c.token(400, "grant_type", "Mfa", "mfa_token", login(), "mfa_code", scratch[1])

	// The refresh grant rotates the tokens.
	refreshed := c.token(200, "grant_type", "Refresh_token", "refresh_token", tok.str("refresh_token"))
	u1001 = refreshed.str("access_token")

	// Recreate and accept: a new secret in force, the old one gone.
	next()
	en2, key2 := c.enable("/api/v1/users/1001/enableMfa", u1001, `{"recreate": "true"}`)
	if en2.str("secretKey") == en.str("secretKey") {
		t.Fatal("recreate kept the secret")
	}
	c.api(200, "POST", "/api/v1/users/1001/acceptMfa", u1001, acceptBody(key2.Code(srv.Now()), en2.str("token")))
	next()
	c.token(400, "grant_type", "Mfa", "mfa_token", login(), "mfa_code", key.Code(srv.Now()))
	c.token(400, "grant_type", "Mfa", "mfa_token", login(), "mfa_code", scratch[2])
	u1001 = c.token(200, "grant_type", "Mfa", "mfa_token", login(), "mfa_code", key2.Code(srv.Now())).str("access_token")

	// Disable; then the password alone gives tokens.
	c.api(403, "POST", "/api/v1/users/1001/disableMfa", u1002, "")
	c.api(200, "POST", "/api/v1/users/1001/disableMfa", u1001, "")
	a := c.token(200, "grant_type", "Password", "username", "u1001", "password", pw1)
	if a.str("access_token") == "" || a.body["mfa_token"] != nil {
		t.Fatalf("password grant after disableMfa: %v", a.body)
	}
	if u := c.api(200, "GET", "/api/v1/users/1001", a.str("access_token"), ""); u.body["mfaEnabled"] != false {
		t.Fatalf("after disableMfa: %v", u.body)
	}

	// No secret reached the log.
	logs := srv.Logs()
	for _, s := range c.secrets {
		if len(s) >= 8 && strings.Contains(logs, s) {
			t.Errorf("a secret of length %d is in the server log", len(s))
		}
	}
}
