package zimbra_test

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad/internal/e2e"
	"github.com/mfad/mfad/otp"
)

// live is a Zimbra client of a real mfad serve process that remembers
// every secret it saw, so the test can check that none reached the log or
// the disk in the clear.
type live struct {
	t       *testing.T
	srv     *e2e.Server
	form    string
	secrets []string
}

func (c *live) remember(s ...string) { c.secrets = append(c.secrets, s...) }

func (c *live) do(r rq) *answer {
	c.t.Helper()
	path := "/service/soap"
	if r.body.ns == nsAdmin {
		path = "/service/admin/soap"
	}
	ct := "application/soap+xml; charset=utf-8"
	if c.form == "json" {
		ct = "application/json"
	}
	req, err := http.NewRequest(http.MethodPost, c.srv.URL+path, strings.NewReader(envelope(c.form, r.body, r.token)))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	for _, ck := range r.cookies {
		req.AddCookie(ck)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	a := &answer{form: c.form, status: resp.StatusCode, header: resp.Header, body: body}
	for _, n := range []string{"authToken", "secret", "scratchCode", "csrfToken", "trustedToken", "pw"} {
		for _, v := range a.values(n) {
			c.remember(v)
		}
	}
	return a
}

// ok fails the test unless a is HTTP 200.
func (c *live) ok(what string, a *answer) *answer {
	c.t.Helper()
	if a.status != http.StatusOK {
		c.t.Fatalf("%s: HTTP %d: %s", what, a.status, a.body)
	}
	return a
}

// fault fails the test unless a is an HTTP 500 fault with code.
func (c *live) fault(what string, a *answer, code string) {
	c.t.Helper()
	if a.status != http.StatusInternalServerError || a.fault() != code {
		c.t.Fatalf("%s: HTTP %d fault %q, want 500 %s: %s", what, a.status, a.fault(), code, a.body)
	}
}

// protocolAuth is what a mail server asks mfad for an IMAP login.
func (c *live) protocolAuth(admin, login, password string) int {
	c.t.Helper()
	status, _ := c.srv.Do("POST", "/v1/protocol-auth", admin, map[string]string{"login": login, "password": password}, nil)
	return status
}

// TestE2E walks the whole 2FA lifecycle through the Zimbra dialect alone,
// against a real mfad serve process, once in SOAP 1.2 XML and once in
// Zimbra's JSON form.
func TestE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs mfad")
	}
	for _, form := range []string{"xml", "json"} {
		t.Run(form, func(t *testing.T) { e2eLifecycle(t, form) })
	}
}

