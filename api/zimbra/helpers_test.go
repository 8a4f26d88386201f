package zimbra_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad/internal/coretest"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/api/zimbra"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/otp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const (
	nsAccount = "urn:zimbraAccount"
	nsAdmin   = "urn:zimbraAdmin"
)

// clock is a fake clock, moved by tests instead of sleeping.
type clock = coretest.Clock

// env is the dialect on a real core and SQLite store, served the way
// `mfad serve` serves it (behind httpx.Wrap).
type env struct {
	t     testing.TB
	ctx   context.Context
	form  string // "xml" or "json"
	clock *clock
	svc   *auth.Service
	h     http.Handler
	known []string // passwords that must never appear in an answer
}

func newEnv(t testing.TB, form string) *env {
	t.Helper()
	ctx := context.Background()
	// A TOTP step boundary, so that every 30 s step is a fresh code.
	// The dialect's token lifetime as `mfad serve` wires it.
	cfg := auth.DefaultConfig()
	cfg.DialectAccessTTL = map[string]time.Duration{zimbra.Dialect: zimbra.TokenLifetime}
	core := coretest.New(t, coretest.Options{Config: cfg, Start: time.Date(2031, 3, 4, 5, 6, 0, 0, time.UTC)})
	log := slog.New(slog.DiscardHandler)
	return &env{t: t, ctx: ctx, form: form, clock: core.Clock, svc: core.Svc, h: httpx.Wrap(zimbra.New(core.Svc), nil, log)}
}

// user is a test account.
type user struct {
	ID       int64
	Name     string
	Password string
	Key      otp.Key // once 2FA is on
	last     int64   // the latest step whose code was handed out
}

func (e *env) user(name string, role mfad.Role) *user {
	e.t.Helper()
	u := &user{Name: name, Password: "the password of " + name}
	ui, err := e.svc.CreateUser(e.ctx, auth.System("test"), auth.NewUser{Name: name, Email: name + "@example.test", Password: u.Password, Role: role})
	if err != nil {
		e.t.Fatalf("CreateUser: %v", err)
	}
	u.ID = ui.ID
	e.known = append(e.known, u.Password)
	return u
}

// code moves the clock to a step after every step handed out before and
// returns u's code for it: a code no earlier request can have used.
func (e *env) code(u *user) string {
	e.t.Helper()
	e.clock.Add(30 * time.Second)
	for u.Key.Step(e.clock.Now()) <= u.last {
		e.clock.Add(30 * time.Second)
	}
	u.last = u.Key.Step(e.clock.Now())
	return u.Key.Code(e.clock.Now())
}

// wrongCode returns a well-formed code that is not valid now.
func (e *env) wrongCode(u *user) string {
	return u.Key.CodeAt(u.Key.Step(e.clock.Now()) + 7)
}

// el is a request element, written in either form.
type el struct {
	name  string
	ns    string
	attrs [][2]string
	text  *string
	kids  []el
}

type at [2]string // an attribute of E

// E builds an element: at{"name","value"} parts are attributes, strings
// the text, els the children.
func E(name string, parts ...any) el {
	e := el{name: name}
	for _, p := range parts {
		switch v := p.(type) {
		case at:
			e.attrs = append(e.attrs, v)
		case string:
			e.text = &v
		case el:
			e.kids = append(e.kids, v)
		default:
			panic(fmt.Sprintf("E: unexpected %T", p))
		}
	}
	return e
}

// Account and Admin build request elements of the two namespaces.
func Account(name string, parts ...any) el { e := E(name, parts...); e.ns = nsAccount; return e }
func Admin(name string, parts ...any) el   { e := E(name, parts...); e.ns = nsAdmin; return e }

func (x el) xml(b *strings.Builder) {
	b.WriteString("<" + x.name)
	if x.ns != "" {
		fmt.Fprintf(b, ` xmlns="%s"`, x.ns)
	}
	for _, a := range x.attrs {
		b.WriteString(" " + a[0] + `="`)
		_ = xml.EscapeText(writerOf(b), []byte(a[1]))
		b.WriteString(`"`)
	}
	b.WriteString(">")
	if x.text != nil {
		_ = xml.EscapeText(writerOf(b), []byte(*x.text))
	}
	for _, k := range x.kids {
		k.xml(b)
	}
	b.WriteString("</" + x.name + ">")
}

type builderWriter struct{ b *strings.Builder }

func (w builderWriter) Write(p []byte) (int, error) { return w.b.Write(p) }

func writerOf(b *strings.Builder) io.Writer { return builderWriter{b} }

