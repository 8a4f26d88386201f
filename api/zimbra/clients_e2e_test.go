package zimbra_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad/internal/e2e"
	"github.com/mfad/mfad/otp"
)

// client sends requests to a real mfad serve process as one Zimbra client
// does, and remembers every secret it saw (checkNoSecrets).
type client struct {
	t           *testing.T
	srv         *e2e.Server
	http        *http.Client
	contentType string
	csrf        string // sent as X-Zimbra-Csrf-Token when set
	secrets     []string
}

// post sends body to /service/soap/<name> (the web client names the
// request in the path) and returns the answer.
func (c *client) post(path, body string) *answer {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.srv.URL+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", c.contentType)
	if c.csrf != "" {
		req.Header.Set("X-Zimbra-Csrf-Token", c.csrf)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := &answer{form: "json", status: resp.StatusCode, header: resp.Header, body: b}
	if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/soap+xml") || strings.HasPrefix(ct, "text/xml") {
		a.form = "xml"
	}
	for _, n := range []string{"authToken", "secret", "scratchCode", "csrfToken", "trustedToken", "pw"} {
		c.secrets = append(c.secrets, a.values(n)...)
	}
	return a
}

func (c *client) ok(what string, a *answer) *answer {
	c.t.Helper()
	if a.status != http.StatusOK {
		c.t.Fatalf("%s: HTTP %d: %s", what, a.status, a.body)
	}
	return a
}

func (c *client) fault(what string, a *answer, code string) {
	c.t.Helper()
	if a.status != http.StatusInternalServerError || a.fault() != code {
		c.t.Fatalf("%s: HTTP %d fault %q, want 500 %s: %s", what, a.status, a.fault(), code, a.body)
	}
}

// webClient is the JSON envelope of Zimbra's web client (zm-ajax
// ZmCsfeCommand._getJsonRequestStr): the context names the client and asks
// for a session; with noAuthToken (the 2FA setup dialog, and every request
// of a page whose auth cookie is HttpOnly) it holds no authToken, the
// browser sends the cookie and the client the X-Zimbra-Csrf-Token header.
func webClient(request string) string {
	return `{"Header":{"context":{"_jsns":"urn:zimbra","userAgent":{"name":"ZimbraWebClient - FF120 (Linux)","version":"10.0.0_GA_4518"},"session":{}}},"Body":` + request + `}`
}

