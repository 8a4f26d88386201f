package tchmi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/mfad/mfad/api/tchmi"
	"github.com/mfad/mfad/auth"
)

// upgradeStatus asks for a WebSocket upgrade with the given Host and Origin
// headers, by hand (a client library sets Host from the URL), and returns
// the answer's status.
func upgradeStatus(t *testing.T, addr, host, origin string) int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second)) // a safety net, not an assertion
	req := "GET / HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	if origin != "" {
		req += "Origin: " + origin + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode
}

// Issue 14 item 7: a page of rebind.evil, whose name an attacker made to
// resolve to mfad, is same-origin with the Host it addresses; the Host must
// be one of the server's own names too.
func TestHostAndOrigin(t *testing.T) {
	e := newEnv(t)
	srv := server(t, e, tchmi.Options{OriginPatterns: []string{"https://hmi.example:1010", "*.plant.example"},
		PublicHosts: []string{"mfad.example", "mfad.plant.example:8443"}}, "")
	addr := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct {
		name, host, origin string
		want               int
	}{
		{"DNS rebinding: a foreign Host with its own Origin", "rebind.evil", "http://rebind.evil", 403},
		{"DNS rebinding with a port", "rebind.evil:8080", "http://rebind.evil:8080", 403},
		{"a public host, same origin", "mfad.example", "https://mfad.example", 101},
		{"a public host given with a port, any port", "mfad.plant.example", "http://mfad.plant.example", 101},
		{"an IP address, same origin", addr, "http://" + addr, 101},
		{"localhost, same origin", "localhost:8080", "http://localhost:8080", 101},
		{"an allowed origin, exactly", "mfad.example", "https://hmi.example:1010", 101},
		{"an allowed origin, other scheme", "mfad.example", "http://hmi.example:1010", 403},
		{"an allowed origin, other port", "mfad.example", "https://hmi.example:1011", 403},
		{"an allowed host pattern", "mfad.example", "https://panel7.plant.example", 101},
		{"a look-alike of the pattern", "mfad.example", "https://plant.example.evil", 403},
		{"an allowed origin, but a foreign Host", "rebind.evil", "https://hmi.example:1010", 403},
		{"not a browser: no Origin, any Host", "rebind.evil", "", 101},
		{"a malformed Origin", "mfad.example", "::", 403},
	}
	for _, tt := range tests {
		if got := upgradeStatus(t, addr, tt.host, tt.origin); got != tt.want {
			t.Errorf("%s (Host %s, Origin %s): status %d, want %d", tt.name, tt.host, tt.origin, got, tt.want)
		}
	}
}

// browser is an HTTP client with a cookie jar, as a page's fetch is.
type browser struct {
	t      *testing.T
	srv    string
	origin string
	header http.Header // sent with every request, as a browser's Sec-Fetch-*
	c      *http.Client
}