// json writes x as Zimbra's web client does: attributes as members, text
// as _content, children as objects.
func (x el) json(b *strings.Builder) {
	b.WriteString("{")
	sep := ""
	member := func(k string, v any) {
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(v)
		b.WriteString(sep + string(kb) + ":" + string(vb))
		sep = ","
	}
	if x.ns != "" {
		member("_jsns", x.ns)
	}
	for _, a := range x.attrs {
		member(a[0], a[1])
	}
	if x.text != nil {
		member("_content", *x.text)
	}
	for _, k := range x.kids {
		kb, _ := json.Marshal(k.name)
		b.WriteString(sep + string(kb) + ":")
		sep = ","
		k.json(b)
	}
	b.WriteString("}")
}

// envelope writes a request envelope in form, with an auth token in the
// header context when token is set.
func envelope(form string, body el, token string) string {
	var b strings.Builder
	if form == "json" {
		b.WriteString(`{"Header":{"context":{"_jsns":"urn:zimbra"`)
		if token != "" {
			tb, _ := json.Marshal(token)
			b.WriteString(`,"authToken":{"_content":` + string(tb) + `}`)
		}
		b.WriteString(`}},"Body":{`)
		nb, _ := json.Marshal(body.name)
		b.WriteString(string(nb) + ":")
		body.json(&b)
		b.WriteString(`}}`)
		return b.String()
	}
	b.WriteString(`<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header><context xmlns="urn:zimbra">`)
	if token != "" {
		E("authToken", token).xml(&b)
	}
	b.WriteString(`</context></soap:Header><soap:Body>`)
	body.xml(&b)
	b.WriteString(`</soap:Body></soap:Envelope>`)
	return b.String()
}

// rq is one HTTP request to the dialect.
type rq struct {
	path        string // default /service/soap; /service/admin/soap for Admin bodies
	body        el
	raw         string // a raw body instead of body
	token       string // the auth token of the header context
	cookies     []*http.Cookie
	header      map[string]string
	contentType string // default by form; "none" sends no Content-Type
	method      string // default POST
}

// answer is a recorded HTTP answer.
type answer struct {
	form   string
	status int
	header http.Header
	body   []byte
}

func (e *env) do(r rq) *answer {
	e.t.Helper()
	if r.path == "" {
		r.path = "/service/soap"
		if r.body.ns == nsAdmin {
			r.path = "/service/admin/soap"
		}
	}
	if r.method == "" {
		r.method = http.MethodPost
	}
	body := r.raw
	if body == "" && r.body.name != "" {
		body = envelope(e.form, r.body, r.token)
	}
	if r.contentType == "" {
		r.contentType = "application/soap+xml; charset=utf-8"
		if e.form == "json" {
			r.contentType = "application/json"
		}
	}
	req := httptest.NewRequest(r.method, r.path, strings.NewReader(body))
	if r.contentType != "none" {
		req.Header.Set("Content-Type", r.contentType)
	}
	req.Header.Set("User-Agent", "zimbra-test/1.0")
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	for _, c := range r.cookies {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	ans := &answer{form: e.form, status: w.Code, header: w.Header(), body: w.Body.Bytes()}
	if ct := ans.header.Get("Content-Type"); strings.HasPrefix(ct, "application/soap+xml") || strings.HasPrefix(ct, "text/xml") {
		ans.form = "xml"
	} else if strings.HasPrefix(ans.header.Get("Content-Type"), "application/json") {
		ans.form = "json"
	}
	for _, pw := range e.known {
		if bytes.Contains(ans.body, []byte(pw)) {
			e.t.Fatalf("%s: a password appears in the answer: %s", r.body.name, ans.body)
		}
	}
	return ans
}

// values returns every value called name in the answer: texts of elements
// and attributes so named (XML), or members so named (JSON: a scalar, an
// object's _content, each item of an array).
func (a *answer) values(name string) []string {
	var out []string
	if a.form == "json" {
		var v any
		d := json.NewDecoder(bytes.NewReader(a.body))
		d.UseNumber()
		if d.Decode(&v) != nil {
			return nil
		}
		var walk func(v any)
		content := func(v any) {
			switch t := v.(type) {
			case string:
				out = append(out, t)
			case json.Number:
				out = append(out, t.String())
			case bool:
				out = append(out, strconv.FormatBool(t))
			case map[string]any:
				if c, ok := t["_content"]; ok {
					out = append(out, fmt.Sprint(c))
				}
			}
		}
		walk = func(v any) {
			switch t := v.(type) {
			case map[string]any:
				for k, c := range t {
					if k == name {
						if arr, ok := c.([]any); ok {
							for _, item := range arr {
								content(item)
							}
						} else {
							content(c)
						}
					}
					walk(c)
				}
			case []any:
				for _, c := range t {
					walk(c)
				}
			}
		}
		walk(v)
		return out
	}
	d := xml.NewDecoder(bytes.NewReader(a.body))
	var stack []string
	var text []strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			for _, at := range t.Attr {
				if at.Name.Local == name {
					out = append(out, at.Value)
				}
			}
			stack = append(stack, t.Name.Local)
			text = append(text, strings.Builder{})
		case xml.CharData:
			if len(text) > 0 {
				text[len(text)-1].Write(t)
			}
		case xml.EndElement:
			if stack[len(stack)-1] == name {
				out = append(out, text[len(text)-1].String())
			}
			stack, text = stack[:len(stack)-1], text[:len(text)-1]
		}
	}
	return out
}

