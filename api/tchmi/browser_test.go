package tchmi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mfad/mfad/api/tchmi"
	"github.com/mfad/mfad/internal/e2e"
)

// chromium finds Debian's chromium (or another Chromium or Chrome).
func chromium() string {
	if p := os.Getenv("MFAD_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// hmiPage is a small HMI page as a TwinCAT project would serve it from its
// own server: it logs in at mfad's /Login with fetch (the session cookie
// comes back), then opens WebSockets that carry the cookie and speak the
// TcHmi protocol. Subscription answers are kept in window.ticks.
const hmiPage = `<!doctype html><html><head><meta charset="utf-8"><title>HMI</title></head><body><h1>HMI</h1>
<script>
const mfad = %q;
window.ticks = [];
let nextId = 1;
async function login(userName, password, code) {
  const r = await fetch(mfad + "/Login", {method: "POST", credentials: "include",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({userName, password, twoFactorToken: code})});
  const body = await r.json();
  return JSON.stringify({status: r.status, code: body.error ? body.error.code : 0, serverId: body.serverId || ""});
}
async function logout() {
  const r = await fetch(mfad + "/Logout", {method: "POST", credentials: "include"});
  return r.status;
}
function open() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(mfad.replace(/^http/, "ws") + "/");
    ws.pending = {};
    ws.onmessage = ev => {
      const a = JSON.parse(ev.data);
      if (a.requestType === "Subscription") window.ticks.push(a);
      const p = ws.pending[a.id];
      if (p) { delete ws.pending[a.id]; p(a); }
    };
    ws.onopen = () => resolve(ws);
    ws.onerror = () => reject("the WebSocket did not open");
  });
}
function send(ws, req) {
  req.id = nextId++;
  return new Promise(resolve => { ws.pending[req.id] = resolve; ws.send(JSON.stringify(req)); });
}
async function read(ws, symbol) {
  const a = await send(ws, {requestType: "ReadWrite", commands: [{symbol, commandOptions: ["SendErrorMessage"]}]});
  const c = a.commands[0];
  return JSON.stringify(c.error ? {error: c.error.code} : {value: c.readValue});
}
async function subscribe(ws, symbol, intervalTime) {
  const a = await send(ws, {requestType: "Subscription", intervalTime, commands: [{symbol, commandOptions: ["SendErrorMessage"]}]});
  return JSON.stringify(a.commands[0].readValue);
}
</script></body></html>`

// TestBrowserHMI: in real headless Chromium, an HMI page served from
// another origin logs in over HTTP with a code, opens the WebSocket with
// TwinCAT's session cookie (no credentials in any frame), reads
// Get2FAStatus, subscribes to it, and keeps working after the access
// lifetime would have ended, because every use renews the session.
func TestBrowserHMI(t *testing.T) {
	path := chromium()
	if testing.Short() && os.Getenv("MFAD_REQUIRE_BROWSER") != "1" {
		t.Skip("a browser test; skipped with -short")
	}
	if path == "" {
		if os.Getenv("MFAD_REQUIRE_BROWSER") == "1" {
			t.Fatal("no chromium found, and MFAD_REQUIRE_BROWSER=1")
		}
		t.Skip("no chromium found (set MFAD_REQUIRE_BROWSER=1 to make this a failure)")
	}
	// The HMI's own server: another origin (another port) of the same host.
	var mfadURL string
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, hmiPage, mfadURL)
	}))
	defer page.Close()
	srv := e2e.Start(t, e2e.Options{Args: []string{"--tchmi-origins", page.URL}})
	mfadURL = srv.URL
	const alicePw = "alice-password-browser"
	srv.AddUser("alice", alicePw, "--email", "alice@example.org")
	secrets := []string{alicePw}
	a := connect(t, srv, &secrets, nil)
	a.login("alice", alicePw, "", ok)
	secret, key := clientSecret(t)
	a.call(tchmi.SymEnable2FA, obj{"password": alicePw, "secret": secret, "twoFactorToken": key.Code(srv.Now())}, ok)

	actx, cancelA := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.Headless, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true), chromedp.UserDataDir(t.TempDir()))
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancel()
	if err := chromedp.Do(ctx); err != nil { // starts the browser, with no timeout
		t.Fatalf("starting %s: %v", path, err)
	}
	js := func(expr string) string {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		v, err := chromedp.Run(c, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}
	must := func(expr, want string) {
		t.Helper()
		if got := js(expr); got != want {
			t.Fatalf("%s = %s, want %s", expr, got, want)
		}
	}
	c, cancelNav := context.WithTimeout(ctx, 30*time.Second)
	if err := chromedp.Do(c, chromedp.Navigate(page.URL+"/")); err != nil {
		t.Fatal(err)
	}
	cancelNav()

	// The HTTP login: the code is asked for, then accepted.
	must(fmt.Sprintf(`login("alice", %q, "")`, alicePw), fmt.Sprintf(`{"status":401,"code":%d,"serverId":""}`, tchmi.CodeTokenRequired))
	must(fmt.Sprintf(`login("alice", %q, %q)`, alicePw, next(srv, key)), `{"status":200,"code":0,"serverId":"mfad"}`)
	if got := js(`document.cookie`); strings.Contains(got, "sessionId") {
		t.Errorf("the page's script sees the session cookie: %q", got)
	}

	// The WebSocket carries the cookie: the page is logged in on it.
	must(`open().then(ws => { window.ws = ws; return read(ws, "TcHmiUserManagement.Get2FAStatus"); })`, `{"value":3}`)
	must(`subscribe(window.ws, "TcHmiUserManagement.Get2FAStatus", 200)`, `3`)

	// An hour and more later, the page still works: its use renews the
	// session (the access lifetime is 1 h).
	for i := 0; i < 3; i++ {
		srv.Advance(50 * time.Minute)
		must(`read(window.ws, "GetCurrentUser").then(s => JSON.parse(s).value.name)`, `alice`)
	}
	// The subscription sends a change: an admin requires 2FA for everyone.
	ad := connect(t, srv, &secrets, nil)
	ad.login("admin", e2e.AdminPassword, "", ok)
	ad.call(tchmi.SymConfig2FA, 1, ok)
	waitFor(t, js, `window.ticks.some(a => a.commands[0].readValue === 0) ? "yes" : "no"`)

	// A second socket of the page needs no login either; logout ends the
	// session and clears the cookie, and a new socket is a guest's.
	must(`open().then(ws => read(ws, "GetCurrentUser")).then(s => JSON.parse(s).value.name)`, `alice`)
	must(`logout().then(String)`, `204`)
	must(`read(window.ws, "TcHmiUserManagement.Get2FAStatus")`, fmt.Sprintf(`{"error":%d}`, tchmi.CodeInsufficientAccess))
	must(`open().then(ws => read(ws, "TcHmiUserManagement.Get2FAStatus"))`, fmt.Sprintf(`{"error":%d}`, tchmi.CodeInsufficientAccess))
	checkLogs(t, srv, secrets)
}

// waitFor polls a page expression until it answers "yes" (a subscription's
// answer comes when the server's next tick sees the change).
func waitFor(t *testing.T, js func(string) string, expr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if js(expr) == "yes" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never became true", expr)
}
