package httpx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/internal/coretest"
)

func TestClientAddr(t *testing.T) {
	ps, err := httpx.ParseProxies(" 10.0.0.0/8, 192.0.2.1 ,::1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"untrusted peer: X-Forwarded-For ignored", "203.0.113.9:1234", []string{"198.51.100.1"}, "203.0.113.9"},
		{"trusted proxy: client from X-Forwarded-For", "10.1.2.3:1234", []string{"198.51.100.1"}, "198.51.100.1"},
		{"single trusted address", "192.0.2.1:80", []string{"198.51.100.2"}, "198.51.100.2"},
		{"trusted IPv6 loopback", "[::1]:80", []string{"198.51.100.3"}, "198.51.100.3"},
		{"right-most untrusted hop wins", "10.1.2.3:1", []string{"198.51.100.1, 203.0.113.7, 10.9.9.9"}, "203.0.113.7"},
		{"several headers are one list", "10.1.2.3:1", []string{"198.51.100.1", "203.0.113.8"}, "203.0.113.8"},
		{"a forged left-most entry does not win", "10.1.2.3:1", []string{"127.0.0.1, 203.0.113.7"}, "203.0.113.7"},
		// Issue 14: an entry that does not parse never falls back to the
		// proxy's address (which may be loopback, so "local").
		{"garbage from a trusted proxy is an unknown, remote client", "10.1.2.3:1", []string{"not-an-ip"}, "unknown"},
		{"unknown behind a loopback proxy is not local", "[::1]:1", []string{"unknown"}, "unknown"},
		{"an empty entry", "[::1]:1", []string{"198.51.100.1, "}, "unknown"},
		{"host:port", "[::1]:1", []string{"203.0.113.9:4711"}, "203.0.113.9"},
		{"[IPv6]:port", "[::1]:1", []string{"[2001:db8::1]:443"}, "2001:db8::1"},
		{"[IPv6] without a port", "[::1]:1", []string{"[2001:db8::2]"}, "2001:db8::2"},
		{"IPv6", "[::1]:1", []string{"2001:db8::3"}, "2001:db8::3"},
		{"a trusted hop with a port is skipped", "10.1.2.3:1", []string{"198.51.100.4, 10.9.9.9:80"}, "198.51.100.4"},
		{"a zone is refused", "[::1]:1", []string{"fe80::1%eth0"}, "unknown"},
		{"[IPv4] is no IPv6", "[::1]:1", []string{"[192.0.2.9]"}, "unknown"},
		{"only proxies: the peer", "10.1.2.3:1", []string{"10.4.4.4"}, "10.1.2.3"},
		{"no header", "10.1.2.3:1", nil, "10.1.2.3"},
		{"IPv4-mapped peer", "[::ffff:203.0.113.9]:1", []string{"198.51.100.1"}, "203.0.113.9"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := ps.ClientAddr(r); got != tc.want {
			t.Errorf("%s: ClientAddr = %q, want %q", tc.name, got, tc.want)
		}
	}
	// Without trusted proxies the header is never believed.
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:5"
	r.Header.Set("X-Forwarded-For", "198.51.100.1")
	if got := httpx.Proxies(nil).ClientAddr(r); got != "127.0.0.1" {
		t.Errorf("no trusted proxies: ClientAddr = %q", got)
	}
	for _, bad := range []string{"10.0.0.0/33", "example.org", "10.0.0.1/x"} {
		if _, err := httpx.ParseProxies(bad); err == nil {
			t.Errorf("ParseProxies(%q) succeeded", bad)
		}
	}
}

// TestUnknownClientIsRemote: what ClientAddr gives for an unparsable hop
// counts as remote in the core (the "remote clients only" policy).
func TestUnknownClientIsRemote(t *testing.T) {
	if !(auth.Client{Addr: httpx.UnknownClient}).Remote() {
		t.Fatal("an unknown client counts as local")
	}
}

// TestWrap checks the request id (header and every log line of the
// request), the client address handed to fronts, the route in the log line
// and a recovered panic.
func TestWrap(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(httpx.LogHandler(slog.NewJSONHandler(&buf, nil)))
	ps, _ := httpx.ParseProxies("192.0.2.0/24")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) {
		log.InfoContext(r.Context(), "inside", "client", httpx.Client(r, "test").Addr)
		log.InfoContext(r.Context(), "named", "request_id", "mine")
		w.WriteHeader(http.StatusTeapot)
	})
	mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	h := httpx.Wrap(mux, ps, log)

	r := httptest.NewRequest("GET", "/things/7?token=secret-in-query", nil)
	r.RemoteAddr = "192.0.2.10:4000"
	r.Header.Set("X-Forwarded-For", "198.51.100.20")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	id := w.Header().Get("X-Request-Id")
	if w.Code != http.StatusTeapot || len(id) != 16 {
		t.Fatalf("status %d, X-Request-Id %q", w.Code, id)
	}
	lines := records(t, &buf)
	if len(lines) != 3 {
		t.Fatalf("%d log lines, want 3: %v", len(lines), lines)
	}
	if lines[0]["request_id"] != id || lines[0]["client"] != "198.51.100.20" {
		t.Errorf("line inside the handler: %v", lines[0])
	}
	if lines[1]["request_id"] != "mine" {
		t.Errorf("a record naming its own request_id: %v", lines[1])
	}
	req := lines[2]
	if req["msg"] != "request" || req["request_id"] != id || req["route"] != "GET /things/{id}" ||
		req["status"] != float64(418) || req["path"] != "/things/7" ||
		req["client"] != "198.51.100.20" || req["user_id"] != float64(0) {
		t.Errorf("request line: %v", req)
	}
	if strings.Contains(buf.String(), "secret-in-query") {
		t.Error("the query string reached the log")
	}

	buf.Reset()
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/panic", nil))
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("panic: status %d", w.Code)
	}
	lines = records(t, &buf)
	if len(lines) != 2 || lines[0]["msg"] != "panic" || lines[0]["request_id"] != w.Header().Get("X-Request-Id") {
		t.Fatalf("panic log: %v", lines)
	}

	// Two requests never share an id.
	w2 := httptest.NewRecorder()
	h.ServeHTTP(w2, httptest.NewRequest("GET", "/things/1", nil))
	if w2.Header().Get("X-Request-Id") == id {
		t.Fatal("request ids repeat")
	}
}

