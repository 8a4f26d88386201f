package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/web"
)

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, false)
	u := e.browser()
	check := func(p *page, what string, noStore bool) {
		t.Helper()
		if got := p.header.Get("Content-Security-Policy"); got != web.CSP {
			t.Errorf("%s: CSP %q", what, got)
		}
		if !strings.Contains(web.CSP, "script-src 'self'") || strings.Contains(web.CSP, "unsafe-inline") {
			t.Errorf("CSP allows inline script: %q", web.CSP)
		}
		if noStore && p.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", what, p.header.Get("Cache-Control"))
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
			if p.header.Get(k) != v {
				t.Errorf("%s: %s %q", what, k, p.header.Get(k))
			}
		}
	}
	p := u.do("GET", "/ui/login", nil)
	p.want(t, 200, "Log in")
	check(p, "login page", true)
	c := p.cookie("mfad_csrf")
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/ui/" || c.Secure {
		t.Errorf("pre-login CSRF cookie %+v", c)
	}
	check(u.do("GET", "/ui/nowhere", nil).want(t, 404, "Page not found"), "404", true)
	check(u.do("GET", "/ui/", nil), "redirect", true)

	js := u.do("GET", "/ui/static/app.js", nil)
	if js.status != 200 || !strings.Contains(js.header.Get("Content-Type"), "javascript") || !strings.Contains(js.body, "clipboard") {
		t.Errorf("app.js: %d %s", js.status, js.header.Get("Content-Type"))
	}
	check(js, "app.js", false)
	css := u.do("GET", "/ui/static/style.css", nil)
	if css.status != 200 || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") {
		t.Errorf("style.css: %d %s", css.status, css.header.Get("Content-Type"))
	}
	if u.do("GET", "/ui/static/", nil).status != 404 {
		t.Error("static directory listing")
	}

	// The session cookies of a login without 2FA.
	e.addUser("carol")
	u.get("/ui/login")
	p = u.do("POST", "/ui/login", url.Values{"csrf": {u.last.csrf(t)}, "login": {"carol"}, "password": {userPassword}})
	if p.status != http.StatusSeeOther || p.location != "/ui/security" {
		t.Fatalf("login: %d %s", p.status, p.location)
	}
	check(p, "login answer", true)
	for _, name := range []string{"mfad_session", "mfad_refresh"} {
		c := p.cookie(name)
		if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/ui/" || c.Secure || c.MaxAge <= 0 {
			t.Errorf("%s cookie %+v", name, c)
		}
	}
	check(u.get("/ui/security").want(t, 200, "Security"), "security page", true)
}

func TestSecureCookiesUnderTLS(t *testing.T) {
	e := newEnv(t, true)
	e.addUser("dave")
	u := e.browser()
	p := u.do("GET", "/ui/login", nil)
	if c := p.cookie("mfad_csrf"); c == nil || !c.Secure || !c.HttpOnly {
		t.Errorf("pre-login CSRF cookie under TLS %+v", c)
	}
	if p.header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS under TLS")
	}
	p = u.do("POST", "/ui/login", url.Values{"csrf": {p.csrf(t)}, "login": {"dave"}, "password": {userPassword}})
	for _, name := range []string{"mfad_session", "mfad_refresh"} {
		c := p.cookie(name)
		if c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/ui/" {
			t.Errorf("%s cookie under TLS %+v", name, c)
		}
	}
	// The ticket cookie too.
	u.enable()
	u.form("/ui/logout")
	u.get("/ui/login")
	p = u.do("POST", "/ui/login", url.Values{"csrf": {u.last.csrf(t)}, "login": {"dave"}, "password": {userPassword}})
	if p.location != "/ui/login/code" {
		t.Fatalf("login with 2FA went to %q", p.location)
	}
	if c := p.cookie("mfad_ticket"); c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/ui/" || c.MaxAge <= 0 || c.MaxAge > 300 {
		t.Errorf("ticket cookie %+v", c)
	}
}