func e2eLifecycle(t *testing.T, form string) {
	srv := e2e.Start(t, e2e.Options{})
	c := &live{t: t, srv: srv, form: form}
	const name, email, pw = "u1001", "u1001@example.org", "u1001-password-e2e"
	c.remember(e2e.AdminPassword, pw)
	srv.AddUser(name, pw, "--email", email, "--id", "1001")
	var key otp.Key
	last := int64(0)
	code := func() string { // a code of a TOTP step no earlier request used
		srv.Advance(30 * time.Second)
		for key.Step(srv.Now()) <= last {
			srv.Advance(30 * time.Second)
		}
		last = key.Step(srv.Now())
		return key.Code(srv.Now())
	}
	acct := E("account", at{"by", "name"}, email)
	login := func(parts ...any) *answer {
		return c.do(rq{body: Account("AuthRequest", append([]any{acct}, parts...)...)})
	}
	ticket := func() string {
		t.Helper()
		a := c.ok("AuthRequest with the password", login(E("password", pw)))
		if a.get("twoFactorAuthRequired") != "true" || a.get("authToken") == "" {
			t.Fatalf("AuthRequest of a 2FA user: %s", a.body)
		}
		return a.get("authToken")
	}

	// Enable in two steps: the password gives a secret and an enablement
	// token; the token and a current code turn 2FA on.
	a := c.ok("enable step 1", c.do(rq{body: Account("EnableTwoFactorAuthRequest", E("name", email), E("password", pw))}))
	secret, err := otp.DecodeSecret(a.get("secret"))
	if err != nil || len(secret) != 20 {
		t.Fatalf("the secret %q (%v): want 160 bits", a.get("secret"), err)
	}
	key = otp.Key{Secret: secret}
	a = c.ok("enable step 2", c.do(rq{body: Account("EnableTwoFactorAuthRequest", at{"csrfTokenSecured", "1"},
		E("name", email), E("authToken", at{"verifyAccount", "1"}, a.get("authToken")), E("twoFactorCode", code()))}))
	scratch := a.values("scratchCode")
	if len(scratch) != 10 || len(scratch[0]) != 8 || strings.Trim(scratch[0], "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		t.Fatalf("scratch codes %v: want 10 x 8 base32 characters", scratch)
	}
	if a.get("authToken") == "" || a.get("csrfToken") == "" {
		t.Fatalf("enable step 2: %s", a.body)
	}

	// The login asks for the code; a wrong one faults, the right one works,
	// the same one again faults.
	tk := ticket()
	c.fault("wrong code", login(E("authToken", tk), E("twoFactorCode", key.CodeAt(key.Step(srv.Now())+5))), "account.TWO_FACTOR_AUTH_FAILED")
	right := code()
	a = c.ok("right code", login(E("authToken", at{"verifyAccount", "1"}, tk), E("twoFactorCode", right)))
	if life, _ := strconv.Atoi(a.get("lifetime")); a.get("authToken") == "" || life < 172790000 || life > 172800000 { // Zimbra's 2 days
		t.Fatalf("login with the code: %s", a.body)
	}
	c.fault("replayed code", login(E("authToken", ticket()), E("twoFactorCode", right)), "account.TWO_FACTOR_AUTH_FAILED")

	// A scratch code works once.
	c.ok("scratch code", login(E("authToken", ticket()), E("twoFactorCode", scratch[0])))
	c.fault("scratch code again", login(E("authToken", ticket()), E("twoFactorCode", scratch[0])), "account.TWO_FACTOR_AUTH_FAILED")

	// A trusted device skips the code; once revoked, it does not.
	a = c.ok("trust the device", login(at{"deviceTrusted", "1"}, E("authToken", ticket()), E("twoFactorCode", code())))
	trusted, session := a.get("trustedToken"), a.get("authToken")
	if trusted == "" || a.get("deviceId") == "" || a.cookie("ZM_TRUST_TOKEN") == nil {
		t.Fatalf("deviceTrusted=1: %s", a.body)
	}
	a = c.ok("trusted device", login(E("password", pw), E("trustedToken", trusted)))
	if a.get("twoFactorAuthRequired") != "" || a.get("authToken") == "" {
		t.Fatalf("a trusted device is asked for the code: %s", a.body)
	}
	trustCookie := []*http.Cookie{{Name: "ZM_TRUST_TOKEN", Value: trusted}}
	a = c.ok("trusted devices", c.do(rq{body: Account("GetTrustedDevicesRequest"), token: session, cookies: trustCookie}))
	if a.get("thisDeviceTrusted") != "1" && a.get("thisDeviceTrusted") != "true" {
		t.Fatalf("GetTrustedDevices on the trusted device: %s", a.body)
	}
	c.ok("revoke the device", c.do(rq{body: Account("RevokeTrustedDeviceRequest"), token: session, cookies: trustCookie}))
	a = c.ok("revoked device", login(E("password", pw), E("trustedToken", trusted)))
	if a.get("twoFactorAuthRequired") != "true" {
		t.Fatalf("a revoked device skips the code: %s", a.body)
	}

	// Regenerate the scratch codes (the session's code is recent): the old
	// ones are void, the new ones work.
	a = c.ok("regenerate", c.do(rq{body: Account("GenerateScratchCodesRequest"), token: session}))
	fresh := a.values("scratchCode")
	if len(fresh) != 10 {
		t.Fatalf("regenerated %d scratch codes", len(fresh))
	}
	c.fault("old scratch code", login(E("authToken", ticket()), E("twoFactorCode", scratch[1])), "account.TWO_FACTOR_AUTH_FAILED")
	c.ok("new scratch code", login(E("authToken", ticket()), E("twoFactorCode", fresh[0])))
	if got := c.ok("show", c.do(rq{body: Account("GetScratchCodesRequest"), token: session})).values("scratchCode"); len(got) != 9 {
		t.Fatalf("GetScratchCodes after one use: %v", got)
	}

	// An app password: created, checked the way a mail server checks it,
	// never good for an interactive login, revoked.
	a = c.ok("admin login", c.do(rq{body: Admin("AuthRequest", E("name", "admin"), E("password", e2e.AdminPassword))}))
	admin := a.get("authToken")
	a = c.ok("create app password", c.do(rq{body: Account("CreateAppSpecificPasswordRequest", at{"appName", "Thunderbird"}), token: session}))
	appPW := a.get("pw")
	if len(appPW) != 16 {
		t.Fatalf("app password %q: want 16 characters", appPW)
	}
	if s := c.protocolAuth(admin, email, appPW); s != http.StatusOK {
		t.Fatalf("protocol auth with the app password: HTTP %d", s)
	}
	if s := c.protocolAuth(admin, email, pw); s == http.StatusOK {
		t.Fatalf("protocol auth with the main password of a 2FA user passed")
	}
	c.fault("app password at AuthRequest", login(E("password", appPW)), "account.AUTH_FAILED")
	a = c.ok("list app passwords", c.do(rq{body: Account("GetAppSpecificPasswordsRequest"), token: session}))
	if a.get("appName") != "Thunderbird" || a.get("lastUsed") == "" {
		t.Fatalf("GetAppSpecificPasswords: %s", a.body)
	}
	c.ok("revoke app password", c.do(rq{body: Account("RevokeAppSpecificPasswordRequest", at{"appName", "Thunderbird"}), token: session}))
	if s := c.protocolAuth(admin, email, appPW); s == http.StatusOK {
		t.Fatalf("a revoked app password still passes")
	}

	// Disable: then the password alone logs in.
	c.ok("disable", c.do(rq{body: Account("DisableTwoFactorAuthRequest"), token: session}))
	a = c.ok("login after disable", login(E("password", pw)))
	if a.get("twoFactorAuthRequired") != "" || a.get("authToken") == "" {
		t.Fatalf("login after disabling: %s", a.body)
	}

	checkNoSecrets(t, srv, c.secrets)
}

// checkNoSecrets fails if a secret the client saw appears in the server's
// log or, in the clear, in its data dir.
func checkNoSecrets(t *testing.T, srv *e2e.Server, secrets []string) {
	t.Helper()
	blobs := map[string][]byte{"the log": []byte(srv.Logs())}
	_ = filepath.Walk(srv.DataDir, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && filepath.Base(path) != "admin-password" {
			if b, err := os.ReadFile(path); err == nil {
				blobs[path] = b
			}
		}
		return nil
	})
	for _, s := range secrets {
		if len(s) < 6 {
			continue
		}
		for where, b := range blobs {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("a secret value (%d characters) appears in %s", len(s), where)
			}
		}
	}
}
