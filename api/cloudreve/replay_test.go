package cloudreve_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mfad/mfad/internal/e2e"
	"github.com/mfad/mfad/otp"
)

// The web client's origin in the replay: Cloudreve's frontend served from
// another host than mfad, as --cors-origins allows.
const frontendOrigin = "http://drive.example.test:5173"

// replayer sends requests as Cloudreve's web client sends them from a
// browser (Origin, bearer token, JSON bodies; a preflight where a browser
// sends one) to a real `mfad serve`, and writes the exchange, normalised,
// to one golden transcript.
type replayer struct {
	t    *testing.T
	srv  *e2e.Server
	norm *normalizer
	mu   sync.Mutex
	out  strings.Builder
}

var timeField = regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"`)

// send sends one request and checks Cloudreve's rules for it: HTTP 200,
// the envelope, CORS headers for the frontend's origin.
func (p *replayer) send(method, path, token string, body any, code int) *resp {
	p.t.Helper()
	r := p.raw(method, path, token, body)
	if r.status != http.StatusOK {
		p.t.Fatalf("%s: HTTP %d, want 200: %s", r.req, r.status, r.raw)
	}
	if err := json.Unmarshal([]byte(r.raw), &r.body); err != nil {
		p.t.Fatalf("%s: not JSON: %q", r.req, r.raw)
	}
	checkEnvelope(p.t, r)
	r.want(code)
	if got := r.header.Get("Access-Control-Allow-Origin"); got != frontendOrigin {
		p.t.Fatalf("%s: Access-Control-Allow-Origin %q, want the frontend's origin", r.req, got)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.norm.learn(p.t, r)
	p.record(r)
	return r
}

func (p *replayer) raw(method, path, token string, body any) *resp {
	p.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string: // JSON in the client's own field order
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			p.t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, p.srv.URL+"/api/v4"+path, bytes.NewReader(raw))
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Origin", frontendOrigin)
	req.Header.Set("Accept", "application/json, text/plain, */*") // axios
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &resp{t: p.t, req: method + " /api/v4" + path + "\n" + string(raw), status: res.StatusCode, header: res.Header, raw: string(b)}
}

// preflight sends the OPTIONS request a browser sends before a call with
// a bearer token or a JSON body from another origin.
func (p *replayer) preflight(method, path, headers string) {
	p.t.Helper()
	req, _ := http.NewRequest("OPTIONS", p.srv.URL+"/api/v4"+path, nil)
	req.Header.Set("Origin", frontendOrigin)
	req.Header.Set("Access-Control-Request-Method", method)
	req.Header.Set("Access-Control-Request-Headers", headers)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent || res.Header.Get("Access-Control-Allow-Origin") != frontendOrigin {
		p.t.Fatalf("preflight of %s %s: HTTP %d, %v", method, path, res.StatusCode, res.Header)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(&p.out, "OPTIONS /api/v4%s (preflight: %s; %s)\nHTTP %d\n", path, method, headers, res.StatusCode)
	for _, h := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age", "Vary"} {
		fmt.Fprintf(&p.out, "%s: %s\n", h, res.Header.Get(h))
	}
	p.out.WriteString("\n")
}

func (p *replayer) record(r *resp) {
	fmt.Fprintf(&p.out, "%s\nHTTP %d\n", strings.TrimRight(r.req, "\n"), r.status)
	for _, h := range []string{"Content-Type", "Cache-Control", "Access-Control-Allow-Origin", "Access-Control-Expose-Headers"} {
		if v := r.header.Get(h); v != "" {
			fmt.Fprintf(&p.out, "%s: %s\n", h, v)
		}
	}
	fmt.Fprintf(&p.out, "%s\n\n", r.raw)
}

