package veeam_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad/internal/coretest"

	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/api/veeam"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/otp"
)

// clock is the core's fake clock: tests move it instead of sleeping.
type clock = coretest.Clock

const (
	adminPassword = "admin-password-1"
	userPassword  = "user-password-1"
)

// env is a real core on a real SQLite file behind the dialect, mounted as
// mfad serve mounts it.
type env struct {
	t     testing.TB
	svc   *auth.Service
	clock *clock
	srv   *httptest.Server
	h     http.Handler // what srv serves
	core  *coretest.Core
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	// 00:00:05 is early in a TOTP step: the clock moves by whole steps, so a
	// code computed "now" is never at the edge of one.
	core := coretest.New(t, coretest.Options{Start: time.Date(2030, 1, 1, 0, 0, 5, 0, time.UTC)})
	svc, clk := core.Svc, core.Clock
	if _, err := svc.Bootstrap(ctx, "admin", "admin@mfad.local", adminPassword); err != nil {
		t.Fatal(err)
	}
	for _, u := range []auth.NewUser{
		{ID: 1001, Name: "u1001", Email: "u1001@example.com", Password: userPassword},
		{ID: 1002, Name: "u1002", Password: userPassword},
	} {
		if _, err := svc.CreateUser(ctx, auth.System("test"), u); err != nil {
			t.Fatal(err)
		}
	}
	mux := http.NewServeMux()
	h := veeam.New(svc)
	mux.Handle("/api/", h)
	wrapped := httpx.Wrap(mux, nil, slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(wrapped)
	t.Cleanup(srv.Close)
	return &env{t: t, svc: svc, clock: clk, srv: srv, h: wrapped, core: core}
}

// resp is an answer.
type resp struct {
	t      testing.TB
	req    string
	status int
	header http.Header
	body   []byte
}

// send sends a request with a raw body of the given content type.
func (e *env) send(method, path, token, contentType, body string) *resp {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
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
	return &resp{t: e.t, req: method + " " + path, status: res.StatusCode, header: res.Header, body: raw}
}

const formType = "application/x-www-form-urlencoded"

// form posts to the token endpoint.
func (e *env) form(body string) *resp {
	e.t.Helper()
	return e.send("POST", "/api/oauth2/token", "", formType, body)
}

// login returns the access token of a password grant without MFA.
func (e *env) login(name, password string) string {
	e.t.Helper()
	r := e.form("grant_type=Password&username=" + name + "&password=" + password)
	r.want(200)
	return r.str("access_token")
}

func (r *resp) want(status int) *resp {
	r.t.Helper()
	if r.status != status {
		r.t.Fatalf("%s: status %d, want %d: %s", r.req, r.status, status, r.body)
	}
	return r
}

func (r *resp) json() map[string]any {
	r.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		r.t.Fatalf("%s: answer is not a JSON object: %v: %s", r.req, err, r.body)
	}
	return m
}

func (r *resp) str(key string) string {
	r.t.Helper()
	s, _ := r.json()[key].(string)
	return s
}

func (r *resp) strs(key string) []string {
	r.t.Helper()
	var out []string
	list, _ := r.json()[key].([]any)
	for _, v := range list {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}

// key returns the TOTP key of an enableMfa answer.
func (r *resp) key() otp.Key {
	r.t.Helper()
	secret, err := otp.DecodeSecret(r.str("secretKey"))
	if err != nil {
		r.t.Fatal(err)
	}
	return otp.Key{Secret: secret, Algorithm: otp.SHA1, Digits: 6, Period: 30}
}

// wrongCode returns a 6-digit code that is not a valid code of k near t.
func wrongCode(k otp.Key, t time.Time) string {
	near := map[string]bool{}
	for d := -2; d <= 2; d++ {
		near[k.Code(t.Add(time.Duration(d)*30*time.Second))] = true
	}
	for i := 0; ; i++ {
		c := strconv.Itoa(100000 + i*7919%900000)
		if !near[c] {
			return c
		}
	}
}

// normalizer replaces the random values of answers (tokens, secrets,
// scratch codes, TOTP codes) with stable names, so golden files can hold
// every other byte exactly.
type normalizer struct {
	names map[string]string // value -> placeholder
	count map[string]int    // kind -> values seen
}

func newNormalizer() *normalizer {
	return &normalizer{names: map[string]string{}, count: map[string]int{}}
}

// add names value as the next one of kind, unless it is named already.
func (n *normalizer) add(kind, value string) {
	if value == "" || n.names[value] != "" {
		return
	}
	n.count[kind]++
	n.names[value] = "<" + kind + "-" + strconv.Itoa(n.count[kind]) + ">"
}

// learn names the random values of a JSON answer.
func (n *normalizer) learn(body []byte) {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return
	}
	for _, k := range []string{"access_token", "refresh_token", "mfa_token", "token", "secretKey", "traceId"} {
		s, _ := m[k].(string)
		n.add(k, s)
	}
	codes, _ := m["scratchCodes"].([]any)
	for _, c := range codes {
		s, _ := c.(string)
		n.add("scratch", s)
	}
}

// apply replaces every named value in s, longest first, so a code that is
// part of a longer value cannot break it.
func (n *normalizer) apply(s string) string {
	vals := make([]string, 0, len(n.names))
	for v := range n.names {
		vals = append(vals, v)
	}
	sort.Slice(vals, func(i, j int) bool {
		if len(vals[i]) != len(vals[j]) {
			return len(vals[i]) > len(vals[j])
		}
		return vals[i] < vals[j]
	})
	for _, v := range vals {
		s = strings.ReplaceAll(s, v, n.names[v])
	}
	return s
}
