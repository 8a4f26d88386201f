package cloudreve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad/internal/coretest"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/cloudreve"
	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/otp"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/")

// clock is the core's fake clock: tests move it instead of sleeping.
type clock = coretest.Clock

// start is on a TOTP step boundary, so that each Add(30 s) is a new step.
var start = time.Date(2031, 3, 4, 5, 6, 0, 0, time.UTC)

const (
	adminEmail    = "admin@mfad.local"
	adminPassword = "admin-password-1"
	aliceEmail    = "alice@example.org"
	alicePassword = "alice-password-1"
	aliceID       = 1001
	bobEmail      = "bob@example.org"
	bobPassword   = "bob-password-1"
	bobID         = 1002
)

// env is a real core on a real SQLite file behind the Cloudreve handler,
// wrapped as mfad serve wraps it. It has an admin and two users.
type env struct {
	t     testing.TB
	svc   *auth.Service
	clock *clock
	h     http.Handler
	norm  *normalizer
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	core := coretest.New(t, coretest.Options{Start: start, Log: log})
	svc, clk := core.Svc, core.Clock
	if _, err := svc.Bootstrap(ctx, "admin", adminEmail, adminPassword); err != nil {
		t.Fatal(err)
	}
	sys := auth.System("test")
	for _, u := range []auth.NewUser{
		{ID: aliceID, Name: "alice", Email: aliceEmail, Password: alicePassword},
		{ID: bobID, Name: "bob", Email: bobEmail, Password: bobPassword},
	} {
		if _, err := svc.CreateUser(ctx, sys, u); err != nil {
			t.Fatal(err)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/api/v4/", cloudreve.New(svc))
	return &env{t: t, svc: svc, clock: clk, h: httpx.Wrap(mux, nil, log), norm: newNormalizer()}
}

// resp is an answer of the handler.
type resp struct {
	t      testing.TB
	req    string // method, path and body, for golden files and failures
	status int
	header http.Header
	raw    string
	body   map[string]any
}

// do sends a request. body is nil (none), a string (sent as is) or a value
// sent as JSON. Every answer must be HTTP 200 with Cloudreve's envelope.
func (e *env) do(method, path, token string, body any) *resp {
	e.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			e.t.Fatal(err)
		}
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(raw))
	req.RemoteAddr = "203.0.113.7:40000"
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	r := &resp{t: e.t, req: method + " " + path + "\n" + string(raw), status: rec.Code, header: rec.Header(), raw: rec.Body.String()}
	if r.status != http.StatusOK {
		e.t.Fatalf("%s: HTTP %d, want 200 always: %s", r.req, r.status, r.raw)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		e.t.Fatalf("%s: Content-Type %q", r.req, ct)
	}
	if err := json.Unmarshal([]byte(r.raw), &r.body); err != nil {
		e.t.Fatalf("%s: not a JSON object: %q: %v", r.req, r.raw, err)
	}
	checkEnvelope(e.t, r)
	e.norm.learn(e.t, r)
	return r
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// checkEnvelope checks the shape every Cloudreve answer has: a number code,
// a string msg, and on failures (code not 0 nor 203) a string error and a
// UUID correlation_id, which successes never have.
func checkEnvelope(t testing.TB, r *resp) {
	t.Helper()
	code, isNum := r.body["code"].(float64)
	if !isNum {
		t.Fatalf("%s: no numeric code: %s", r.req, r.raw)
	}
	if _, isStr := r.body["msg"].(string); !isStr {
		t.Fatalf("%s: no string msg: %s", r.req, r.raw)
	}
	for k := range r.body {
		switch k {
		case "code", "data", "msg", "error", "correlation_id", "aggregated_error":
		default:
			t.Fatalf("%s: field %q is not Cloudreve's: %s", r.req, k, r.raw)
		}
	}
	cid, hasCID := r.body["correlation_id"].(string)
	_, hasErr := r.body["error"].(string)
	failed := code != 0 && code != 203
	if failed != hasCID || failed != hasErr {
		t.Fatalf("%s: error and correlation_id must be there exactly on failures: %s", r.req, r.raw)
	}
	if failed && !uuidV4.MatchString(cid) {
		t.Fatalf("%s: correlation_id %q is not a UUID v4", r.req, cid)
	}
}

func (r *resp) code() int {
	c, _ := r.body["code"].(float64)
	return int(c)
}

// want checks the Cloudreve code.
func (r *resp) want(code int) *resp {
	r.t.Helper()
	if r.code() != code {
		r.t.Fatalf("%s: code %d, want %d: %s", r.req, r.code(), code, r.raw)
	}
	return r
}

// field returns the value at a path of keys under data.
func (r *resp) field(keys ...string) any {
	var v any = r.body["data"]
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

func (r *resp) bool(keys ...string) bool { b, _ := r.field(keys...).(bool); return b }

func (r *resp) num(keys ...string) float64 { n, _ := r.field(keys...).(float64); return n }

// str returns the string at a path of keys under data ("" for data itself).
func (r *resp) str(keys ...string) string {
	var v any = r.body["data"]
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	s, _ := v.(string)
	return s
}

// normalizer replaces what differs from run to run (tokens, 2FA session
// ids, secrets, correlation ids) with named placeholders. A token keeps its
// name everywhere it appears, so a golden file shows which one is reused.
type normalizer struct {
	names map[string]string
	count map[string]int
}

func newNormalizer() *normalizer {
	return &normalizer{names: map[string]string{}, count: map[string]int{}}
}

var tokenShape = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

func (n *normalizer) name(kind, v string) {
	if v == "" || n.names[v] != "" {
		return
	}
	n.count[kind]++
	n.names[v] = fmt.Sprintf("<%s-%d>", kind, n.count[kind])
}

// code names a TOTP code the test sends, so golden files do not depend on
// the random secret, and returns it.
func (e *env) code(c string) string {
	e.norm.name("code", c)
	return c
}

// learn names the values of an answer that must be normalised, checking
// their shape on the way.
func (n *normalizer) learn(t testing.TB, r *resp) {
	t.Helper()
	data := r.body["data"]
	switch {
	case r.code() == 203:
		s, _ := data.(string)
		if !tokenShape.MatchString(s) {
			t.Fatalf("%s: 2FA session id %q is not a 256-bit token", r.req, s)
		}
		n.name("session", s)
	case r.code() == 0 && strings.HasSuffix(strings.SplitN(r.req, "\n", 2)[0], "/user/setting/2fa"):
		s, _ := data.(string)
		if _, err := otp.DecodeSecret(s); err != nil || len(s) != 32 {
			t.Fatalf("%s: secret %q is not 20 bytes of base32", r.req, s)
		}
		n.name("secret", s)
	}
	tok, _ := data.(map[string]any)
	if inner, isMap := tok["token"].(map[string]any); isMap {
		tok = inner
	}
	for _, k := range []string{"access_token", "refresh_token"} {
		if s, isStr := tok[k].(string); isStr {
			if !tokenShape.MatchString(s) {
				t.Fatalf("%s: %s %q is not a 256-bit token", r.req, k, s)
			}
			n.name(strings.TrimSuffix(k, "_token"), s)
		}
	}
}

var cidField = regexp.MustCompile(`"correlation_id":"[0-9a-f-]{36}"`)

func (n *normalizer) apply(s string) string {
	vals := make([]string, 0, len(n.names))
	for v := range n.names {
		vals = append(vals, v)
	}
	sort.Slice(vals, func(i, j int) bool { return len(vals[i]) > len(vals[j]) })
	for _, v := range vals {
		s = strings.ReplaceAll(s, `"`+v+`"`, `"`+n.names[v]+`"`)
	}
	return cidField.ReplaceAllString(s, `"correlation_id":"<uuid>"`)
}

// golden compares the request and the exact answer (status, the headers a
// client reads, body) with testdata/<name>.golden, normalised.
func (e *env) golden(name string, r *resp) *resp {
	e.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\nHTTP %d\n", strings.TrimRight(r.req, "\n"), r.status)
	for _, h := range []string{"Content-Type", "Cache-Control", "Retry-After"} {
		if v := r.header.Get(h); v != "" {
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	fmt.Fprintf(&b, "\n%s\n", r.raw)
	got := e.norm.apply(b.String())
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			e.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			e.t.Fatal(err)
		}
		return r
	}
	want, err := os.ReadFile(path)
	if err != nil {
		e.t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		e.t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
	return r
}

// login logs in without 2FA and returns the token pair.
func (e *env) login(email, password string) (access, refresh string) {
	e.t.Helper()
	r := e.do("POST", "/api/v4/session/token", "", map[string]string{"email": email, "password": password}).want(0)
	return r.str("token", "access_token"), r.str("token", "refresh_token")
}

// keyOf is the TOTP key of a secret a client got from GET /user/setting/2fa.
func keyOf(t testing.TB, secret string) otp.Key {
	t.Helper()
	b, err := otp.DecodeSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	return otp.Key{Secret: b, Algorithm: otp.SHA1, Digits: 6, Period: 30}
}

// enroll turns 2FA on for the holder of access and returns the key.
func (e *env) enroll(access string) otp.Key {
	e.t.Helper()
	key := keyOf(e.t, e.do("GET", "/api/v4/user/setting/2fa", access, nil).want(0).str())
	e.do("PATCH", "/api/v4/user/setting", access, map[string]any{"two_fa_enabled": true, "two_fa_code": e.code(key.Code(e.clock.Now()))}).want(0)
	return key
}

// next moves the clock to the next TOTP step and returns its code, so a
// fresh code is never a replay of an earlier one.
func (e *env) next(key otp.Key) string {
	e.clock.Add(30 * time.Second)
	return e.code(key.Code(e.clock.Now()))
}

// wrong returns a code that is not valid now for key (window +-1).
func (e *env) wrong(key otp.Key) string {
	now := e.clock.Now()
	valid := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		valid[key.Code(now.Add(d))] = true
	}
	for i := 0; ; i++ {
		c := fmt.Sprintf("%06d", i)
		if !valid[c] {
			return e.code(c)
		}
	}
}

// ctx and sys are for setting up state directly in the core.
var ctx = context.Background()

func sys() auth.Actor { return auth.System("test") }

// mustPolicy sets the 2FA policy.
func (e *env) mustPolicy(p auth.Policy) {
	e.t.Helper()
	if err := e.svc.SetPolicy(ctx, sys(), p); err != nil {
		e.t.Fatal(err)
	}
}

var _ = mfad.EInternal