// get returns the first non-empty value called name, or "".
func (a *answer) get(name string) string {
	for _, v := range a.values(name) {
		if v != "" {
			return v
		}
	}
	return ""
}

// fault returns the Zimbra fault code of the answer, or "".
func (a *answer) fault() string {
	if a.status != http.StatusInternalServerError && a.status < 400 {
		return ""
	}
	code := ""
	for _, v := range a.values("Code") {
		if strings.Contains(v, ".") {
			code = v
		}
	}
	return code
}

func (a *answer) cookie(name string) *http.Cookie {
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// secretNames are the values a golden file shows as placeholders: tokens,
// secrets, codes and passwords change with every run, the trace is the
// random request id.
var secretNames = []string{"authToken", "secret", "scratchCode", "csrfToken", "trustedToken", "deviceId", "pw", "Trace"}

// golden compares the answer, normalised, with testdata/golden/<form>/<name>.txt.
func (e *env) golden(name string, a *answer) {
	e.t.Helper()
	got := normalise(a)
	path := filepath.Join("testdata", "golden", e.form, name+".txt")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			e.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			e.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		e.t.Fatalf("%s: %v (run with -update to write it)", name, err)
	}
	if got != string(want) {
		e.t.Errorf("%s: the answer differs from %s\n got: %s\nwant: %s", name, path, got, want)
	}
}

// normalise renders an answer as a golden file: the status, the headers
// but X-Request-Id, and the exact body, with every value of secretNames
// (wherever it appears, cookies included) replaced by {{name}}.
func normalise(a *answer) string {
	repl := map[string]string{}
	for _, n := range secretNames {
		for _, v := range a.values(n) {
			if v != "" {
				repl[v] = "{{" + n + "}}"
			}
		}
	}
	if v := a.header.Get("X-Zimbra-Csrf-Token"); v != "" {
		repl[v] = "{{csrfToken}}"
	}
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.Value != "" {
			if _, ok := repl[c.Value[min(2, len(c.Value)):]]; ok && (strings.HasPrefix(c.Value, "0_") || strings.HasPrefix(c.Value, "1_")) {
				continue // an auth token cookie: its mark shows, then the token
			}
			if _, ok := repl[c.Value]; !ok {
				repl[c.Value] = "{{" + c.Name + "}}"
			}
		}
	}
	olds := make([]string, 0, len(repl))
	for k := range repl {
		olds = append(olds, k)
	}
	sort.Slice(olds, func(i, j int) bool {
		if len(olds[i]) != len(olds[j]) {
			return len(olds[i]) > len(olds[j])
		}
		return olds[i] < olds[j]
	})
	pairs := make([]string, 0, 2*len(olds))
	for _, o := range olds {
		pairs = append(pairs, o, repl[o])
	}
	r := strings.NewReplacer(pairs...)
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d\n", a.status)
	keys := make([]string, 0, len(a.header))
	for k := range a.header {
		if k != "X-Request-Id" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range a.header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, r.Replace(v))
		}
	}
	b.WriteString("\n")
	b.WriteString(r.Replace(string(a.body)))
	b.WriteString("\n")
	return b.String()
}

// wantFault fails the test unless the answer is a fault with code.
func (e *env) wantFault(what string, a *answer, code string) {
	e.t.Helper()
	if got := a.fault(); got != code {
		e.t.Fatalf("%s: got fault %q (HTTP %d), want %q: %s", what, got, a.status, code, a.body)
	}
}

// wantOK fails the test unless the answer is HTTP 200.
func (e *env) wantOK(what string, a *answer) {
	e.t.Helper()
	if a.status != http.StatusOK {
		e.t.Fatalf("%s: HTTP %d: %s", what, a.status, a.body)
	}
}

var errNoSecret = errors.New("no secret in the answer")

// keyOf reads the TOTP key of an enable answer's secret.
func keyOf(a *answer) (otp.Key, error) {
	s := a.get("secret")
	if s == "" {
		return otp.Key{}, errNoSecret
	}
	secret, err := otp.DecodeSecret(s)
	return otp.Key{Secret: secret}, err
}

// newRequest makes a POST to /service/soap, over TLS if overTLS.
func newRequest(body, contentType string, overTLS bool) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/service/soap", strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if overTLS {
		req.TLS = &tls.ConnectionState{}
	}
	return req
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