// TestE2EWebClient walks the whole 2FA lifecycle against a real mfad serve
// with the requests of Zimbra's web client, byte for byte in their form:
// JSON labelled application/soap+xml; charset=utf-8, posted to
// /service/soap/<RequestName>, a browser's cookie jar and the CSRF header;
// the setup dialog's EnableTwoFactorAuthRequest as zm-web-client
// ZmTwoFactorSetupDialog writes it.
func TestE2EWebClient(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs mfad")
	}
	srv := e2e.Start(t, e2e.Options{})
	jar, _ := cookiejar.New(nil)
	c := &client{t: t, srv: srv, http: &http.Client{Jar: jar}, contentType: "application/soap+xml; charset=utf-8"}
	const email, pw = "wendy@example.org", "wendy-password-e2e"
	c.secrets = append(c.secrets, pw, e2e.AdminPassword)
	srv.AddUser("wendy", pw, "--email", email)
	var key otp.Key
	last := int64(0)
	code := func() string {
		srv.Advance(30 * time.Second)
		for key.Step(srv.Now()) <= last {
			srv.Advance(30 * time.Second)
		}
		last = key.Step(srv.Now())
		return key.Code(srv.Now())
	}
	login := func(extra string) *answer {
		return c.post("/service/soap/AuthRequest", webClient(`{"AuthRequest":{"_jsns":"urn:zimbraAccount","csrfTokenSecured":1,`+
			`"account":{"by":"name","_content":"`+email+`"},"password":{"_content":"`+pw+`"}`+extra+`}}`))
	}

	// Log in; the cookie is CSRF-secured, the token comes in the header.
	a := c.ok("login", login(""))
	c.csrf = a.header.Get("X-Zimbra-Csrf-Token")
	if c.csrf == "" || a.get("csrfToken") != c.csrf {
		t.Fatalf("login: no CSRF token: %s", a.body)
	}
	if life, _ := strconv.Atoi(a.get("lifetime")); life < 48*3600*1000-60000 || life > 48*3600*1000 {
		t.Fatalf("the auth token lifetime: %d ms, want Zimbra's 2 days", life)
	}

	// The setup dialog: the password, then the code of the secret shown.
	a = c.ok("enable step 1", c.post("/service/soap/EnableTwoFactorAuthRequest", webClient(`{"EnableTwoFactorAuthRequest":{"_jsns":"urn:zimbraAccount",`+
		`"csrfTokenSecured":1,"name":{"_content":"`+email+`"},"password":{"_content":"`+pw+`"},"method":{"_content":"app"}}}`)))
	secret, err := otp.DecodeSecret(a.get("secret"))
	if err != nil {
		t.Fatalf("enable step 1: %v: %s", err, a.body)
	}
	key = otp.Key{Secret: secret}
	a = c.ok("enable step 2", c.post("/service/soap/EnableTwoFactorAuthRequest", webClient(`{"EnableTwoFactorAuthRequest":{"_jsns":"urn:zimbraAccount",`+
		`"csrfTokenSecured":1,"name":{"_content":"`+email+`"},"authToken":{"_content":"`+a.get("authToken")+`"},"twoFactorCode":{"_content":"`+code()+`"},"method":{"_content":"app"}}}`)))
	if len(a.values("scratchCode")) != 10 || a.get("csrfToken") == "" {
		t.Fatalf("enable step 2: %s", a.body)
	}
	c.csrf = a.get("csrfToken") // the new session's, with its new cookie

	// The account page: scratch codes and trusted devices, by cookie and
	// CSRF header alone; without the header the cookie does not count.
	c.ok("scratch codes", c.post("/service/soap/GetScratchCodesRequest", webClient(`{"GetScratchCodesRequest":{"_jsns":"urn:zimbraAccount"}}`)))
	saved := c.csrf
	c.csrf = ""
	c.fault("no CSRF header", c.post("/service/soap/GetTrustedDevicesRequest", webClient(`{"GetTrustedDevicesRequest":{"_jsns":"urn:zimbraAccount"}}`)), "service.AUTH_REQUIRED")
	c.csrf = saved
	c.ok("trusted devices", c.post("/service/soap/GetTrustedDevicesRequest", webClient(`{"GetTrustedDevicesRequest":{"_jsns":"urn:zimbraAccount"}}`)))

	// Log off; log in again: the code is asked, given with deviceTrusted.
	c.ok("log off", c.post("/service/soap/EndSessionRequest", webClient(`{"EndSessionRequest":{"_jsns":"urn:zimbraAccount","logoff":1}}`)))
	c.fault("after log off", c.post("/service/soap/GetScratchCodesRequest", webClient(`{"GetScratchCodesRequest":{"_jsns":"urn:zimbraAccount"}}`)), "service.AUTH_REQUIRED")
	a = c.ok("login, 2FA on", login(""))
	if a.get("twoFactorAuthRequired") != "true" {
		t.Fatalf("a 2FA user's login: %s", a.body)
	}
	a = c.ok("the code", c.post("/service/soap/AuthRequest", webClient(`{"AuthRequest":{"_jsns":"urn:zimbraAccount","csrfTokenSecured":1,"deviceTrusted":1,`+
		`"account":{"by":"name","_content":"`+email+`"},"authToken":{"verifyAccount":1,"_content":"`+a.get("authToken")+`"},"twoFactorCode":{"_content":"`+code()+`"}}}`)))
	c.csrf = a.get("csrfToken")
	session := a.get("authToken")
	if a.get("trustedToken") == "" || c.csrf == "" {
		t.Fatalf("login with the code and deviceTrusted: %s", a.body)
	}
	// The trusted device's cookie skips the code next time.
	a = c.ok("trusted device login", login(""))
	if a.get("twoFactorAuthRequired") != "" {
		t.Fatalf("the trusted device is asked for the code: %s", a.body)
	}
	c.csrf = a.get("csrfToken")

	// At start-up a client renews the token it holds: same token, 2 days.
	srv.Advance(time.Hour)
	a = c.ok("renew", c.post("/service/soap/AuthRequest", webClient(`{"AuthRequest":{"_jsns":"urn:zimbraAccount","authToken":{"_content":"`+session+`"}}}`)))
	if life, _ := strconv.Atoi(a.get("lifetime")); a.get("authToken") != session || life < 48*3600*1000-60000 {
		t.Fatalf("renew: %s", a.body)
	}

	// A batch of the account page's requests.
	a = c.ok("batch", c.post("/service/soap/BatchRequest", webClient(`{"BatchRequest":{"_jsns":"urn:zimbra","onerror":"continue",`+
		`"GetTrustedDevicesRequest":{"_jsns":"urn:zimbraAccount","requestId":"0"},"GetAppSpecificPasswordsRequest":{"_jsns":"urn:zimbraAccount","requestId":"1"}}}`)))
	if a.get("thisDeviceTrusted") != "true" || len(a.values("requestId")) != 2 {
		t.Fatalf("batch: %s", a.body)
	}

	// Disable, with a fresh code's session (a sensitive action).
	srv.Advance(11 * time.Minute)
	a = c.ok("login for disable", login(`,"twoFactorCode":{"_content":"`+code()+`"}`))
	c.csrf = a.get("csrfToken")
	c.ok("disable", c.post("/service/soap/DisableTwoFactorAuthRequest", webClient(`{"DisableTwoFactorAuthRequest":{"_jsns":"urn:zimbraAccount"}}`)))
	if a = c.ok("login after disable", login("")); a.get("twoFactorAuthRequired") != "" {
		t.Fatalf("login after disable: %s", a.body)
	}
	checkNoSecrets(t, srv, c.secrets)
}

