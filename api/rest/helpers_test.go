package rest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad/internal/coretest"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/rest"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/otp"
)

// clock is the core's fake clock: tests move it instead of sleeping.
type clock = coretest.Clock

const (
	adminPassword = "admin-password-1"
	userPassword  = "user-password-1"
)

// env is a real core on a real SQLite file behind the REST handler.
type env struct {
	t       testing.TB
	svc     *auth.Service
	core    *coretest.Core
	clock   *clock
	srv     *httptest.Server
	admin   string // the admin's access token
	adminID int64
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvConfig(t, auth.Config{})
}

// newEnvConfig is newEnv with a core configuration (zero: the defaults).
func newEnvConfig(t testing.TB, cfg auth.Config) *env {
	t.Helper()
	ctx := context.Background()
	core := coretest.New(t, coretest.Options{Config: cfg, Start: time.Date(2030, 1, 1, 0, 0, 5, 0, time.UTC)})
	svc, clk := core.Svc, core.Clock
	if _, err := svc.Bootstrap(ctx, "admin", "admin@mfad.local", adminPassword); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", rest.New(svc))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e := &env{t: t, svc: svc, core: core, clock: clk, srv: srv}
	r := e.do("POST", "/v1/login", "", map[string]any{"login": "admin", "password": adminPassword})
	r.want(200)
	e.admin = r.str("access_token")
	e.adminID = r.int("user", "id")
	return e
}

// resp is an answer, with its body decoded when it is JSON.
type resp struct {
	t      testing.TB
	req    string
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

// do sends a request. body is nil (none), a string (sent as is) or a value
// sent as JSON. Every answer is checked against the OpenAPI document.
func (e *env) do(method, path, token string, body any) *resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := &resp{t: e.t, req: method + " " + path, status: res.StatusCode, header: res.Header, body: raw}
	if len(raw) > 0 && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &r.json); err != nil {
			e.t.Fatalf("%s: answer is not a JSON object: %v: %s", r.req, err, raw)
		}
	}
	if err := apiDoc(e.t).checkResponse(method, path, res.StatusCode, res.Header, raw); err != nil {
		e.t.Errorf("%s: answer %d does not match the OpenAPI document: %v\n%s", r.req, res.StatusCode, err, raw)
	}
	return r
}

func (r *resp) want(status int) *resp {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("%s: status %d, want %d: %s", r.req, r.status, status, r.body)
	}
	return r
}

// wantError checks an error answer's status and code.
func (r *resp) wantError(status int, code mfad.Code) *resp {
	r.t.Helper()
	r.want(status)
	if got := r.str("error", "code"); got != string(code) {
		r.t.Fatalf("%s: error code %q, want %q: %s", r.req, got, code, r.body)
	}
	if r.str("error", "message") == "" {
		r.t.Fatalf("%s: error without a message: %s", r.req, r.body)
	}
	return r
}

func (r *resp) get(keys ...string) any {
	r.t.Helper()
	var v any = r.json
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			r.t.Fatalf("%s: no %v in %s", r.req, keys, r.body)
		}
		v = m[k]
	}
	return v
}

func (r *resp) str(keys ...string) string {
	r.t.Helper()
	s, _ := r.get(keys...).(string)
	return s
}

func (r *resp) int(keys ...string) int64 {
	r.t.Helper()
	f, ok := r.get(keys...).(float64)
	if !ok {
		r.t.Fatalf("%s: %v is not a number: %s", r.req, keys, r.body)
	}
	return int64(f)
}

func (r *resp) strings(keys ...string) []string {
	r.t.Helper()
	list, ok := r.get(keys...).([]any)
	if !ok {
		r.t.Fatalf("%s: %v is not a list: %s", r.req, keys, r.body)
	}
	out := make([]string, len(list))
	for i, v := range list {
		out[i], _ = v.(string)
	}
	return out
}

// createUser creates a user through the API and returns its id.
func (e *env) createUser(name string) int64 {
	e.t.Helper()
	r := e.do("POST", "/v1/users", e.admin, map[string]any{"name": name, "email": name + "@example.com", "password": userPassword})
	r.want(201)
	return r.int("id")
}

// login logs in without a second factor and returns the access token.
func (e *env) login(name, password string) string {
	e.t.Helper()
	r := e.do("POST", "/v1/login", "", map[string]any{"login": name, "password": password}).want(200)
	if r.str("status") != "ok" {
		e.t.Fatalf("login of %s: status %q", name, r.str("status"))
	}
	return r.str("access_token")
}

// ticket logs in a user with 2FA and returns the login ticket.
func (e *env) ticket(name string) string {
	e.t.Helper()
	r := e.do("POST", "/v1/login", "", map[string]any{"login": name, "password": userPassword}).want(200)
	if r.str("status") != "second_factor_required" || r.str("ticket") == "" {
		e.t.Fatalf("login of %s: want a ticket: %s", name, r.body)
	}
	return r.str("ticket")
}

// enroll turns 2FA on for the token's user and returns its key and scratch
// codes. The confirming code's step is used afterwards, so the clock moves
// on by a step.
func (e *env) enroll(token string) (otp.Key, []string) {
	e.t.Helper()
	p := e.do("POST", "/v1/users/me/2fa/prepare", token, nil).want(200)
	key := keyOf(e.t, p.str("secret"))
	c := e.do("POST", "/v1/users/me/2fa/confirm", token, map[string]any{
		"enrollment_token": p.str("enrollment_token"), "code": key.Code(e.clock.Now())}).want(200)
	e.tick()
	return key, c.strings("scratch_codes")
}

func keyOf(t testing.TB, secret string) otp.Key {
	t.Helper()
	b, err := otp.DecodeSecret(secret)
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	return otp.Key{Secret: b}
}

// code returns the key's current code.
func (e *env) code(k otp.Key) string { return k.Code(e.clock.Now()) }

// tick moves the clock to the next TOTP step.
func (e *env) tick() { e.clock.Add(30 * time.Second) }

// snapshot describes every state a request could change: users, their 2FA
// state, the policy and the newest audit event.
func (e *env) snapshot() string {
	e.t.Helper()
	ctx := context.Background()
	sys := auth.System("test")
	users, _, err := e.svc.ListUsers(ctx, sys, auth.UserQuery{})
	if err != nil {
		e.t.Fatal(err)
	}
	var b strings.Builder
	for _, u := range users {
		st, err := e.svc.Status(ctx, sys, auth.ByID(u.ID))
		if err != nil {
			e.t.Fatal(err)
		}
		fmt.Fprintf(&b, "%+v %+v\n", u, *st)
	}
	events, err := e.svc.Audit(ctx, sys, mfad.AuditFilter{Limit: 1})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, ev := range events {
		fmt.Fprintf(&b, "event %d\n", ev.ID)
	}
	p, err := e.svc.Policy(ctx, sys)
	if err != nil {
		e.t.Fatal(err)
	}
	fmt.Fprintf(&b, "policy %s\n", p)
	return b.String()
}