func newBrowser(t *testing.T, srvURL, origin string) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, srv: srvURL, origin: origin, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path, ctype, body string) (*http.Response, string) {
	b.t.Helper()
	req, err := http.NewRequest(method, b.srv+path, strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if b.origin != "" {
		req.Header.Set("Origin", b.origin)
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

func (b *browser) cookieHeader() http.Header {
	u, _ := url.Parse(b.srv)
	h := http.Header{}
	for _, c := range b.c.Jar.Cookies(u) {
		h.Add("Cookie", c.Name+"="+c.Value)
	}
	if b.origin != "" {
		h.Set("Origin", b.origin)
	}
	return h
}

func loginJSON(name, password, code string, persistent bool) string {
	b, _ := json.Marshal(map[string]any{"userName": name, "password": password, "twoFactorToken": code, "persistent": persistent})
	return string(b)
}

// The HTTP login answers TwinCAT's session cookie; a WebSocket opened with
// it holds the session without a Login; /Logout ends the session and
// clears the cookie.
func TestHTTPLoginCookie(t *testing.T) {
	e := newEnv(t)
	e.enroll("bob", secretBob)
	const hmiOrigin = "http://hmi.example:1010"
	srv := server(t, e, tchmi.Options{OriginPatterns: []string{hmiOrigin}}, "")
	bob := e.users["bob"]
	b := newBrowser(t, srv.URL, hmiOrigin)

	// Preflight of a cross-origin JSON POST.
	resp, _ := b.do(http.MethodOptions, "/Login", "", "")
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != hmiOrigin ||
		resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	steps := []struct {
		name, body string
		status     int
		errCode    int
	}{
		{"wrong password", loginJSON("bob", "wrong-password", "", false), 401, tchmi.CodeInvalidCredentials},
		{"2FA on, no code: the page asks for one", loginJSON("bob", bob.Password, "", false), 401, tchmi.CodeTokenRequired},
		{"a wrong code", loginJSON("bob", bob.Password, "000000", false), 401, tchmi.CodeInvalidToken},
		{"a malformed body", `{"userName":`, 400, tchmi.CodeInvalidField},
	}
	for _, s := range steps {
		resp, body := b.do(http.MethodPost, "/Login", "application/json", s.body)
		var f tchmi.ErrorFrame
		if resp.StatusCode != s.status || json.Unmarshal([]byte(body), &f) != nil || f.Error == nil || f.Error.Code != s.errCode {
			t.Errorf("%s: %d %s, want %d and code %#x", s.name, resp.StatusCode, body, s.status, s.errCode)
		}
		if len(resp.Cookies()) != 0 {
			t.Errorf("%s: a cookie was set", s.name)
		}
	}
	e.clock.Add(30 * time.Second)
	resp, body := b.do(http.MethodPost, "/Login", "application/json", loginJSON("bob", bob.Password, e.code(secretBob), true))
	var ok struct{ SessionID, ServerID string }
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &ok) != nil || ok.SessionID == "" || ok.ServerID != "mfad" {
		t.Fatalf("login with a code: %d %s", resp.StatusCode, body)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != hmiOrigin {
		t.Errorf("the allowed page cannot read the answer: %v", resp.Header)
	}
	var ck *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "sessionId-mfad" {
			ck = c
		}
	}
	if ck == nil || ck.Value != ok.SessionID || !ck.HttpOnly || ck.Path != "/" || ck.MaxAge <= 0 || ck.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie: %+v", ck)
	}

	// A new WebSocket with the cookie holds the session, no Login needed.
	ws, _, err := websocket.Dial(context.Background(), wsURL(srv), &websocket.DialOptions{HTTPHeader: b.cookieHeader()})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	a := roundTrip(t, ws, frame(1, c(tchmi.SymGet2FAStatus, nil, msg...)))
	wantCodes(t, a, 0)

	// /Logout ends the session and clears the cookie.
	old := b.cookieHeader()
	resp, _ = b.do(http.MethodGet, "/Logout", "", "")
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/Login" {
		t.Errorf("logout: %d %v", resp.StatusCode, resp.Header)
	}
	if h := b.cookieHeader(); h.Get("Cookie") != "" {
		t.Errorf("cookie after logout: %v", h)
	}
	wantCodes(t, roundTrip(t, ws, frame(2, c(tchmi.SymGet2FAStatus, nil, msg...))), tchmi.CodeInsufficientAccess)
	ws2, _, err := websocket.Dial(context.Background(), wsURL(srv), &websocket.DialOptions{HTTPHeader: old})
	if err != nil {
		t.Fatal(err)
	}
	defer ws2.CloseNow()
	wantCodes(t, roundTrip(t, ws2, frame(1, c(tchmi.SymGet2FAStatus, nil, msg...))), tchmi.CodeInsufficientAccess)

	// A page of an origin not allowed gets nothing.
	evil := newBrowser(t, srv.URL, "http://evil.example")
	if resp, _ := evil.do(http.MethodPost, "/Login", "application/json", loginJSON("bob", bob.Password, "", false)); resp.StatusCode != 403 {
		t.Errorf("login from a foreign page: %d", resp.StatusCode)
	}
}

