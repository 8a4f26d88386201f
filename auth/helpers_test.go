package auth_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/mfad/mfad/internal/coretest"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/otp"
	"github.com/mfad/mfad/seal"
	"github.com/mfad/mfad/store/sqlite"
)

// clock is a controllable clock: tests step it through TOTP windows,
// lockouts and lifetimes instead of sleeping.
type clock = coretest.Clock

// newClock starts on a TOTP step boundary, so that every Add of 30 s lands
// in the next step.
func newClock() *clock {
	return coretest.NewClock(time.Date(2031, 3, 4, 5, 6, 0, 0, time.UTC))
}

// cheap argon2 parameters, so that tests are fast.
var testPasswordParams = coretest.PasswordParams

// Clients. The default one is remote, so the remote-only policy asks it.
var (
	remote   = auth.Client{Addr: "203.0.113.5", Dialect: "test"}
	loopback = auth.Client{Addr: "127.0.0.1", Dialect: "test"}
)

// env is a core service on a real SQLite store in a temporary directory.
type env struct {
	t     *testing.T
	ctx   context.Context
	store *sqlite.DB
	ring  *seal.Ring
	clock *clock
	svc   *auth.Service
	sys   auth.Actor
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "mfad.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{t: t, ctx: ctx, store: db, ring: newRing(t, "k1"), clock: newClock(), sys: auth.System("test")}
	e.svc = e.service(e.ring)
	return e
}

func newRing(t *testing.T, ids ...string) *seal.Ring {
	t.Helper()
	return coretest.NewRing(t, ids...)
}

// service returns another core service on the same store and clock, with
// ring.
func (e *env) service(ring *seal.Ring) *auth.Service {
	return auth.New(e.store, ring, auth.Config{Window: 1, Password: testPasswordParams},
		auth.WithClock(e.clock.Now), auth.WithLogger(slog.New(slog.DiscardHandler)))
}

// user is a test account with what its owner knows.
type user struct {
	ID       int64
	Name     string
	Email    string
	Password string
	Role     mfad.Role
	Key      otp.Key  // the enabled factor's key, once enrolled
	Scratch  []string // the scratch codes shown at enrollment
	handed   int64    // the latest step whose code code or next handed out
}

func (e *env) newUser(name string, role mfad.Role) *user {
	e.t.Helper()
	u := &user{Name: name, Email: name + "@example.test", Password: "pw of " + name + ": correct horse", Role: role}
	ui, err := e.svc.CreateUser(e.ctx, e.sys, auth.NewUser{Name: u.Name, Email: u.Email, Password: u.Password, Role: role})
	if err != nil {
		e.t.Fatalf("CreateUser %s: %v", name, err)
	}
	u.ID = ui.ID
	return u
}

// login logs u in with the password from c and fails the test on error.
func (e *env) login(u *user, c auth.Client) *auth.LoginResult {
	e.t.Helper()
	res, err := e.svc.Login(e.ctx, c, auth.LoginRequest{Login: u.Name, Password: u.Password})
	if err != nil {
		e.t.Fatalf("Login %s: %v", u.Name, err)
	}
	return res
}

// ticket logs u in and returns the login ticket; 2FA must be asked.
func (e *env) ticket(u *user) string {
	e.t.Helper()
	res := e.login(u, remote)
	if res.Ticket == "" || res.Tokens != nil {
		e.t.Fatalf("Login %s: want a ticket and no tokens, got %+v", u.Name, res)
	}
	return res.Ticket
}

// session returns a full session of u: a password login, completed with a
// fresh code when 2FA is on. Its second factor is proven now if 2FA is on.
func (e *env) session(u *user) *auth.Tokens {
	e.t.Helper()
	res := e.login(u, remote)
	if res.Ticket == "" {
		if res.Tokens == nil || res.Tokens.Scope != mfad.ScopeFull {
			e.t.Fatalf("Login %s: want a full session, got %+v", u.Name, res)
		}
		return res.Tokens
	}
	done, err := e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{Ticket: res.Ticket, Code: e.code(u)})
	if err != nil {
		e.t.Fatalf("CompleteLogin %s: %v", u.Name, err)
	}
	return done.Tokens
}