// TestE2EPythonZimbra: python-zimbra's requests against a real mfad serve:
// urllib's default label application/x-www-form-urlencoded, its XML form
// (xml.dom.minidom's toxml, attributes sorted) and its JSON form (format
// js), and its default login, preauth (tools/auth.authenticate with the
// domain key an admin made with mfad zimbra preauth-key).
func TestE2EPythonZimbra(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs mfad")
	}
	srv := e2e.Start(t, e2e.Options{})
	c := &client{t: t, srv: srv, http: http.DefaultClient, contentType: "application/x-www-form-urlencoded"}
	const email, pw = "paul@example.org", "paul-password-e2e"
	c.secrets = append(c.secrets, pw, e2e.AdminPassword)
	srv.AddUser("paul", pw, "--email", email)
	out := srv.CLI("", "zimbra", "preauth-key", "example.org")
	pkey := strings.TrimSpace(out[strings.LastIndex(out, ":")+1:])
	if len(pkey) != 64 {
		t.Fatalf("mfad zimbra preauth-key: %q", out)
	}
	c.secrets = append(c.secrets, pkey)
	preauth := func(ts int64) string { // pythonzimbra/tools/preauth.create_preauth
		m := hmac.New(sha1.New, []byte(pkey))
		fmt.Fprintf(m, "%s|name|0|%d", email, ts)
		return hex.EncodeToString(m.Sum(nil))
	}
	xmlAuthAt := func(ts int64) string { // pythonzimbra/tools/auth.authenticate, request_type="xml"
		return `<?xml version="1.0" ?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header><context xmlns="urn:zimbra"><format type="xml"/></context></soap:Header>` +
			`<soap:Body><AuthRequest xmlns="urn:zimbraAccount"><account by="name">` + email + `</account><preauth expires="0" timestamp="` +
			strconv.FormatInt(ts, 10) + `">` + preauth(ts) + `</preauth></AuthRequest></soap:Body></soap:Envelope>`
	}
	xmlAuth := func() string { return xmlAuthAt(srv.Now().Unix() * 1000) }
	jsonAuth := func() string { // the same, request_type="json" (json.dumps)
		ts := srv.Now().Unix() * 1000
		return `{"Header": {"context": {"_jsns": "urn:zimbra", "format": {"type": "js"}}}, "Body": {"AuthRequest": {"account": {"by": "name", "_content": "` + email +
			`"}, "preauth": {"timestamp": ` + strconv.FormatInt(ts, 10) + `, "expires": 0, "_content": "` + preauth(ts) + `"}, "_jsns": "urn:zimbraAccount"}}}`
	}
	withToken := func(token, request string) string { // Request.set_auth_token
		return `<?xml version="1.0" ?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header><context xmlns="urn:zimbra"><format type="xml"/>` +
			`<authToken>` + token + `</authToken></context></soap:Header><soap:Body>` + request + `</soap:Body></soap:Envelope>`
	}

	a := c.ok("preauth, XML", c.post("/service/soap", xmlAuth()))
	token := a.get("authToken")
	if token == "" || a.form != "xml" {
		t.Fatalf("preauth: %s", a.body)
	}
	a = c.ok("preauth, JSON", c.post("/service/soap", jsonAuth()))
	if a.get("authToken") == "" || a.form != "json" {
		t.Fatalf("preauth in JSON: %s", a.body)
	}

	// 2FA on, with the password (EnableTwoFactorAuthRequest's own check).
	a = c.ok("enable 1", c.post("/service/soap", withToken(token, `<EnableTwoFactorAuthRequest xmlns="urn:zimbraAccount"><name>`+email+`</name><password>`+pw+`</password></EnableTwoFactorAuthRequest>`)))
	secret, err := otp.DecodeSecret(a.get("secret"))
	if err != nil {
		t.Fatalf("enable 1: %s", a.body)
	}
	key := otp.Key{Secret: secret}
	srv.Advance(30 * time.Second)
	c.ok("enable 2", c.post("/service/soap", withToken(token, `<EnableTwoFactorAuthRequest xmlns="urn:zimbraAccount"><name>`+email+`</name><authToken>`+
		a.get("authToken")+`</authToken><twoFactorCode>`+key.Code(srv.Now())+`</twoFactorCode></EnableTwoFactorAuthRequest>`)))
	c.fault("the old token after enabling", c.post("/service/soap", withToken(token, `<GetTrustedDevicesRequest xmlns="urn:zimbraAccount"/>`)), "service.AUTH_REQUIRED")

	// Preauth now asks for the code, in both forms; the code completes it.
	for _, body := range []string{xmlAuth(), jsonAuth()} {
		a = c.ok("preauth of a 2FA user", c.post("/service/soap", body))
		if a.get("twoFactorAuthRequired") != "true" {
			t.Fatalf("preauth skipped the second factor: %s", a.body)
		}
	}
	srv.Advance(30 * time.Second)
	a = c.ok("the code", c.post("/service/soap", withToken("", `<AuthRequest xmlns="urn:zimbraAccount"><account by="name">`+email+`</account><authToken>`+
		a.get("authToken")+`</authToken><twoFactorCode>`+key.Code(srv.Now())+`</twoFactorCode></AuthRequest>`)))
	token = a.get("authToken")
	c.ok("scratch codes", c.post("/service/soap", withToken(token, `<GetScratchCodesRequest xmlns="urn:zimbraAccount"/>`)))

	// A stale or forged preauth value is refused.
	ts := srv.Now().Unix()*1000 - 10*60*1000
	c.fault("stale preauth", c.post("/service/soap", xmlAuthAt(ts)), "account.AUTH_FAILED")
	checkNoSecrets(t, srv, c.secrets)
}
