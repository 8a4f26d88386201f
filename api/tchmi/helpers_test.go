package tchmi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad/internal/coretest"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/tchmi"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/otp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// clock is a controllable clock, started on a TOTP step boundary so that
// every Add of 30 s lands in the next step.
type clock = coretest.Clock

// Clients: the test connections are local unless they say otherwise.
var (
	local  = auth.Client{Addr: "127.0.0.1", Dialect: tchmi.Dialect}
	remote = auth.Client{Addr: "203.0.113.7", Dialect: tchmi.Dialect}
)

// env is a core service on a real SQLite store with a fake clock.
type env struct {
	t     testing.TB
	ctx   context.Context
	clock *clock
	svc   *auth.Service
	sys   auth.Actor
	users map[string]*user
}

// user is a test account and what its owner knows.
type user struct {
	ID       int64
	Name     string
	Password string
	Secret   string // base32, once the test enrolls it
}

// Client-made secrets (base32, 80 and 160 bits) and passwords of the tests.
const (
	secretAlice = "GL3C7BQZHCKKPBZ2"
	secretBob   = "OQKWMGCX2KA6E554CULMFIXFYD4VFIQV"
)

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	core := coretest.New(t, coretest.Options{Start: time.Date(2031, 3, 4, 5, 6, 0, 0, time.UTC)})
	// As NewHandler registers it, for the tests that drive a Session alone.
	core.Svc.RegisterProfile(tchmi.Dialect, tchmi.Profile)
	e := &env{t: t, ctx: ctx, clock: core.Clock, svc: core.Svc, sys: auth.System("test"), users: map[string]*user{}}
	e.addUser("admin", mfad.RoleAdmin, 1)
	e.addUser("alice", mfad.RoleUser, 1001)
	e.addUser("bob", mfad.RoleUser, 1002)
	e.addUser("carol", mfad.RoleUser, 1003)
	return e
}

func (e *env) addUser(name string, role mfad.Role, id int64) {
	e.t.Helper()
	u := &user{ID: id, Name: name, Password: "pw-of-" + name + "-correct-horse"}
	if _, err := e.svc.CreateUser(e.ctx, e.sys, auth.NewUser{ID: id, Name: name, Email: name + "@example.test", Password: u.Password, Role: role}); err != nil {
		e.t.Fatalf("CreateUser %s: %v", name, err)
	}
	e.users[name] = u
}

// code is the current TOTP code of a base32 secret.
func (e *env) code(secret string) string { return e.codeIn(secret, 0) }

// codeIn is the TOTP code of a base32 secret at d from now.
func (e *env) codeIn(secret string, d time.Duration) string {
	e.t.Helper()
	b, err := otp.DecodeSecret(secret)
	if err != nil {
		e.t.Fatal(err)
	}
	return otp.Key{Secret: b}.Code(e.clock.Now().Add(d))
}

// enroll turns 2FA on for a user through the core, as an admin would.
func (e *env) enroll(name, secret string) {
	e.t.Helper()
	u := e.users[name]
	// Prepared as TwinCAT prepares (its profile: no scratch codes).
	if _, err := e.svc.Prepare(e.ctx, auth.System(tchmi.Dialect), auth.PrepareRequest{UserID: u.ID, Secret: secret}); err != nil {
		e.t.Fatalf("Prepare %s: %v", name, err)
	}
	if _, err := e.svc.Confirm(e.ctx, e.sys, auth.ConfirmRequest{UserID: u.ID, Secret: secret, Code: e.code(secret)}); err != nil {
		e.t.Fatalf("Confirm %s: %v", name, err)
	}
	u.Secret = secret
	e.clock.Add(30 * time.Second) // the confirming code's step is used
}

func (e *env) setPolicy(p auth.Policy) {
	e.t.Helper()
	if err := e.svc.SetPolicy(e.ctx, e.sys, p); err != nil {
		e.t.Fatal(err)
	}
}

// cmd is one command of a request written by a test.
type cmd struct {
	Symbol         string   `json:"symbol"`
	WriteValue     any      `json:"writeValue,omitempty"`
	CommandOptions []string `json:"commandOptions,omitempty"`
}

// Command options the tests use.
var (
	msg  = []string{tchmi.OptSendErrorMessage}
	both = []string{tchmi.OptSendErrorMessage, tchmi.OptSendWriteValue}
)