// actor authenticates an access token and fails the test on error.
func (e *env) actor(tok *auth.Tokens) auth.Actor {
	e.t.Helper()
	a, err := e.svc.Authenticate(e.ctx, remote, tok.Access)
	if err != nil {
		e.t.Fatalf("Authenticate: %v", err)
	}
	return a
}

// code advances the clock to a TOTP step after every step whose code was
// handed out before, and returns u's code for it: a code that no earlier
// call can have used.
func (e *env) code(u *user) string {
	e.t.Helper()
	e.clock.Add(30 * time.Second)
	for u.Key.Step(e.clock.Now()) <= u.handed {
		e.clock.Add(30 * time.Second)
	}
	u.handed = u.Key.Step(e.clock.Now())
	return e.now(u)
}

// now returns u's code for the current step, without moving the clock.
func (e *env) now(u *user) string {
	e.t.Helper()
	c := u.Key.Code(e.clock.Now())
	if c == "" {
		e.t.Fatalf("no code for %s: not enrolled?", u.Name)
	}
	return c
}

// next returns u's code for the step after the current one: accepted now
// (the window is +-1 step) and not yet used, without moving the clock.
func (e *env) next(u *user) string {
	e.t.Helper()
	step := u.Key.Step(e.clock.Now()) + 1
	u.handed = max(u.handed, step)
	return u.Key.CodeAt(step)
}

// keyOf parses the key a Prepare answer shows, as an authenticator app would.
func keyOf(t *testing.T, p *auth.Prepared) otp.Key {
	t.Helper()
	k, err := otp.ParseURI(p.URI)
	if err != nil {
		t.Fatalf("ParseURI(%q): %v", p.URI, err)
	}
	if got := otp.EncodeSecret(k.Secret); got != p.Secret {
		t.Fatalf("the URI's secret %q differs from the shown secret %q", got, p.Secret)
	}
	return k
}

// enroll turns on 2FA for u through a session of u's own, which it returns
// (full, its second factor proven now).
func (e *env) enroll(u *user) *auth.Tokens {
	e.t.Helper()
	tok := e.session(u)
	a := e.actor(tok)
	p, err := e.svc.Prepare(e.ctx, a, auth.PrepareRequest{UserID: u.ID})
	if err != nil {
		e.t.Fatalf("Prepare %s: %v", u.Name, err)
	}
	key := keyOf(e.t, p)
	c, err := e.svc.Confirm(e.ctx, a, auth.ConfirmRequest{UserID: u.ID, Token: p.Token, Code: key.Code(e.clock.Now())})
	if err != nil {
		e.t.Fatalf("Confirm %s: %v", u.Name, err)
	}
	u.Key, u.Scratch, u.handed = key, c.ScratchCodes, key.Step(e.clock.Now())
	return tok
}

// enrolledUser creates a user with 2FA on and returns it with a full session
// whose second factor was proven now.
func (e *env) enrolledUser(name string) (*user, *auth.Tokens) {
	e.t.Helper()
	u := e.newUser(name, mfad.RoleUser)
	return u, e.enroll(u)
}

// wantCode fails the test unless err has the given domain code.
func wantCode(t *testing.T, err error, code mfad.Code) {
	t.Helper()
	if got := mfad.ErrorCode(err); got != code {
		t.Fatalf("got error %v (code %q), want code %q", err, got, code)
	}
}

// checkCode is wantCode that lets the test go on.
func checkCode(t *testing.T, what string, err error, code mfad.Code) {
	t.Helper()
	if got := mfad.ErrorCode(err); got != code {
		t.Errorf("%s: got error %v (code %q), want code %q", what, err, got, code)
	}
}

// alive reports whether an access token still authenticates; any error but
// EUnauthenticated fails the test.
func (e *env) alive(tok *auth.Tokens) bool {
	e.t.Helper()
	_, err := e.svc.Authenticate(e.ctx, remote, tok.Access)
	if err != nil && mfad.ErrorCode(err) != mfad.EUnauthenticated {
		e.t.Fatalf("Authenticate: %v", err)
	}
	return err == nil
}

// events returns the audit events of a user, newest first.
func (e *env) events(userID int64) []mfad.Event {
	e.t.Helper()
	ev, err := e.svc.Audit(e.ctx, e.sys, mfad.AuditFilter{UserID: userID, Limit: 1000})
	if err != nil {
		e.t.Fatalf("Audit: %v", err)
	}
	return ev
}
