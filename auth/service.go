// Package auth is the core service of mfad: every rule about users, logins,
// second factors, lockouts, sessions and who may do what lives here. Fronts
// translate their wire formats into calls of this package and its errors
// back into their wire errors; they never compare roles or ids themselves.
package auth

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/otp"
	"github.com/mfad/mfad/seal"
)

// Config holds the security settings of docs/architecture.md §2. Zero values take the
// defaults of DefaultConfig, except Window, where 0 is a setting of its own
// (only the current step): start from DefaultConfig for the default of 1;
// a negative RefreshReuse turns the reuse interval off.
type Config struct {
	Issuer        string        // shown in authenticator apps
	Window        int           // accepted TOTP steps either side of now; 0: the current step only
	MinSecretBits int           // for client-supplied secrets
	PendingTTL    time.Duration // lifetime of a prepared enrollment
	TicketTTL     time.Duration // lifetime of a login ticket
	AccessTTL     time.Duration
	// DialectAccessTTL is the access token lifetime of the sessions made
	// through a dialect as the operator sets it (--zimbra-token-lifetime),
	// over the dialect's profile and AccessTTL; the dialect's name is the
	// key.
	DialectAccessTTL map[string]time.Duration
	RefreshTTL       time.Duration
	// RefreshReuse is how long after its rotation a refresh token still
	// gets the pair it was rotated to (parallel refreshes); negative: not
	// at all, a second use always revokes.
	RefreshReuse time.Duration
	// PersistentIdleTTL is the idle timeout of a persistent login that is
	// kept alive by use (LoginRequest.Idle and Persistent: TwinCAT's
	// persistent logins; its AUTO_LOGOFF default is 30 days). A login kept
	// alive by use that is not persistent has AccessTTL as its idle timeout.
	PersistentIdleTTL time.Duration
	// MaxSessionAge is how long a session lives from its login at most,
	// whatever its use, renewals and refreshes (a dialect's profile may
	// set its own): a stolen session id does not work for ever.
	MaxSessionAge    time.Duration
	StepUpTTL        time.Duration // how long a proven second factor counts as recent
	TrustedDeviceTTL time.Duration
	Scratch          mfad.ScratchForm
	Password         PasswordParams
	MaxAppPasswords  int
	// Allowed limits the algorithm, digits and period a user may ask for
	// at prepare (as Authelia's allowed_algorithms); an empty list allows
	// only the default (SHA1, 6, 30), so a choice is the operator's.
	Allowed OTPChoices
}

// OTPChoices are the TOTP parameters the operator allows at enrollment.
type OTPChoices struct {
	Algorithms []string // "SHA1", "SHA256", "SHA512"
	Digits     []int    // 6, 7, 8
	Periods    []int    // seconds
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		Issuer:            "mfad",
		Window:            1,
		MinSecretBits:     80,
		PendingTTL:        10 * time.Minute,
		TicketTTL:         5 * time.Minute,
		AccessTTL:         time.Hour,
		RefreshTTL:        14 * 24 * time.Hour,
		RefreshReuse:      30 * time.Second,
		PersistentIdleTTL: 30 * 24 * time.Hour,
		MaxSessionAge:     30 * 24 * time.Hour,
		StepUpTTL:         10 * time.Minute,
		TrustedDeviceTTL:  30 * 24 * time.Hour,
		Scratch:           mfad.DefaultScratchForm,
		Password:          DefaultPasswordParams(),
		MaxAppPasswords:   25,
	}
}

// Service is the core service. It is safe for concurrent use; all state that
// decides access is in the store.
type Service struct {
	store  mfad.Store
	ring   *seal.Ring
	cfg    Config
	now    func() time.Time
	log    *slog.Logger
	hasher *hasher
	macKey []byte // keys the hashes of throttled names and known addresses

	profilesMu sync.RWMutex
	profiles   map[string]Profile // by dialect; see RegisterProfile

	// CrashPoint, when set, is called at named points inside transactions;
	// the test build of mfad uses it to crash mid-transaction.
	CrashPoint func(name string)
	// Observe, when set, is told what happened, for metrics. The events
	// and their results:
	//
	//	"verify"   "ok", "invalid", "replay", "locked", "expired": every
	//	           second-factor check (a login, a step-up, a sensitive
	//	           action); "expired" is a login ticket that timed out
	//	"lockout"  "locked": a failure that locked the factor
	//	"enroll"   "started": a prepared enrollment
	//	"confirm"  "ok", "invalid", "expired": confirming an enrollment
	//	"scratch"  "used": a scratch code accepted
	//	"import"   "ok": a factor imported by an administrator
	//
	// Outcomes inside a transaction are told only once it has committed, so
	// a rolled-back or retried transaction counts once or not at all. It is
	// called synchronously and must be cheap and safe for concurrent use.
	Observe func(event, result string)
	// Notify, when set, names the targets that want a notification of
	// kind (mfad.Notify*): mfad.TargetEmail, "webhook:NAME". The core
	// writes one outbox row per target in the transaction of the change
	// (notify.go); none named, or Notify nil, queues nothing.
	Notify func(kind string) []string
}

