package tchmi

import (
	"context"
	"crypto/subtle"
	"log/slog"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// Session is one TcHmi connection: the client it comes from and the mfad
// session it logged in with. A connection belongs to that session: Logout
// ends it, and every command authenticates its access token again, so a
// session that expired or was revoked elsewhere ends on this connection at
// its next command. A Session runs one frame at a time; it is not safe for
// concurrent use.
type Session struct {
	svc      *auth.Service
	client   auth.Client
	serverID string
	tokens   *auth.Tokens
	loggedIn bool // a Login of the frame being run made the session
	subs     map[string]*subscription
	started  []Started
}

// NewSession returns the state of a new connection from client.
func NewSession(svc *auth.Service, client auth.Client) *Session {
	return &Session{svc: svc, client: client, serverID: DefaultServerID, subs: map[string]*subscription{}}
}

// LoggedIn reports whether the connection holds a session. It may have been
// revoked elsewhere since; the next command finds out.
func (s *Session) LoggedIn() bool { return s.tokens != nil }

// held returns the session the connection holds, or nil.
func (s *Session) held() *auth.Tokens { return s.tokens }

// hold makes t the connection's session, made by a Login.
func (s *Session) hold(t *auth.Tokens) { s.tokens, s.loggedIn = t, true }

// release forgets the connection's session (it has ended).
func (s *Session) release() { s.tokens = nil }

// Handle runs one request frame and returns the answer frame. It never
// fails: a frame that cannot be run gets an answer with a top-level error.
// A Subscription is answered at once and registered: the transport runs it
// again (TakeStarted, Tick).
func (s *Session) Handle(ctx context.Context, frame []byte) []byte {
	req, err := DecodeRequest(frame)
	if err == nil {
		err = s.bind(ctx, req.SessionID)
	}
	var sub *subscription
	if err == nil && req.RequestType == "Subscription" {
		sub, err = s.subscribe(req)
	}
	if err != nil {
		return encode(ErrorFrame{RequestType: req.RequestType, ID: req.ID, Error: ErrorOf(err, true)})
	}
	out := s.runAll(ctx, req)
	if sub != nil {
		sub.last = out
	}
	return out
}

// runAll runs a request's commands in order and encodes the answer.
func (s *Session) runAll(ctx context.Context, req *Request) []byte {
	resp := Response{RequestType: req.RequestType, ID: req.ID, CustomerData: req.CustomerData,
		Commands: make([]Result, 0, len(req.Commands))}
	s.loggedIn = false
	for i := range req.Commands {
		resp.Commands = append(resp.Commands, s.run(ctx, &req.Commands[i]))
	}
	if s.loggedIn && s.tokens != nil {
		// As TwinCAT's answers: the page sets its session cookie,
		// sessionId-<serverId>, from these (Beckhoff's login page does).
		resp.SessionID, resp.ServerID = s.tokens.Access, s.serverID
	}
	return encode(resp)
}

// fallback is the answer when an answer cannot be encoded (it always can).
var fallback = []byte(`{"error":{"code":258,"domain":"TcHmiSrv","message":"UNEXPECTED","reason":"internal error"}}`)

func encode(v any) []byte {
	b, err := marshal(v)
	if err != nil {
		slog.Error("tchmi: encoding an answer", "err", err)
		return fallback
	}
	return b
}

// bind handles a request's sessionId: a connection without a session takes
// on the session it names (a client reconnecting with the SessionId its
// Login returned); a connection with a session accepts only its own.
func (s *Session) bind(ctx context.Context, sessionID string) error {
	if sessionID == "" {
		return nil
	}
	if s.tokens != nil {
		if subtle.ConstantTimeCompare([]byte(sessionID), []byte(s.tokens.Access)) == 1 {
			return nil
		}
		return mfad.Errorf(mfad.EForbidden, "this connection belongs to another session; log out first")
	}
	a, err := s.svc.Authenticate(ctx, s.client, sessionID)
	if err != nil {
		return err
	}
	s.tokens = &auth.Tokens{SessionID: a.SessionID(), UserID: a.UserID(), Access: sessionID, Scope: a.Scope()}
	return nil
}

func (s *Session) run(ctx context.Context, c *Command) Result {
	r := Result{Symbol: c.Symbol, CustomerData: c.CustomerData}
	if c.has(OptSendWriteValue) {
		r.WriteValue = maskValue(c.WriteValue)
	}
	var v any
	var err error
	if h, ok := handlerOf(c.Symbol); ok {
		v, err = h(&call{ctx: ctx, svc: s.svc, conn: s, wv: c.WriteValue})
	} else if c.Symbol == "" {
		err = mfad.Errorf(mfad.EInvalidInput, "symbol is required")
	} else {
		err = errNotMapped(c.Symbol)
	}
	if err != nil {
		r.Error = ErrorOf(err, c.has(OptSendErrorMessage))
	} else {
		r.ReadValue = v
	}
	return r
}

// actor authenticates the connection's session again (so that a logout,
// expiry or revocation elsewhere takes effect at once), or returns the
// anonymous actor of a connection that is not logged in: the core then
// refuses what needs a session.
func (s *Session) actor(ctx context.Context) (auth.Actor, error) {
	if s.tokens == nil {
		return auth.Anonymous(s.client), nil
	}
	a, err := s.svc.Authenticate(ctx, s.client, s.tokens.Access)
	if mfad.ErrorCode(err) == mfad.EUnauthenticated {
		s.tokens = nil
		return a, mfad.Errorf(mfad.EUnauthenticated, "the session has ended (logged out, expired or revoked); log in again")
	}
	return a, err
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
