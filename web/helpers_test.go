package web_test

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mfad/mfad/internal/coretest"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/otp"
	"github.com/mfad/mfad/web"
)

// clock is the core's fake clock: tests move it instead of sleeping.
type clock = coretest.Clock

const (
	adminPassword = "admin-password-1"
	userPassword  = "user-password-1"
)

// env is a real core on a real SQLite file behind the web handler, mounted
// as cmd/mfad mounts it and wrapped as every front is.
type env struct {
	t     *testing.T
	svc   *auth.Service
	core  *coretest.Core
	clock *clock
	srv   *httptest.Server
	urls  *urlLog
}

// urlLog keeps every URL requested and every Location answered, to check
// that no secret ever goes into one.
type urlLog struct {
	mu   sync.Mutex
	urls []string
}

func (l *urlLog) add(s string) {
	l.mu.Lock()
	l.urls = append(l.urls, s)
	l.mu.Unlock()
}

func (l *urlLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.urls...)
}

func newEnv(t *testing.T, tls bool) *env {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	core := coretest.New(t, coretest.Options{Start: time.Date(2030, 1, 1, 0, 0, 5, 0, time.UTC), Log: log})
	svc, clk := core.Svc, core.Clock
	if _, err := svc.Bootstrap(ctx, "admin", "admin@mfad.test", adminPassword); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, svc: svc, core: core, clock: clk, urls: &urlLog{}}
	mux := http.NewServeMux()
	mux.Handle("/ui/", web.New(svc))
	h := httpx.Wrap(mux, nil, log)
	logged := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.urls.add(r.URL.String())
		h.ServeHTTP(w, r)
	})
	if tls {
		e.srv = httptest.NewTLSServer(logged)
	} else {
		e.srv = httptest.NewServer(logged)
	}
	t.Cleanup(e.srv.Close)
	return e
}

// addUser creates a user through the core.
func (e *env) addUser(name string) int64 {
	e.t.Helper()
	u, err := e.svc.CreateUser(context.Background(), auth.System("test"), auth.NewUser{Name: name, Email: name + "@mfad.test", Password: userPassword})
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID
}

// status is a user's 2FA state as the core has it.
func (e *env) status(id int64) *auth.Status {
	e.t.Helper()
	st, err := e.svc.Status(context.Background(), auth.System("test"), auth.ByID(id))
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// user is one browser: a cookie jar and no automatic redirects, so the
// tests see every answer.
type user struct {
	e    *env
	t    *testing.T
	c    *http.Client
	last *page
}

type page struct {
	status   int
	header   http.Header
	cookies  []*http.Cookie
	body     string
	location string
}

func (e *env) browser() *user {
	jar, _ := cookiejar.New(nil)
	c := *e.srv.Client() // a copy: the server's client is shared
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &user{e: e, t: e.t, c: &c}
}

// do sends one request and does not follow a redirect.
func (u *user) do(method, path string, form url.Values, header ...string) *page {
	u.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u.e.srv.URL+path, body)
	if err != nil {
		u.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := u.c.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	p := &page{status: resp.StatusCode, header: resp.Header, cookies: resp.Cookies(), body: string(b), location: resp.Header.Get("Location")}
	if p.location != "" {
		u.e.urls.add(p.location)
	}
	u.last = p
	return p
}

// get and post follow 303 redirects, as a browser does.
func (u *user) get(path string) *page {
	u.t.Helper()
	return u.follow(u.do("GET", path, nil))
}

func (u *user) post(path string, form url.Values) *page {
	u.t.Helper()
	return u.follow(u.do("POST", path, form))
}

func (u *user) follow(p *page) *page {
	u.t.Helper()
	for i := 0; p.status == http.StatusSeeOther || p.status == http.StatusFound; i++ {
		if i > 5 {
			u.t.Fatal("too many redirects")
		}
		p = u.do("GET", p.location, nil)
	}
	return p
}

// form posts a form of the last page with its CSRF token and the values.
func (u *user) form(path string, kv ...string) *page {
	u.t.Helper()
	f := url.Values{"csrf": {u.last.csrf(u.t)}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return u.post(path, f)
}

var (
	reCSRF   = regexp.MustCompile(`name="csrf" value="([^"]*)"`)
	reError  = regexp.MustCompile(`(?s)<div class="msg error" role="alert" id="error"><p>(.*?)</p>`)
	reNotice = regexp.MustCompile(`(?s)<div class="msg notice" role="status" id="notice"><p>(.*?)</p>`)
	reSecret = regexp.MustCompile(`<code id="secret" class="secret">(.*?)</code>`)
	reTag    = regexp.MustCompile(`<[^>]*>`)
	reCode   = regexp.MustCompile(`<li><code>([^<]+)</code></li>`)
	reH1     = regexp.MustCompile(`<h1>([^<]*)</h1>`)
)

func (p *page) csrf(t *testing.T) string {
	t.Helper()
	m := reCSRF.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF token on the page:\n%s", p.body)
	}
	return m[1]
}

func (p *page) hidden(t *testing.T, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no field %s on the page:\n%s", name, p.body)
	}
	return html.UnescapeString(m[1])
}

func (p *page) errorText() string {
	if m := reError.FindStringSubmatch(p.body); m != nil {
		return html.UnescapeString(reTag.ReplaceAllString(m[1], ""))
	}
	return ""
}

func (p *page) notice() string {
	if m := reNotice.FindStringSubmatch(p.body); m != nil {
		return html.UnescapeString(m[1])
	}
	return ""
}

func (p *page) title() string {
	if m := reH1.FindStringSubmatch(p.body); m != nil {
		return html.UnescapeString(m[1])
	}
	return ""
}

func (p *page) secret(t *testing.T) string {
	t.Helper()
	m := reSecret.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no secret on the page:\n%s", p.body)
	}
	return html.UnescapeString(reTag.ReplaceAllString(m[1], ""))
}

func (p *page) scratchCodes() []string {
	var out []string
	for _, m := range reCode.FindAllStringSubmatch(p.body, -1) {
		out = append(out, m[1])
	}
	return out
}

func (p *page) cookie(name string) *http.Cookie {
	for _, c := range p.cookies {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (p *page) want(t *testing.T, status int, title string) *page {
	t.Helper()
	if p.status != status || (title != "" && p.title() != title) {
		t.Fatalf("got %d %q (error %q), want %d %q\n%s", p.status, p.title(), p.errorText(), status, title, p.body)
	}
	return p
}

// login logs in with a password; with 2FA on it stops at the code page.
func (u *user) login(name, password string) *page {
	u.t.Helper()
	u.get("/ui/login")
	return u.form("/ui/login", "login", name, "password", password)
}

// code is the current TOTP code of secret by the core's clock.
func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	b, err := otp.DecodeSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	return otp.Key{Secret: b}.Code(at)
}

// enable turns 2FA on from the security page and returns the secret and
// the scratch codes.
func (u *user) enable() (string, []string) {
	u.t.Helper()
	u.get("/ui/security").want(u.t, 200, "Security")
	p := u.form("/ui/security/enable").want(u.t, 200, "Turn on two-factor authentication")
	secret := p.secret(u.t)
	p = u.form("/ui/security/confirm", "token", p.hidden(u.t, "token"), "secret", p.hidden(u.t, "secret"),
		"uri", p.hidden(u.t, "uri"), "code", code(u.t, secret, u.e.clock.Now()))
	p.want(u.t, 200, "Save your scratch codes")
	codes := p.scratchCodes()
	if len(codes) != mfad.DefaultScratchForm.Count {
		u.t.Fatalf("%d scratch codes on the page", len(codes))
	}
	return secret, codes
}