// The login page of a browser without scripts: a form, the code field once
// the server asks for it, and a redirect to a local Location only.
func TestHTTPLoginForm(t *testing.T) {
	e := newEnv(t)
	e.enroll("bob", secretBob)
	srv := server(t, e, tchmi.Options{}, "")
	bob := e.users["bob"]
	b := newBrowser(t, srv.URL, "")
	resp, body := b.do(http.MethodGet, "/Login", "", "")
	if resp.StatusCode != 200 || !strings.Contains(body, `name="userName"`) || strings.Contains(body, "twoFactorToken") {
		t.Fatalf("login page: %d %s", resp.StatusCode, body)
	}
	form := url.Values{"userName": {"bob"}, "password": {bob.Password}}
	resp, body = b.do(http.MethodPost, "/Login?Location=/hmi/", "application/x-www-form-urlencoded", form.Encode())
	if resp.StatusCode != 401 || !strings.Contains(body, `name="twoFactorToken"`) {
		t.Fatalf("2FA user without a code: %d %s", resp.StatusCode, body)
	}
	e.clock.Add(30 * time.Second)
	// Issue 26, item 3: what a browser's URL parser reads as another
	// origin ("/\t/evil.com" is "//evil.com" to it) goes to "/".
	for _, tt := range []struct{ location, want string }{
		{"/hmi/", "/hmi/"}, {"/hmi/?a=1#x", "/hmi/?a=1#x"}, {"//evil.example/", "/"}, {"https://evil.example/", "/"},
		{"/\t/evil.example", "/"}, {"/\n/evil.example", "/"}, {"/\r\n/evil.example", "/"}, {"/\\evil.example", "/"},
		{"/\\/evil.example", "/"}, {"\\\\evil.example", "/"}, {"/\x00/evil.example", "/"}, {"/\x7f/evil.example", "/"},
		{"javascript:alert(1)", "/"}, {" /evil", "/"},
	} {
		form.Set("twoFactorToken", e.code(secretBob))
		resp, body = b.do(http.MethodPost, "/Login?Location="+url.QueryEscape(tt.location), "application/x-www-form-urlencoded", form.Encode())
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != tt.want {
			t.Errorf("Location %s: %d %v %s", tt.location, resp.StatusCode, resp.Header.Get("Location"), body)
		}
		e.clock.Add(30 * time.Second)
	}
	// GET /Login does not carry such a Location into the form either.
	for _, loc := range []string{"/\t/evil.example", "/\\evil.example"} {
		_, body := b.do(http.MethodGet, "/Login?Location="+url.QueryEscape(loc), "", "")
		if strings.Contains(body, "evil.example") {
			t.Errorf("GET /Login?Location=%q: the form carries it: %s", loc, body)
		}
	}
	if resp, _ := b.do(http.MethodPut, "/Login", "", ""); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("PUT /Login: %d", resp.StatusCode)
	}
}

// A subscription over a real WebSocket: answered at once, then a frame
// with its id when the value changes, interleaved with ordinary answers;
// Unsubscribe ends it.
func TestSubscriptionOverWebSocket(t *testing.T) {
	e := newEnv(t)
	e.enroll("bob", secretBob)
	srv := server(t, e, tchmi.Options{}, "")
	ws := dial(t, srv, nil)
	bob := e.users["bob"]
	wantCodes(t, roundTrip(t, ws, frame(1, c(tchmi.SymLogin, obj{"userName": "bob", "password": bob.Password, "twoFactorToken": e.code(secretBob)}))), 0)
	sub := `{"requestType":"Subscription","id":7,"intervalTime":200,"commands":[{"symbol":"TcHmiUserManagement.Get2FAStatus"}]}`
	a := roundTrip(t, ws, sub)
	if len(a.Commands) != 1 || a.Commands[0].ReadValue != float64(tchmi.Status2FACanBeDisabled) {
		t.Fatalf("subscription answer: %s", a.raw)
	}
	e.setPolicy(auth.PolicyAll)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // a safety net, not an assertion
	defer cancel()
	_, b, err := ws.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var tick struct {
		RequestType string `json:"requestType"`
		ID          int    `json:"id"`
		Commands    []struct {
			ReadValue any `json:"readValue"`
		} `json:"commands"`
	}
	if json.Unmarshal(b, &tick) != nil || tick.RequestType != "Subscription" || tick.ID != 7 ||
		len(tick.Commands) != 1 || tick.Commands[0].ReadValue != float64(tchmi.Status2FAEnabled) {
		t.Fatalf("tick: %s", b)
	}
	wantCodes(t, roundTrip(t, ws, frame(8, c(tchmi.SymUnsubscribe, 7, msg...))), 0)
	wantCodes(t, roundTrip(t, ws, frame(9, c(tchmi.SymUnsubscribe, 7, msg...))), tchmi.CodeInvalidField)
}