func c(symbol string, writeValue any, opts ...string) cmd {
	return cmd{Symbol: symbol, WriteValue: writeValue, CommandOptions: opts}
}

// frame is a ReadWrite request with id and cmds.
func frame(id int, cmds ...cmd) string {
	b, err := json.Marshal(struct {
		RequestType string `json:"requestType"`
		ID          int    `json:"id"`
		Commands    []cmd  `json:"commands"`
	}{"ReadWrite", id, cmds})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// obj is a writeValue object.
type obj = map[string]any

// transcript records the frames of a golden test, with session ids
// (access tokens) replaced by stable names.
type transcript struct {
	e      *env
	buf    bytes.Buffer
	tokens map[string]string
	order  []string
	nextID int
}

func newTranscript(e *env) *transcript { return &transcript{e: e, tokens: map[string]string{}} }

// note records something the test did outside the protocol.
func (tr *transcript) note(format string, args ...any) {
	fmt.Fprintf(&tr.buf, "-- %s\n", fmt.Sprintf(format, args...))
}

// answer is a decoded answer frame.
type answer struct {
	raw      []byte
	Error    *tchmi.Error `json:"error"`
	Commands []struct {
		Symbol    string       `json:"symbol"`
		ReadValue any          `json:"readValue"`
		Error     *tchmi.Error `json:"error"`
	} `json:"commands"`
}

// send runs a frame on a connection, records both frames and checks the
// outcome: want holds, per command, the expected error code (0: success),
// or the code of the top-level error.
func (tr *transcript) send(s *tchmi.Session, label, req string, want ...int) *answer {
	tr.e.t.Helper()
	out := s.Handle(tr.e.ctx, []byte(req))
	var a answer
	if err := json.Unmarshal(out, &a); err != nil {
		tr.e.t.Fatalf("%s: answer is not JSON: %v\n%s", label, err, out)
	}
	a.raw = out
	for _, r := range a.Commands {
		if tok, ok := r.ReadValue.(string); ok && r.Symbol == tchmi.SymLogin && r.Error == nil {
			if _, seen := tr.tokens[tok]; !seen {
				tr.tokens[tok] = fmt.Sprintf("<session-id-%d>", len(tr.tokens)+1)
				tr.order = append(tr.order, tok)
			}
		}
	}
	fmt.Fprintf(&tr.buf, "# %s\n> %s\n< %s\n\n", label, tr.normalise(req), tr.normalise(string(out)))
	if got := a.codes(); fmt.Sprint(got) != fmt.Sprint(want) {
		tr.e.t.Errorf("%s: error codes %v, want %v\n%s", label, got, want, out)
	}
	return &a
}

// codes lists the error code of each command (0: success), or the code of
// the top-level error.
func (a *answer) codes() []int {
	if a.Error != nil {
		return []int{a.Error.Code}
	}
	out := []int{}
	for _, r := range a.Commands {
		code := 0
		if r.Error != nil {
			code = r.Error.Code
		}
		out = append(out, code)
	}
	return out
}

// token returns the session id a Login answered.
func (a *answer) token() string {
	if len(a.Commands) == 0 {
		return ""
	}
	s, _ := a.Commands[0].ReadValue.(string)
	return s
}

func (tr *transcript) normalise(s string) string {
	for _, tok := range tr.order {
		s = strings.ReplaceAll(s, tok, tr.tokens[tok])
	}
	return s
}

// check compares the transcript with testdata/name.golden (or rewrites it
// with -update).
func (tr *transcript) check(name string) {
	t := tr.e.t
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	got := tr.buf.Bytes()
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the answers (run go test -update and review the diff):\n%s", path, firstDiff(want, got))
	}
}

func firstDiff(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\nwant: %s\n got: %s", i+1, w, g)
		}
	}
	return ""
}

// tick runs a subscription once and records what it sent, if anything.
func (tr *transcript) tick(s *tchmi.Session, st tchmi.Started, label string) {
	tr.e.t.Helper()
	out, gone := s.Tick(tr.e.ctx, st)
	fmt.Fprintf(&tr.buf, "# %s\n", label)
	switch {
	case gone:
		fmt.Fprintf(&tr.buf, "(ended)\n\n")
	case out == nil:
		fmt.Fprintf(&tr.buf, "(nothing sent)\n\n")
	default:
		fmt.Fprintf(&tr.buf, "< %s\n\n", tr.normalise(string(out)))
	}
}