// TestPages checks every page for what the CSP and accessibility need: no
// inline script or style, a label for every field, code fields for phones,
// POST forms only.
func TestPages(t *testing.T) {
	e := newEnv(t, false)
	e.addUser("erin")
	u := e.browser()
	var pages []*page
	pages = append(pages, u.get("/ui/login"))
	pages = append(pages, u.login("erin", userPassword).want(t, 200, "Security"))
	pages = append(pages, u.form("/ui/security/enable").want(t, 200, "Turn on two-factor authentication"))
	p := u.last
	secret := p.secret(t)
	if !regexp.MustCompile(`^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$`).MatchString(secret) {
		t.Errorf("secret not in groups of four: %q", secret)
	}
	if !strings.Contains(p.body, `<img class="qr" id="qr" src="data:image/png;base64,`) {
		t.Error("no inline PNG QR code")
	}
	pages = append(pages, u.form("/ui/security/confirm", "token", p.hidden(t, "token"), "secret", p.hidden(t, "secret"),
		"uri", p.hidden(t, "uri"), "code", code(t, secret, e.clock.Now())).want(t, 200, "Save your scratch codes"))
	pages = append(pages, u.get("/ui/security").want(t, 200, "Security"))
	u.form("/ui/logout")
	pages = append(pages, u.login("erin", userPassword).want(t, 200, "Enter your code"))
	a := e.browser()
	a.login("admin", adminPassword)
	pages = append(pages, a.get("/ui/admin").want(t, 200, "Administration"))
	pages = append(pages, a.form("/ui/admin/reset", "user", "2").want(t, 200, "Reset two-factor authentication"))
	pages = append(pages, a.get("/ui/nowhere"))

	scripts := regexp.MustCompile(`(?is)<script([^>]*)>(.*?)</script>`)
	inline := regexp.MustCompile(`(?i)\sstyle=|<style|\son[a-z]+=|javascript:`)
	input := regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
	attr := func(tag, name string) string {
		m := regexp.MustCompile(`\s` + name + `="([^"]*)"`).FindStringSubmatch(tag)
		if m == nil {
			return ""
		}
		return m[1]
	}
	for _, p := range pages {
		title := p.title()
		for _, m := range scripts.FindAllStringSubmatch(p.body, -1) {
			if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
				t.Errorf("%s: inline script %q", title, m[0])
			}
		}
		if m := inline.FindString(p.body); m != "" {
			t.Errorf("%s: inline script or style %q", title, m)
		}
		if strings.Count(p.body, "<h1>") != 1 {
			t.Errorf("%s: %d h1 headings", title, strings.Count(p.body, "<h1>"))
		}
		if !strings.Contains(p.body, `<html lang="en">`) || !strings.Contains(p.body, `name="viewport"`) {
			t.Errorf("%s: no lang or viewport", title)
		}
		for _, f := range regexp.MustCompile(`<form\b[^>]*>`).FindAllString(p.body, -1) {
			if attr(f, "method") != "post" {
				t.Errorf("%s: form not POST: %s", title, f)
			}
		}
		for _, tag := range input.FindAllString(p.body, -1) {
			if attr(tag, "type") == "hidden" {
				continue
			}
			id := attr(tag, "id")
			if id == "" || !strings.Contains(p.body, `<label for="`+id+`">`) {
				t.Errorf("%s: field without a label: %s", title, tag)
			}
			if attr(tag, "name") == "code" && (attr(tag, "inputmode") != "numeric" || attr(tag, "autocomplete") != "one-time-code") {
				t.Errorf("%s: code field %s", title, tag)
			}
		}
		if strings.Contains(p.body, "<form") && !strings.Contains(p.body, `name="csrf"`) {
			t.Errorf("%s: a form without a CSRF token", title)
		}
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, false)
	bob := e.addUser("bob")
	e.addUser("frank")

	// Before login: the double-submit cookie.
	u := e.browser()
	u.get("/ui/login")
	for _, f := range []url.Values{
		{"login": {"bob"}, "password": {userPassword}},
		{"login": {"bob"}, "password": {userPassword}, "csrf": {"wrong"}},
	} {
		p := u.do("POST", "/ui/login", f)
		if p.status != http.StatusForbidden || p.cookie("mfad_session") != nil || p.cookie("mfad_ticket") != nil {
			t.Errorf("login with csrf %q: %d, cookies %v", f.Get("csrf"), p.status, p.cookies)
		}
	}
	// A browser without the cookie at all.
	p := e.browser().do("POST", "/ui/login", url.Values{"login": {"bob"}, "password": {userPassword}, "csrf": {"x"}})
	if p.status != http.StatusForbidden || p.cookie("mfad_session") != nil {
		t.Errorf("login without the CSRF cookie: %d", p.status)
	}

	// Logged in with 2FA on.
	u.login("bob", userPassword).want(t, 200, "Security")
	secret, _ := u.enable()
	good := u.get("/ui/security").csrf(t)
	e.clock.Add(30 * time.Second)
	for _, tok := range []string{"", "wrong", web.CSRFToken("another session")} {
		f := url.Values{"password": {userPassword}, "code": {code(t, secret, e.clock.Now())}}
		if tok != "" {
			f.Set("csrf", tok)
		}
		p := u.do("POST", "/ui/security/disable", f)
		if p.status != http.StatusForbidden || !strings.Contains(p.errorText(), "nothing was changed") {
			t.Errorf("disable with csrf %q: %d %q", tok, p.status, p.errorText())
		}
		if !e.status(bob).Enabled {
			t.Fatal("2FA turned off without a CSRF token")
		}
		p = u.do("POST", "/ui/security/scratch", f)
		if p.status != http.StatusForbidden || len(p.scratchCodes()) > 0 {
			t.Errorf("regenerate with csrf %q: %d", tok, p.status)
		}
	}
	// Frank's token does not work with Bob's cookie.
	f := e.browser()
	f.login("frank", userPassword)
	p = u.do("POST", "/ui/logout", url.Values{"csrf": {f.last.csrf(t)}})
	if p.status != http.StatusForbidden {
		t.Errorf("logout with another session's token: %d %s %v", p.status, p.location, u.c.Jar.Cookies(mustURL(t, e.srv.URL+"/ui/")))
	}
	if u.get("/ui/security").status != 200 {
		t.Error("logged out by a forged form")
	}
	// A cross-site form is refused even with the right token.
	p = u.do("POST", "/ui/security/disable", url.Values{"csrf": {good}, "password": {userPassword}, "code": {code(t, secret, e.clock.Now())}},
		"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	if p.status != http.StatusForbidden || !e.status(bob).Enabled {
		t.Errorf("cross-site form: %d", p.status)
	}

	// The admin forms.
	a := e.browser()
	a.login("admin", adminPassword)
	a.get("/ui/admin").want(t, 200, "Administration")
	users := func() int {
		_, n, err := e.svc.ListUsers(context.Background(), auth.System("test"), auth.UserQuery{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := users()
	for _, tok := range []string{"", "wrong"} {
		p := a.do("POST", "/ui/admin/reset", url.Values{"csrf": {tok}, "user": {strconv.FormatInt(bob, 10)}, "confirm": {"yes"}})
		if p.status != http.StatusForbidden || !e.status(bob).Enabled {
			t.Errorf("reset with csrf %q: %d", tok, p.status)
		}
		p = a.do("POST", "/ui/admin/users", url.Values{"csrf": {tok}, "name": {"mallory"}, "password": {"pw-123456"}, "role": {"admin"}})
		if p.status != http.StatusForbidden || users() != before {
			t.Errorf("create user with csrf %q: %d", tok, p.status)
		}
		p = a.do("POST", "/ui/admin/unlock", url.Values{"csrf": {tok}, "user": {strconv.FormatInt(bob, 10)}})
		if p.status != http.StatusForbidden {
			t.Errorf("unlock with csrf %q: %d", tok, p.status)
		}
	}
}

func TestMessages(t *testing.T) {
	e := newEnv(t, false)
	e.addUser("gina")
	hank := e.addUser("hank")
	u := e.browser()

	// A wrong password, then throttling.
	p := u.login("gina", "wrong")
	if p.status != 400 || p.errorText() != web.MsgWrongLogin || !strings.Contains(p.body, `value="gina"`) {
		t.Errorf("wrong password: %d %q", p.status, p.errorText())
	}
	for i := 0; i < 10 && p.status != http.StatusTooManyRequests; i++ {
		p = u.form("/ui/login", "login", "gina", "password", "wrong")
	}
	if p.status != http.StatusTooManyRequests || !strings.Contains(p.errorText(), "Too many failed password attempts") ||
		!strings.Contains(p.errorText(), "try again in 1 second, at 00:00:06 UTC") || p.header.Get("Retry-After") != "1" {
		t.Errorf("throttled: %d %q Retry-After %q", p.status, p.errorText(), p.header.Get("Retry-After"))
	}
	e.clock.Add(5 * time.Second)

	// An expired enrollment.
	u.login("hank", userPassword).want(t, 200, "Security")
	p = u.form("/ui/security/enable").want(t, 200, "Turn on two-factor authentication")
	secret := p.secret(t)
	form := []string{"token", p.hidden(t, "token"), "secret", p.hidden(t, "secret"), "uri", p.hidden(t, "uri")}
	if !strings.Contains(p.body, "Finish before <time") {
		t.Error("the enroll page does not say when the setup expires")
	}
	// A wrong code shows the same QR code and secret again.
	wrong := otpWrong(t, secret, e.clock.Now())
	p = u.form("/ui/security/confirm", append(form, "code", wrong)...)
	if p.status != 400 || p.errorText() != web.MsgWrongConfirm || p.secret(t) != secret || !strings.Contains(p.body, `aria-invalid="true"`) {
		t.Errorf("wrong confirm code: %d %q", p.status, p.errorText())
	}
	// A tampered secret is refused.
	p = u.form("/ui/security/confirm", "token", form[1], "secret", "JBSWY3DPEHPK3PXP", "uri", "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP", "code", code(t, "JBSWY3DPEHPK3PXP", e.clock.Now()))
	if p.status != 400 || p.title() != "Security" || e.status(hank).Enabled {
		t.Errorf("tampered secret: %d %q", p.status, p.errorText())
	}
	e.clock.Add(11 * time.Minute)
	p = u.form("/ui/security/confirm", append(form, "code", code(t, secret, e.clock.Now()))...)
	if p.status != http.StatusGone || p.errorText() != web.MsgExpiredSetup || p.title() != "Security" || !strings.Contains(p.body, "Turn on") {
		t.Errorf("expired enrollment: %d %q %q", p.status, p.title(), p.errorText())
	}

	// Wrong, replayed and scratch codes at login; then a lockout.
	secret, codes := u.enable()
	used := code(t, secret, e.clock.Now()) // the confirming code counts as used
	u.form("/ui/logout")
	p = u.login("hank", userPassword).want(t, 200, "Enter your code")
	p = u.form("/ui/login/code", "code", used)
	if p.status != 400 || p.errorText() != web.MsgWrongCode {
		t.Errorf("replayed confirm code: %d %q", p.status, p.errorText())
	}
	p = u.form("/ui/login/code", "code", otpWrong(t, secret, e.clock.Now()))
	if p.status != 400 || p.errorText() != web.MsgWrongCode {
		t.Errorf("wrong code: %d %q", p.status, p.errorText())
	}
	p = u.form("/ui/login/code", "code", codes[0]).want(t, 200, "Security")
	u.form("/ui/logout")
	u.login("hank", userPassword)
	p = u.form("/ui/login/code", "code", codes[0])
	if p.status != 400 || p.errorText() != web.MsgWrongCode {
		t.Errorf("used scratch code: %d %q", p.status, p.errorText())
	}
	for i := 0; i < 4; i++ {
		p = u.form("/ui/login/code", "code", otpWrong(t, secret, e.clock.Now()))
	}
	until := e.clock.Now().Add(30 * time.Second).Format("15:04:05 UTC")
	if p.status != http.StatusTooManyRequests || p.errorText() != "Too many wrong codes: your second factor is locked for now. Try again in 30 seconds, at "+until+"." ||
		p.header.Get("Retry-After") != "30" {
		t.Errorf("lockout: %d %q Retry-After %q", p.status, p.errorText(), p.header.Get("Retry-After"))
	}
	// Five failures killed the ticket: the password is asked again, and
	// the sixth code is answered with the lockout and its end, not with
	// "your login has expired".
	p = u.form("/ui/login/code", "code", code(t, secret, e.clock.Now()))
	if p.status != http.StatusTooManyRequests || p.title() != "Log in" ||
		p.errorText() != "Too many wrong codes: your second factor is locked for now. Try again in 30 seconds, at "+until+"." ||
		p.header.Get("Retry-After") != "30" {
		t.Errorf("after the ticket died: %d %q %q", p.status, p.title(), p.errorText())
	}
	// While locked, a login gets the lockout with its end.
	u.login("hank", userPassword)
	e.clock.Add(10 * time.Second)
	p = u.form("/ui/login/code", "code", code(t, secret, e.clock.Now()))
	if p.status != http.StatusTooManyRequests || !strings.Contains(p.errorText(), "Try again in 20 seconds, at "+until) {
		t.Errorf("locked: %d %q", p.status, p.errorText())
	}
	// An expired ticket.
	e.clock.Add(6 * time.Minute)
	p = u.form("/ui/login/code", "code", code(t, secret, e.clock.Now()))
	if p.status != http.StatusGone || p.errorText() != web.MsgExpiredLogin {
		t.Errorf("expired ticket: %d %q", p.status, p.errorText())
	}

	// A user who is not an admin: the core refuses, and the page says so.
	g := e.browser()
	p = g.login("gina", userPassword).want(t, 200, "Security")
	if strings.Contains(p.body, `href="/ui/admin"`) {
		t.Error("admin link shown to a user")
	}
	p = g.get("/ui/admin")
	if p.status != http.StatusForbidden || p.errorText() != "You are not allowed to do this: administrators only." || strings.Contains(p.body, "<table") {
		t.Errorf("admin page for a user: %d %q", p.status, p.errorText())
	}
	p = g.form("/ui/admin/reset", "user", strconv.FormatInt(hank, 10), "confirm", "yes")
	if p.status != http.StatusForbidden || !e.status(hank).Enabled {
		t.Errorf("reset by a user: %d %q", p.status, p.errorText())
	}
}

// otpWrong is a code that is not valid in the window around at.
func otpWrong(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	valid := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		valid[code(t, secret, at.Add(d))] = true
	}
	for i := 0; ; i++ {
		c := code(t, secret, at.Add(time.Duration(100+i)*time.Hour))
		if !valid[c] {
			return c
		}
	}
}

func TestLifecycle(t *testing.T) {
	e := newEnv(t, false)
	ivy := e.addUser("ivy")
	u := e.browser()
	u.login("ivy", userPassword).want(t, 200, "Security")
	if !strings.Contains(u.last.body, `<span class="badge off">Off</span>`) {
		t.Error("status not off")
	}
	secret, codes := u.enable()
	p := u.get("/ui/security")
	if !strings.Contains(p.body, `<span class="badge on">On</span>`) || !strings.Contains(p.body, "10 unused scratch codes left.") {
		t.Errorf("status after enabling:\n%s", p.body)
	}

	// The session refreshes when the access token expires, and a form of
	// the page before still works.
	old := p.csrf(t)
	e.clock.Add(61 * time.Minute)
	p = u.do("POST", "/ui/security/scratch", url.Values{"csrf": {old}, "code": {code(t, secret, e.clock.Now())}})
	refreshed := p.cookie("mfad_session")
	if refreshed == nil || refreshed.Value == "" {
		t.Fatal("no new session cookie after the refresh")
	}
	// POST-redirect-GET: the answer to the POST is a redirect, and the codes
	// are on the page it leads to, once.
	if p.status != http.StatusSeeOther || p.location != "/ui/security/codes?kind=new" || len(p.scratchCodes()) != 0 {
		t.Fatalf("new scratch codes: %d %q, want 303 to the codes page", p.status, p.location)
	}
	p = u.follow(p).want(t, 200, "Save your new scratch codes")
	fresh := p.scratchCodes()
	if len(fresh) != 10 || fresh[0] == codes[0] {
		t.Error("no new scratch codes")
	}
	if p.csrf(t) == old {
		t.Error("the CSRF token did not follow the new session")
	}
	// Reloading the page shows no codes and sends nothing again.
	again := u.do("GET", "/ui/security/codes?kind=new", nil)
	if again.status != http.StatusSeeOther || !strings.Contains(again.location, "done=codes-shown") {
		t.Errorf("reloading the codes page: %d %q", again.status, again.location)
	}
	again = u.follow(again).want(t, 200, "Security")
	if len(again.scratchCodes()) != 0 || !strings.Contains(again.notice(), "shown only once") {
		t.Errorf("after reloading: codes %v, notice %q", again.scratchCodes(), again.notice())
	}
	if st := e.status(ivy); st.ScratchRemaining != 10 {
		t.Errorf("after reloading: %d scratch codes left, want the 10 of one set", st.ScratchRemaining)
	}
	p = again

	// Log out; the old cookies are gone and the session is revoked.
	session := refreshed.Value
	p = u.form("/ui/logout").want(t, 200, "Log in")
	if p.notice() != "You are logged out." {
		t.Errorf("logout notice %q", p.notice())
	}
	if _, err := e.svc.Authenticate(context.Background(), auth.Client{Addr: "127.0.0.1"}, session); err == nil {
		t.Error("session still valid after logout")
	}
	if p := u.do("GET", "/ui/security", nil); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/ui/login") {
		t.Errorf("security page after logout: %d %s", p.status, p.location)
	}

	// Log in with a scratch code of the new set; turn 2FA off with the
	// password and a code.
	u.login("ivy", userPassword).want(t, 200, "Enter your code")
	u.form("/ui/login/code", "code", fresh[3]).want(t, 200, "Security")
	e.clock.Add(30 * time.Second)
	p = u.form("/ui/security/disable", "password", "wrong", "code", code(t, secret, e.clock.Now()))
	if p.status != 400 || p.errorText() != "Wrong password." || !e.status(ivy).Enabled {
		t.Errorf("disable with a wrong password: %d %q", p.status, p.errorText())
	}
	p = u.form("/ui/security/disable", "password", userPassword, "code", code(t, secret, e.clock.Now())).want(t, 200, "Security")
	if e.status(ivy).Enabled || !strings.Contains(p.notice(), "Two-factor authentication is off") {
		t.Errorf("disable: %q", p.notice())
	}

	// An admin unlocks and resets a user.
	u.enable()
	u.form("/ui/logout")
	u.login("ivy", userPassword)
	for i := 0; i < 5; i++ {
		u.form("/ui/login/code", "code", "000000x")
	}
	a := e.browser()
	a.login("admin", adminPassword)
	p = a.get("/ui/admin").want(t, 200, "Administration")
	row := regexp.MustCompile(`(?s)<tr data-user="ivy">.*?</tr>`).FindString(p.body)
	if !strings.Contains(row, `badge warn">Locked`) || !strings.Contains(row, "Unlock") || !strings.Contains(row, `badge on">On`) {
		t.Errorf("ivy's row: %s", row)
	}
	if !strings.Contains(p.body, `<td class="action">2fa.lockout</td>`) {
		t.Error("the lockout is not among the recent events")
	}
	id := strconv.FormatInt(ivy, 10)
	p = a.form("/ui/admin/unlock", "user", id).want(t, 200, "Administration")
	if e.status(ivy).Locked || !strings.Contains(p.notice(), "unlocked") {
		t.Errorf("unlock: %q", p.notice())
	}
	p = a.form("/ui/admin/reset", "user", id).want(t, 200, "Reset two-factor authentication")
	if !e.status(ivy).Enabled {
		t.Fatal("reset without confirmation")
	}
	p = a.form("/ui/admin/reset", "user", id, "confirm", "yes").want(t, 200, "Administration")
	if e.status(ivy).Enabled || !strings.Contains(p.notice(), "was reset") {
		t.Errorf("reset: %q", p.notice())
	}
	// Create a user; a taken name gets the core's message and keeps the form.
	p = a.form("/ui/admin/users", "name", "jack", "email", "jack@mfad.test", "password", "jack-password-1", "role", "user").want(t, 200, "Administration")
	if !strings.Contains(p.body, `<tr data-user="jack">`) {
		t.Error("jack not listed")
	}
	p = a.form("/ui/admin/users", "name", "JACK", "email", "", "password", "x-password-1", "role", "admin")
	if p.status != http.StatusConflict || !strings.Contains(p.errorText(), "exists") || !strings.Contains(p.body, `value="JACK"`) {
		t.Errorf("duplicate user: %d %q", p.status, p.errorText())
	}
	e.browser().login("jack", "jack-password-1").want(t, 200, "Security")
}