// Option configures a Service.
type Option func(*Service)

// WithClock replaces time.Now, so tests can step through TOTP windows.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithLogger sets the logger (default: slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// New returns a Service on store, sealing secrets with ring.
func New(store mfad.Store, ring *seal.Ring, cfg Config, opts ...Option) *Service {
	cfg = withDefaults(cfg)
	s := &Service{store: store, ring: ring, cfg: cfg, now: time.Now, log: slog.Default()}
	for _, o := range opts {
		o(s)
	}
	s.hasher = newHasher(cfg.Password)
	if ring != nil {
		s.macKey = ring.DeriveKey("throttle keys and known addresses")
	}
	return s
}

// accessTTL is the access token lifetime of a session made through c.
func (s *Service) accessTTL(c Client) time.Duration { return s.profileOf(c.Dialect).AccessTTL }

// Config returns the effective configuration.
func (s *Service) Config() Config { return s.cfg }

// Now returns the service's current time.
func (s *Service) Now() time.Time { return s.now().UTC() }

func withDefaults(c Config) Config {
	d := DefaultConfig()
	if c.Issuer == "" {
		c.Issuer = d.Issuer
	}
	if c.Window < 0 {
		c.Window = 0
	}
	if c.RefreshReuse == 0 {
		c.RefreshReuse = d.RefreshReuse
	}
	if c.MinSecretBits == 0 {
		c.MinSecretBits = d.MinSecretBits
	}
	for _, p := range []struct{ v, d *time.Duration }{
		{&c.PendingTTL, &d.PendingTTL}, {&c.TicketTTL, &d.TicketTTL},
		{&c.AccessTTL, &d.AccessTTL}, {&c.RefreshTTL, &d.RefreshTTL}, {&c.PersistentIdleTTL, &d.PersistentIdleTTL}, {&c.MaxSessionAge, &d.MaxSessionAge},
		{&c.StepUpTTL, &d.StepUpTTL}, {&c.TrustedDeviceTTL, &d.TrustedDeviceTTL},
	} {
		if *p.v <= 0 {
			*p.v = *p.d
		}
	}
	if c.Scratch.Count == 0 {
		c.Scratch = d.Scratch
	}
	if c.Password.Memory == 0 {
		c.Password = d.Password
	}
	if c.MaxAppPasswords == 0 {
		c.MaxAppPasswords = d.MaxAppPasswords
	}
	if len(c.Allowed.Algorithms) == 0 {
		c.Allowed.Algorithms = []string{otp.SHA1.String()}
	}
	if len(c.Allowed.Digits) == 0 {
		c.Allowed.Digits = []int{otp.DefaultDigits}
	}
	if len(c.Allowed.Periods) == 0 {
		c.Allowed.Periods = []int{otp.DefaultPeriod}
	}
	return c
}

// Client describes where a call comes from: the client address (after the
// trusted-proxy rule) and the front it came through.
type Client struct {
	Addr    string
	Dialect string
}

// Remote reports whether the client is not on this machine, for the
// "remote clients only" policy. An unparsable address counts as remote.
func (c Client) Remote() bool {
	a, err := netip.ParseAddr(c.Addr)
	return err != nil || !a.Unmap().IsLoopback()
}

// Actor is who makes a core call: a user through a session, a user who has
// just proven a password, or the system (the mfad command on the server).
// Its fields are the core's own: only the core's authentication calls
// (Authenticate, a password proof...), System and Anonymous make one, so no
// front can make itself an administrator or another user.
type Actor struct {
	client         Client
	userID         int64
	name           string // the user's name, as the session's read found it
	role           mfad.Role
	sessionID      int64 // 0 when not acting through a session
	scope          mfad.Scope
	secondFactorAt time.Time
	system         bool
	// passwordOf is the user whose password this very call proved
	// (passwordProof; a Confirm that asks for it): an enrollment that user
	// prepares or confirms so may hand out a session.
	passwordOf int64
}

// System returns the actor of the mfad command: an administrator that needs
// no session, audited as actor 0.
func System(dialect string) Actor {
	return Actor{client: Client{Addr: "127.0.0.1", Dialect: dialect}, role: mfad.RoleAdmin, scope: mfad.ScopeFull, system: true}
}

// Anonymous returns the actor of an unauthenticated call.
func Anonymous(c Client) Actor { return Actor{client: c} }

