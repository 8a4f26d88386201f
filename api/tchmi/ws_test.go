package tchmi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/api/tchmi"
	"github.com/mfad/mfad/auth"
)

// server serves the dialect on "/" as cmd/mfad does: behind httpx.Wrap,
// which sets the client address under the trusted-proxy rule.
func server(t *testing.T, e *env, o tchmi.Options, proxies string) *httptest.Server {
	t.Helper()
	ps, err := httpx.ParseProxies(proxies)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h := tchmi.NewHandler(e.svc, o)
	mux.Handle("/{$}", h)
	mux.Handle("/Login", h)
	mux.Handle("/Logout", h)
	srv := httptest.NewServer(httpx.Wrap(mux, ps, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	return srv
}

func wsURL(srv *httptest.Server) string { return "ws" + strings.TrimPrefix(srv.URL, "http") + "/" }

func dial(t *testing.T, srv *httptest.Server, opts *websocket.DialOptions) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.Dial(context.Background(), wsURL(srv), opts)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

// roundTrip sends one frame and decodes the answer.
func roundTrip(t *testing.T, c *websocket.Conn, req string) *answer {
	t.Helper()
	ctx := context.Background()
	if err := c.Write(ctx, websocket.MessageText, []byte(req)); err != nil {
		t.Fatalf("write: %v", err)
	}
	typ, b, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if typ != websocket.MessageText {
		t.Errorf("answer is a %v message", typ)
	}
	var a answer
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("answer %q: %v", b, err)
	}
	a.raw = b
	return &a
}

func wantCodes(t *testing.T, a *answer, want ...int) {
	t.Helper()
	if got := a.codes(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("codes %v, want %v: %s", got, want, a.raw)
	}
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

// closeStatus reads until the connection ends and returns its close status.
func closeStatus(t *testing.T, c *websocket.Conn) websocket.StatusCode {
	t.Helper()
	for {
		_, _, err := c.Read(context.Background())
		if err != nil {
			return websocket.CloseStatus(err)
		}
	}
}

func TestPlainRequests(t *testing.T) {
	e := newEnv(t)
	srv := server(t, e, tchmi.Options{}, "")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tests := []struct {
		method   string
		header   map[string]string
		status   int
		location string
	}{
		{"GET", nil, http.StatusFound, "/ui/"},
		{"HEAD", nil, http.StatusFound, "/ui/"},
		{"POST", nil, http.StatusMethodNotAllowed, ""},
		{"GET", map[string]string{"Upgrade": "websocket"}, http.StatusUpgradeRequired, ""}, // no Connection: Upgrade
		{"POST", map[string]string{"Upgrade": "websocket", "Connection": "Upgrade"}, http.StatusMethodNotAllowed, ""},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(tt.method, srv.URL+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range tt.header {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status || resp.Header.Get("Location") != tt.location {
			t.Errorf("%s / %v: %d %q, want %d %q", tt.method, tt.header, resp.StatusCode, resp.Header.Get("Location"), tt.status, tt.location)
		}
	}
}

func TestWebSocket(t *testing.T) {
	e := newEnv(t)
	srv := server(t, e, tchmi.Options{}, "")
	ws := dial(t, srv, nil)
	alice := e.users["alice"]
	wantCodes(t, roundTrip(t, ws, frame(1, c2(tchmi.SymGet2FAStatus))), eAccess)
	login := roundTrip(t, ws, frame(2, c(tchmi.SymLogin, obj{"userName": "alice", "password": alice.Password}, msg...)))
	wantCodes(t, login, ok)
	tests := []struct {
		name string
		req  string
		want []int
	}{
		{"a malformed frame gets an error frame", `{"requestType":`, []int{eSyntax}},
		{"and the connection stays up, logged in", frame(3, c2(tchmi.SymGet2FAStatus)), []int{ok}},
		{"a frame of another shape", `"hello"`, []int{eField}},
		{"still up", frame(4, c2(tchmi.SymConfig2FA)), []int{ok}},
	}
	for _, tt := range tests {
		wantCodes(t, roundTrip(t, ws, tt.req), tt.want...)
	}
	// Binary frames are read as text frames.
	if err := ws.Write(context.Background(), websocket.MessageBinary, []byte(frame(5, c2(tchmi.SymGet2FAStatus)))); err != nil {
		t.Fatal(err)
	}
	if _, b, err := ws.Read(context.Background()); err != nil || !strings.Contains(string(b), `"readValue":1`) {
		t.Errorf("binary frame: %s %v", b, err)
	}
	// The session belongs to the connection: a second connection is not
	// logged in, until it names the session.
	other := dial(t, srv, nil)
	wantCodes(t, roundTrip(t, other, frame(6, c2(tchmi.SymGet2FAStatus))), eAccess)
	wantCodes(t, roundTrip(t, other, `{"requestType":"ReadWrite","id":7,"sessionId":`+jsonOf(login.token())+`,"commands":[{"symbol":"Logout"}]}`), ok)
	wantCodes(t, roundTrip(t, ws, frame(8, c2(tchmi.SymGet2FAStatus))), eAccess)
}

func c2(symbol string) cmd { return c(symbol, nil, msg...) }

func TestOversizedFrameClosesOnlyThatConnection(t *testing.T) {
	e := newEnv(t)
	srv := server(t, e, tchmi.Options{ReadLimit: 1024}, "")
	big, small := dial(t, srv, nil), dial(t, srv, nil)
	big.SetReadLimit(-1)
	huge := frame(1, c(tchmi.SymLogin, obj{"userName": strings.Repeat("a", 2000), "password": "x"}))
	if err := big.Write(context.Background(), websocket.MessageText, []byte(huge)); err != nil {
		t.Fatal(err)
	}
	if s := closeStatus(t, big); s != websocket.StatusMessageTooBig {
		t.Errorf("oversized frame: close status %v, want %v", s, websocket.StatusMessageTooBig)
	}
	wantCodes(t, roundTrip(t, small, frame(2, c2(tchmi.SymGet2FAStatus))), eAccess)
	wantCodes(t, roundTrip(t, dial(t, srv, nil), frame(3, c2(tchmi.SymGet2FAStatus))), eAccess)
}

func TestDefaultFrameLimit(t *testing.T) {
	e := newEnv(t)
	srv := server(t, e, tchmi.Options{}, "")
	ws := dial(t, srv, nil)
	fits := frame(1, c(tchmi.SymGet2FAStatus, strings.Repeat("a", 60<<10), msg...))
	wantCodes(t, roundTrip(t, ws, fits), eAccess)
	tooBig := frame(2, c(tchmi.SymGet2FAStatus, strings.Repeat("a", 64<<10), msg...))
	if err := ws.Write(context.Background(), websocket.MessageText, []byte(tooBig)); err != nil {
		t.Fatal(err)
	}
	if s := closeStatus(t, ws); s != websocket.StatusMessageTooBig {
		t.Errorf("a frame over 64 KiB: close status %v", s)
	}
}

func TestOrigins(t *testing.T) {
	e := newEnv(t)
	srv := server(t, e, tchmi.Options{OriginPatterns: []string{"hmi.example"}}, "")
	tests := []struct {
		origin string
		ok     bool
	}{
		{"", true},      // not a browser
		{srv.URL, true}, // the server's own page
		{"http://hmi.example", true},
		{"https://hmi.example", true},
		{"http://evil.example", false},
		{"http://hmi.example.evil.example", false},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.origin != "" {
			h.Set("Origin", tt.origin)
		}
		ws, resp, err := websocket.Dial(context.Background(), wsURL(srv), &websocket.DialOptions{HTTPHeader: h})
		if (err == nil) != tt.ok {
			t.Errorf("Origin %q: err %v, want ok %v", tt.origin, err, tt.ok)
		}
		if err == nil {
			_ = ws.CloseNow()
		} else if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("Origin %q: %v, want 403", tt.origin, resp)
		}
	}
}

func TestIdleTimeout(t *testing.T) {
	e := newEnv(t)
	srv := server(t, e, tchmi.Options{IdleTimeout: 20 * time.Millisecond}, "")
	ws := dial(t, srv, nil)
	if s := closeStatus(t, ws); s != websocket.StatusPolicyViolation {
		t.Errorf("idle connection: close status %v, want %v", s, websocket.StatusPolicyViolation)
	}
}

func TestPingsKeepAReadingClient(t *testing.T) {
	e := newEnv(t)
	srv := server(t, e, tchmi.Options{PingInterval: time.Millisecond, PongTimeout: time.Minute}, "")
	pings := make(chan struct{}, 100)
	ws := dial(t, srv, &websocket.DialOptions{OnPingReceived: func(context.Context, []byte) bool {
		select {
		case pings <- struct{}{}:
		default:
		}
		return true
	}})
	answers := make(chan []byte, 1)
	go func() {
		_, b, _ := ws.Read(context.Background())
		answers <- b
	}()
	for range 3 {
		<-pings
	}
	if err := ws.Write(context.Background(), websocket.MessageText, []byte(frame(1, c2(tchmi.SymGet2FAStatus)))); err != nil {
		t.Fatal(err)
	}
	if b := <-answers; !strings.Contains(string(b), `"code":4101`) {
		t.Errorf("answer after pings: %s", b)
	}
}

// rawConn opens a WebSocket by hand, for peers that misbehave.
func rawConn(t *testing.T, srv *httptest.Server) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	// A safety net, not an assertion: a broken server fails the test
	// instead of hanging it.
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	_, err = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: mfad\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	status, err := br.ReadString('\n')
	if err != nil || !strings.Contains(status, " 101 ") {
		t.Fatalf("handshake: %q %v", status, err)
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == "\r\n" {
			return conn, br
		}
	}
}

// waitEOF reads until the server closes the connection and returns what
// it sent.
func waitEOF(t *testing.T, br *bufio.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the server did not close the connection")
	}
	return b
}

func TestPeerThatDoesNotAnswerPingsIsClosed(t *testing.T) {
	e := newEnv(t)
	srv := server(t, e, tchmi.Options{PingInterval: time.Millisecond, PongTimeout: 10 * time.Millisecond}, "")
	_, br := rawConn(t, srv)
	// Pings arrive, never answered; then the server hangs up.
	if sent := waitEOF(t, br); len(sent) == 0 || sent[0] != 0x89 {
		t.Errorf("the server sent % x, want a ping frame first", sent)
	}
}

func TestSlowFrameIsClosed(t *testing.T) {
	e := newEnv(t)
	srv := server(t, e, tchmi.Options{ReadTimeout: 10 * time.Millisecond}, "")
	conn, br := rawConn(t, srv)
	// A masked text frame announcing 100 bytes, of which 10 come.
	if _, err := conn.Write(append([]byte{0x81, 0x80 | 100, 1, 2, 3, 4}, make([]byte, 10)...)); err != nil {
		t.Fatal(err)
	}
	if sent := waitEOF(t, br); len(sent) != 0 {
		t.Errorf("the server sent % x before hanging up", sent)
	}
}

func TestShutdownClosesConnections(t *testing.T) {
	e := newEnv(t)
	srv := server(t, e, tchmi.Options{}, "")
	ws := dial(t, srv, nil)
	wantCodes(t, roundTrip(t, ws, frame(1, c2(tchmi.SymGet2FAStatus))), eAccess)
	status := make(chan websocket.StatusCode, 1)
	go func() { status <- closeStatus(t, ws) }()
	if err := srv.Config.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := <-status; s != websocket.StatusGoingAway {
		t.Errorf("shutdown: close status %v, want %v", s, websocket.StatusGoingAway)
	}
}

// TestRemoteClients checks the client address behind a trusted proxy: the
// remote-only policy asks a remote client for the code and not a local one.
func TestRemoteClients(t *testing.T) {
	e := newEnv(t)
	e.enroll("bob", secretBob)
	e.setPolicy(auth.PolicyRemote)
	bob := e.users["bob"]
	srv := server(t, e, tchmi.Options{}, "127.0.0.1/32")
	h := http.Header{}
	h.Set("X-Forwarded-For", "203.0.113.7")
	remote := dial(t, srv, &websocket.DialOptions{HTTPHeader: h})
	wantCodes(t, roundTrip(t, remote, frame(1, c(tchmi.SymLogin, obj{"userName": "bob", "password": bob.Password}, msg...))), eNeed)
	local := dial(t, srv, nil)
	wantCodes(t, roundTrip(t, local, frame(2, c(tchmi.SymLogin, obj{"userName": "bob", "password": bob.Password}, msg...))), ok)
	st := roundTrip(t, local, frame(3, c2(tchmi.SymGet2FAStatus)))
	if v, _ := st.Commands[0].ReadValue.(float64); v != tchmi.Status2FANotRequired {
		t.Errorf("local client under the remote-only policy: status %s", st.raw)
	}
	wantCodes(t, roundTrip(t, remote, frame(4, c(tchmi.SymLogin, obj{"userName": "bob", "password": bob.Password, "twoFactorToken": e.code(secretBob)}, msg...))), ok)
	st = roundTrip(t, remote, frame(5, c2(tchmi.SymGet2FAStatus)))
	if v, _ := st.Commands[0].ReadValue.(float64); v != tchmi.Status2FAEnabled {
		t.Errorf("remote client under the remote-only policy: status %s", st.raw)
	}
}