// TestNoSecretInURL runs the flows and checks that no URL requested or
// redirected to carries a secret, code, ticket or token.
func TestNoSecretInURL(t *testing.T) {
	e := newEnv(t, false)
	e.addUser("kim")
	u := e.browser()
	u.login("kim", userPassword)
	secret, codes := u.enable()
	u.form("/ui/logout")
	u.login("kim", userPassword)
	ticket := ""
	for _, c := range u.c.Jar.Cookies(mustURL(t, e.srv.URL+"/ui/")) {
		if c.Name == "mfad_ticket" {
			ticket = c.Value
		}
	}
	if ticket == "" {
		t.Fatal("no ticket cookie")
	}
	e.clock.Add(30 * time.Second)
	c := code(t, secret, e.clock.Now())
	u.form("/ui/login/code", "code", c).want(t, 200, "Security")
	var session string
	for _, ck := range u.c.Jar.Cookies(mustURL(t, e.srv.URL+"/ui/")) {
		if ck.Name == "mfad_session" {
			session = ck.Value
		}
	}
	secrets := append([]string{strings.ReplaceAll(secret, " ", ""), c, ticket, session}, codes...)
	for _, s := range e.urls.all() {
		for _, x := range secrets {
			if x != "" && strings.Contains(s, x) {
				t.Errorf("URL %q carries a secret", s)
			}
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Second: "1 second", 30 * time.Second: "30 seconds", 1500 * time.Millisecond: "2 seconds",
		time.Minute: "1 minute", 65 * time.Second: "1 minute 5 seconds", 15 * time.Minute: "15 minutes",
		2*time.Hour + time.Minute: "2 hours 1 minute",
	} {
		if got := web.Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestPolicyRequired: when policy requires 2FA, a user without it gets a
// session that may only enroll, and the pages say so.
func TestPolicyRequired(t *testing.T) {
	e := newEnv(t, false)
	if err := e.svc.SetPolicy(context.Background(), auth.System("test"), auth.PolicyAll); err != nil {
		t.Fatal(err)
	}
	lee := e.addUser("lee")
	u := e.browser()
	p := u.login("lee", userPassword).want(t, 200, "Security")
	if !strings.Contains(p.notice(), "required for your account") || !strings.Contains(p.body, "Your administrator requires") {
		t.Errorf("notice %q", p.notice())
	}
	a := e.browser()
	a.login("admin", adminPassword).want(t, 200, "Security")
	p = a.get("/ui/admin")
	if p.status != http.StatusForbidden || !strings.Contains(p.errorText(), "required for your account") || strings.Contains(p.body, "<table") {
		t.Errorf("admin without 2FA under policy: %d %q", p.status, p.errorText())
	}
	// Turning it on gives a full session; turning it off is refused.
	secret, _ := u.enable()
	e.clock.Add(30 * time.Second)
	p = u.form("/ui/security/disable", "password", userPassword, "code", code(t, secret, e.clock.Now()))
	if p.status != http.StatusForbidden || !e.status(lee).Enabled || p.errorText() == "" {
		t.Errorf("disable under policy: %d %q", p.status, p.errorText())
	}
}