// Client is where the actor's call comes from.
func (a Actor) Client() Client { return a.client }

// UserID is the acting user's id; 0 for the system and for nobody.
func (a Actor) UserID() int64 { return a.userID }

// Name is the acting user's name when the actor came from a session
// (Authenticate): fronts show who is logged in without asking again.
func (a Actor) Name() string { return a.name }

// Role is the acting user's role.
func (a Actor) Role() mfad.Role { return a.role }

// SessionID is the session the actor acts through; 0 when none.
func (a Actor) SessionID() int64 { return a.sessionID }

// Scope is what the actor's session may do.
func (a Actor) Scope() mfad.Scope { return a.scope }

// SecondFactorAt is when the session last proved a second factor.
func (a Actor) SecondFactorAt() time.Time { return a.secondFactorAt }

// IsAdmin reports whether the actor has the admin role with a full session.
func (a Actor) IsAdmin() bool { return a.role == mfad.RoleAdmin && a.scope == mfad.ScopeFull }

// committed wraps an error that must not roll back its transaction: a failed
// code is counted and audited, and only then refused.
type committed struct{ err error }

func (c committed) Error() string { return c.err.Error() }

func keep(err error) error { return committed{err} }

// update runs fn in one transaction. If fn returns keep(err), the
// transaction commits and err is returned. What fn observes is told to
// Observe once the transaction has committed.
func (s *Service) update(ctx context.Context, fn func(tx mfad.Tx) error) error {
	var kept error
	var last *observedTx
	err := s.store.Update(ctx, func(tx mfad.Tx) error {
		otx := &observedTx{Tx: tx} // afresh for each attempt, should a store retry
		last, kept = otx, nil
		err := fn(otx)
		var c committed
		if errors.As(err, &c) {
			kept = c.err
			return nil
		}
		return err
	})
	if err != nil {
		return s.internal(ctx, err)
	}
	if last != nil {
		for _, o := range last.seen {
			s.report(ctx, o)
		}
	}
	return kept
}

func (s *Service) view(ctx context.Context, fn func(tx mfad.Tx) error) error {
	return s.internal(ctx, s.store.View(ctx, fn))
}

// observedTx is a transaction that holds what was observed in it until it
// commits.
type observedTx struct {
	mfad.Tx
	seen []outcome
}

// internal turns store and other non-domain errors into EInternal, logging
// the cause (which never holds a secret: the store sees only sealed values
// and hashes) with the request's context, so the log line carries its id.
func (s *Service) internal(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var e *mfad.Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &mfad.Error{Code: mfad.EInternal, Message: "request cancelled", Err: err}
	}
	if errors.Is(err, mfad.ErrUnavailable) {
		s.log.WarnContext(ctx, "database unavailable", "err", err)
		return &mfad.Error{Code: mfad.EUnavailable, Message: "the service is temporarily unavailable; retry shortly", RetryAfter: unavailableRetry, Err: err}
	}
	s.log.ErrorContext(ctx, "internal error", "err", err)
	return &mfad.Error{Code: mfad.EInternal, Message: "internal error", Err: err}
}

// unavailableRetry is the Retry-After of EUnavailable: long enough for a
// database failover or a pooler restart, short enough for a user.
const unavailableRetry = 5 * time.Second

func (s *Service) crash(name string) {
	if s.CrashPoint != nil {
		s.CrashPoint(name)
	}
}

// observe records an outcome in tx, told to Observe when tx commits.
func (s *Service) observe(tx mfad.Tx, event, result string) {
	s.observeFor(tx, nil, 0, event, result)
}

// observeFor records an outcome about user userID, acted on by a, in tx;
// told to Observe and logged (see report) when tx commits.
func (s *Service) observeFor(tx mfad.Tx, a *Actor, userID int64, event, result string) {
	o := outcome{event: event, result: result, userID: userID, actor: a}
	if otx, ok := tx.(*observedTx); ok {
		otx.seen = append(otx.seen, o)
		return
	}
	s.report(context.Background(), o)
}

// emit tells Observe, if set, of an outcome now.
func (s *Service) emit(event, result string) {
	s.report(context.Background(), outcome{event: event, result: result})
}

// audit appends an event in tx.
func (s *Service) audit(tx mfad.Tx, a Actor, userID int64, action, result, detail string) error {
	return tx.AppendEvent(&mfad.Event{
		Time: s.Now(), ActorID: a.userID, UserID: userID, Action: action, Result: result,
		RemoteAddr: a.client.Addr, Dialect: a.client.Dialect, Detail: detail,
	})
}

func notFound(err error, what string) error {
	if errors.Is(err, mfad.ErrNoRows) {
		return mfad.Errorf(mfad.ENotFound, "%s not found", what)
	}
	return err
}