// check compares the transcript with testdata/<name>.golden (-update
// rewrites it). Times of a real server are not stable: they become <time>.
func (p *replayer) check(name string) {
	p.t.Helper()
	got := timeField.ReplaceAllString(p.norm.apply(p.out.String()), `"<time>"`)
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			p.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		p.t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		p.t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// code names a TOTP code for the transcript and returns it.
func (p *replayer) code(key otp.Key) string {
	p.srv.Advance(30 * time.Second)
	c := key.Code(p.srv.Now())
	p.norm.name("code", c)
	return c
}

// TestFrontendReplay replays, against a real `mfad serve`, the requests
// Cloudreve's v4 web client sends at start-up, at login, on its settings
// page while turning 2FA on, at sign-out, at a 2FA login and while turning
// 2FA off, in its order and with its bodies, then three token refreshes at
// once as its request layer makes them when several calls find the access
// token about to expire. The sequence is taken from cloudreve/frontend
// (see docs/dialects/cloudreve.md, "The web client's sequence").
func TestFrontendReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs mfad")
	}
	srv := e2e.Start(t, e2e.Options{Args: []string{"--cors-origins", frontendOrigin, "--issuer", "Example Drive"}})
	const password = "alice-password-replay"
	srv.AddUser("alice", password, "--email", aliceEmail, "--id", "1001")
	p := &replayer{t: t, srv: srv, norm: newNormalizer()}
	creds := `{"email":"` + aliceEmail + `","password":"` + password + `"}`

	// Start-up (redux/thunks/site.ts updateSiteConfig), the login page
	// (its "login" section, then session/prepare for the typed address).
	p.send("GET", "/site/config/basic", "", nil, 0)
	p.send("GET", "/site/config/login", "", nil, 0)
	p.send("GET", "/session/prepare?email=alice%40example.org", "", nil, 0)
	p.preflight("POST", "/session/token", "content-type")
	login := p.send("POST", "/session/token", "", creds, 0)
	access, refresh := login.str("token", "access_token"), login.str("token", "refresh_token")

	// After login: the basic section again (now with the user), the file
	// page's explorer section, capacity and listing.
	p.preflight("GET", "/site/config/basic", "authorization")
	p.send("GET", "/site/config/basic", access, nil, 0)
	p.send("GET", "/site/config/explorer", access, nil, 0)
	p.send("GET", "/user/capacity", access, nil, 0)
	p.send("GET", "/file?uri=cloudreve%3A%2F%2Fmy%2F&page=0&page_size=100", access, nil, 0)

	// Settings page: read, prepare, enable.
	p.send("GET", "/user/setting", access, nil, 0)
	secret := p.send("GET", "/user/setting/2fa", access, nil, 0).str()
	key := keyOf(t, secret)
	p.preflight("PATCH", "/user/setting", "authorization,content-type")
	p.send("PATCH", "/user/setting", access, `{"two_fa_enabled":true,"two_fa_code":"`+p.code(key)+`"}`, 0)
	p.send("GET", "/user/setting", access, nil, 0)

	// Sign out (session/index.ts signOutCurrent after DELETE with the
	// refresh token only), then the 2FA login.
	p.preflight("DELETE", "/session/token", "content-type")
	p.send("DELETE", "/session/token", "", map[string]string{"refresh_token": refresh}, 0)
	sid := p.send("POST", "/session/token", "", creds, 203).str()
	second := p.send("POST", "/session/token/2fa", "", `{"otp":"`+p.code(key)+`","session_id":"`+sid+`"}`, 0)
	access, refresh = second.str("token", "access_token"), second.str("token", "refresh_token")
	p.send("GET", "/site/config/basic", access, nil, 0)

	// Turn 2FA off with a current code.
	p.send("PATCH", "/user/setting", access, `{"two_fa_enabled":false,"two_fa_code":"`+p.code(key)+`"}`, 0)
	p.send("GET", "/user/setting", access, nil, 0)

	// Three calls find the access token about to expire and each refreshes
	// with the same refresh token (api/request.ts getAccessToken): all get
	// the same working pair, and the session lives on.
	srv.Advance(55 * time.Minute)
	var wg sync.WaitGroup
	pairs := make([]*resp, 3)
	for i := range pairs {
		wg.Go(func() {
			pairs[i] = p.raw("POST", "/session/token/refresh", "", map[string]string{"refresh_token": refresh})
		})
	}
	wg.Wait()
	for i, r := range pairs {
		if err := json.Unmarshal([]byte(r.raw), &r.body); err != nil || r.status != 200 {
			t.Fatalf("refresh %d: HTTP %d %q", i, r.status, r.raw)
		}
		r.want(0)
		if r.raw != pairs[0].raw {
			t.Errorf("refresh %d got another answer than refresh 0:\n%s\n%s", i, r.raw, pairs[0].raw)
		}
	}
	p.norm.learn(t, pairs[0])
	p.out.WriteString("(three at once, the same answer each)\n")
	p.record(pairs[0])
	access = pairs[0].str("access_token")
	p.send("GET", "/user/setting", access, nil, 0)
	p.send("POST", "/session/token/refresh", "", map[string]string{"refresh_token": pairs[0].str("refresh_token")}, 0)

	p.check("replay_frontend")
	logs := srv.Logs()
	for s := range p.norm.names {
		if len(s) > 8 && strings.Contains(logs, s) {
			t.Errorf("a secret or token reached the log")
		}
	}
	if strings.Contains(logs, password) {
		t.Errorf("the password reached the log")
	}
}