// TestLogoutCrossSite (issue 26, item 8): a top-level GET /Logout from
// another site (Sec-Fetch-Site: cross-site) does not end the session; it
// answers a page whose button (a same-origin form POST) does. Same-origin
// and same-site links, and browsers that send no Sec-Fetch-Site, log out
// at once as Beckhoff's pages expect.
func TestLogoutCrossSite(t *testing.T) {
	e := newEnv(t)
	e.enroll("bob", secretBob)
	srv := server(t, e, tchmi.Options{}, "")
	bob := e.users["bob"]
	login := func() (*browser, string) {
		b := newBrowser(t, srv.URL, "")
		e.clock.Add(30 * time.Second)
		form := url.Values{"userName": {"bob"}, "password": {bob.Password}, "twoFactorToken": {e.code(secretBob)}}
		if resp, body := b.do(http.MethodPost, "/Login", "application/x-www-form-urlencoded", form.Encode()); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d %s", resp.StatusCode, body)
		}
		return b, strings.TrimPrefix(b.cookieHeader().Get("Cookie"), "sessionId-mfad=")
	}
	alive := func(session string) bool {
		_, err := e.svc.Authenticate(e.ctx, auth.Client{Addr: "127.0.0.1", Dialect: tchmi.Dialect}, session)
		return err == nil
	}

	b, session := login()
	b.header = http.Header{"Sec-Fetch-Site": {"cross-site"}, "Sec-Fetch-Mode": {"navigate"}, "Sec-Fetch-Dest": {"document"}}
	resp, body := b.do(http.MethodGet, "/Logout", "", "")
	if resp.StatusCode != 200 || !strings.Contains(body, `<form method="post" action="/Logout">`) ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("cross-site GET /Logout: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	if !alive(session) || b.cookieHeader().Get("Cookie") == "" {
		t.Fatal("a cross-site link ended the session")
	}
	if resp, _ := b.do(http.MethodHead, "/Logout", "", ""); resp.StatusCode != 200 || !alive(session) {
		t.Fatalf("cross-site HEAD /Logout: %d, alive %v", resp.StatusCode, alive(session))
	}
	// The page's button: a form POST from the page itself.
	b.header = http.Header{"Sec-Fetch-Site": {"same-origin"}}
	if resp, _ := b.do(http.MethodPost, "/Logout", "application/x-www-form-urlencoded", ""); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/Login" {
		t.Errorf("the logout button: %d %v", resp.StatusCode, resp.Header)
	}
	if alive(session) {
		t.Error("the logout button left the session alive")
	}

	for _, site := range []string{"same-origin", "same-site", "none", ""} {
		b, session := login()
		if site != "" {
			b.header = http.Header{"Sec-Fetch-Site": {site}}
		}
		if resp, _ := b.do(http.MethodGet, "/Logout", "", ""); resp.StatusCode != http.StatusFound || alive(session) {
			t.Errorf("GET /Logout with Sec-Fetch-Site %q: %d, session alive %v", site, resp.StatusCode, alive(session))
		}
	}
}