func records(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(buf.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func TestLogHandlerOutsideRequests(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(httpx.LogHandler(slog.NewTextHandler(&buf, nil))).With("component", "x")
	log.Info("no request")
	if strings.Contains(buf.String(), "request_id") || !strings.Contains(buf.String(), "component=x") {
		t.Fatalf("log line: %s", buf.String())
	}
	if h := httpx.LogHandler(log.Handler()); h == nil {
		t.Fatal("nil handler")
	}
}

// The request line names the user whose token the core authenticated.
func TestRequestLogNamesUser(t *testing.T) {
	core := coretest.New(t, coretest.Options{})
	ctx := context.Background()
	u, err := core.Svc.CreateUser(ctx, auth.System("test"), auth.NewUser{Name: "ann", Password: "ann-password-1"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := core.Svc.Login(ctx, auth.Client{Addr: "192.0.2.1"}, auth.LoginRequest{Login: "ann", Password: "ann-password-1"})
	if err != nil || res.Tokens == nil {
		t.Fatal(res, err)
	}
	var buf bytes.Buffer
	h := httpx.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := core.Svc.Authenticate(r.Context(), httpx.Client(r, "test"), r.Header.Get("X-Token")); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}), nil, slog.New(slog.NewJSONHandler(&buf, nil)))
	for _, tc := range []struct {
		token string
		want  int64
	}{{res.Tokens.Access, u.ID}, {"not-a-token", 0}} {
		buf.Reset()
		r := httptest.NewRequest("GET", "/x", nil)
		r.RemoteAddr = "203.0.113.9:5000"
		r.Header.Set("X-Token", tc.token)
		h.ServeHTTP(httptest.NewRecorder(), r)
		lines := records(t, &buf)
		last := lines[len(lines)-1]
		if last["msg"] != "request" || last["user_id"] != float64(tc.want) || last["client"] != "203.0.113.9" {
			t.Errorf("request line: %v, want user_id %d", last, tc.want)
		}
	}
}
