package tchmi

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"slices"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// Symbols mfad serves.
const (
	SymLogin          = "Login"
	SymLogout         = "Logout"
	SymEnable2FA      = "TcHmiUserManagement.Enable2FA"
	SymDisable2FA     = "TcHmiUserManagement.Disable2FA"
	SymGet2FAStatus   = "TcHmiUserManagement.Get2FAStatus"
	SymChangePassword = "TcHmiUserManagement.ChangePassword"
	SymReset2FA       = "TcHmiUserManagement.Reset2FA"
	SymConfig2FA      = "TcHmiUserManagement.Config::ENABLE_TWO_FACTOR_AUTHENTICATION"
)

// Get2FAStatus values (TcHmiUserManagement's enumeration).
const (
	Status2FAEnabled         = 0 // enabled and required: cannot be turned off
	Status2FACanBeEnabled    = 1 // off (also when policy requires it: the session may then only enroll)
	Status2FACannotBeEnabled = 2 // never answered by mfad: every user may turn 2FA on
	Status2FACanBeDisabled   = 3 // enabled and optional
	Status2FANotRequired     = 4 // enabled, but not asked for on this connection (remote-only policy, local client)
)

// Config::ENABLE_TWO_FACTOR_AUTHENTICATION values.
const (
	PolicyAlwaysOff  = 0 // ALWAYS_OFF_2FA: auth.PolicyOff
	PolicyAlwaysOn   = 1 // ALWAYS_ON_2FA: auth.PolicyAll (auth.PolicyAdmins reads as 1 too)
	PolicyRemoteOnly = 2 // REMOTE_2FA: auth.PolicyRemote
)

// noScratch is TwinCAT's enrollment profile: no scratch codes (the length
// and alphabet only make the form valid).
var noScratch = mfad.ScratchForm{Count: 0, Length: 8, Alphabet: mfad.Digits}

type handler func(s *Session, ctx context.Context, writeValue json.RawMessage) (any, error)

var symbols = map[string]handler{
	SymLogin:          (*Session).login,
	SymLogout:         (*Session).logout,
	SymEnable2FA:      (*Session).enable2FA,
	SymDisable2FA:     (*Session).disable2FA,
	SymGet2FAStatus:   (*Session).status,
	SymChangePassword: (*Session).changePassword,
	SymReset2FA:       (*Session).reset2FA,
	SymConfig2FA:      (*Session).config2FA,
}

// Symbols lists the symbols mfad serves, sorted.
func Symbols() []string {
	out := make([]string, 0, len(symbols))
	for s := range symbols {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// Session is one TcHmi connection: the client it comes from and the mfad
// session it logged in with. A connection belongs to that session: Logout
// ends it, and every command authenticates its access token again, so a
// session that expired or was revoked elsewhere ends on this connection at
// its next command. A Session runs one frame at a time; it is not safe for
// concurrent use.
type Session struct {
	svc    *auth.Service
	client auth.Client
	tokens *auth.Tokens
}

// NewSession returns the state of a new connection from client.
func NewSession(svc *auth.Service, client auth.Client) *Session {
	return &Session{svc: svc, client: client}
}

// LoggedIn reports whether the connection holds a session. It may have been
// revoked elsewhere since; the next command finds out.
func (s *Session) LoggedIn() bool { return s.tokens != nil }

// Handle runs one request frame and returns the answer frame. It never
// fails: a frame that cannot be run gets an answer with a top-level error.
func (s *Session) Handle(ctx context.Context, frame []byte) []byte {
	req, err := DecodeRequest(frame)
	if err == nil {
		err = s.bind(ctx, req.SessionID)
	}
	if err != nil {
		return encode(ErrorFrame{RequestType: req.RequestType, ID: req.ID, Error: ErrorOf(err, true)})
	}
	resp := Response{RequestType: req.RequestType, ID: req.ID, CustomerData: req.CustomerData,
		Commands: make([]Result, 0, len(req.Commands))}
	for i := range req.Commands {
		resp.Commands = append(resp.Commands, s.run(ctx, &req.Commands[i]))
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
	s.tokens = &auth.Tokens{SessionID: a.SessionID, UserID: a.UserID, Access: sessionID, Scope: a.Scope}
	return nil
}

func (s *Session) run(ctx context.Context, c *Command) Result {
	r := Result{Symbol: c.Symbol, CustomerData: c.CustomerData}
	if c.has(OptSendWriteValue) {
		r.WriteValue = maskValue(c.WriteValue)
	}
	var v any
	var err error
	if h, ok := symbols[c.Symbol]; ok {
		v, err = h(s, ctx, c.WriteValue)
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

// Login {userName, password, twoFactorToken?} answers the session id (the
// session's access token). With 2FA on and no twoFactorToken it answers
// TWO_FACTOR_TOKEN_REQUIRED, so that the client asks for the code and sends
// Login again. Unless persistPreviousSession is true, a session the
// connection held before is logged out.
func (s *Session) login(ctx context.Context, wv json.RawMessage) (any, error) {
	var in struct {
		UserName               *string `json:"userName"`
		Password               *string `json:"password"`
		TwoFactorToken         *string `json:"twoFactorToken"`
		Persistent             bool    `json:"persistent"`
		PersistPreviousSession bool    `json:"persistPreviousSession"`
		MaintenanceMode        bool    `json:"maintenanceMode"`
	}
	if err := decodeValue(wv, &in); err != nil {
		return nil, err
	}
	if err := required(field{"userName", in.UserName}, field{"password", in.Password}); err != nil {
		return nil, err
	}
	res, err := s.svc.Login(ctx, s.client, auth.LoginRequest{Login: *in.UserName, Password: *in.Password, Code: str(in.TwoFactorToken)})
	if err != nil {
		return nil, err
	}
	if res.Tokens == nil {
		return nil, mfad.Errorf(mfad.EStepUp, "two-factor authentication is on: send Login again with twoFactorToken")
	}
	prev := s.tokens
	s.tokens = res.Tokens
	if prev != nil && !in.PersistPreviousSession {
		if a, err := s.svc.Authenticate(ctx, s.client, prev.Access); err == nil {
			if err := s.svc.Logout(ctx, a); err != nil {
				slog.Warn("tchmi: ending the previous session", "err", err)
			}
		}
	}
	return res.Tokens.Access, nil
}

// Logout ends the connection's session.
func (s *Session) logout(ctx context.Context, _ json.RawMessage) (any, error) {
	a, err := s.actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.svc.Logout(ctx, a); err != nil {
		return nil, err
	}
	s.tokens = nil
	return nil, nil
}

// Enable2FA {password, secret, twoFactorToken} turns 2FA on with the
// client's own secret: the core prepares it (refusing if 2FA is on already)
// and confirms it with the password and a current code at once.
func (s *Session) enable2FA(ctx context.Context, wv json.RawMessage) (any, error) {
	var in struct {
		Password       *string `json:"password"`
		Secret         *string `json:"secret"`
		TwoFactorToken *string `json:"twoFactorToken"`
	}
	if err := decodeValue(wv, &in); err != nil {
		return nil, err
	}
	if err := required(field{"password", in.Password}, field{"secret", in.Secret}, field{"twoFactorToken", in.TwoFactorToken}); err != nil {
		return nil, err
	}
	if *in.Secret == "" {
		// The core would make a secret; TwinCAT's client brings its own.
		return nil, mfad.Errorf(mfad.EInvalidInput, "writeValue field \"secret\" must not be empty")
	}
	a, err := s.actor(ctx)
	if err != nil {
		return nil, err
	}
	form := noScratch
	_, err = s.svc.EnableWithSecret(ctx, a, auth.EnableRequest{UserID: a.UserID, Secret: *in.Secret, Code: *in.TwoFactorToken,
		Password: *in.Password, RequirePassword: true, Scratch: &form})
	if err != nil {
		return nil, err
	}
	return true, nil
}

// Disable2FA {password, twoFactorToken} turns 2FA off.
func (s *Session) disable2FA(ctx context.Context, wv json.RawMessage) (any, error) {
	var in struct {
		Password       *string `json:"password"`
		TwoFactorToken *string `json:"twoFactorToken"`
	}
	if err := decodeValue(wv, &in); err != nil {
		return nil, err
	}
	if err := required(field{"password", in.Password}, field{"twoFactorToken", in.TwoFactorToken}); err != nil {
		return nil, err
	}
	a, err := s.actor(ctx)
	if err != nil {
		return nil, err
	}
	err = s.svc.Disable(ctx, a, auth.DisableRequest{UserID: a.UserID, Password: *in.Password, RequirePassword: true, Code: *in.TwoFactorToken})
	if err != nil {
		return nil, err
	}
	return true, nil
}

// Get2FAStatus answers 0..4 for the connection's user, or for the user a
// string writeValue names (the core lets only admins see others).
func (s *Session) status(ctx context.Context, wv json.RawMessage) (any, error) {
	var name string
	if !isNull(wv) {
		if err := json.Unmarshal(wv, &name); err != nil {
			return nil, mfad.Errorf(mfad.EInvalidInput, "writeValue must be a user name")
		}
	}
	a, err := s.actor(ctx)
	if err != nil {
		return nil, err
	}
	userID := a.UserID
	if name != "" {
		u, err := s.svc.LookupUser(ctx, a, name)
		if err != nil {
			return nil, err
		}
		userID = u.ID
	}
	st, err := s.svc.Status(ctx, a, userID)
	if err != nil {
		return nil, err
	}
	return statusValue(st), nil
}

// statusValue maps the core's status, judged for this connection's
// client, to TcHmi's enumeration.
func statusValue(st *auth.Status) int {
	switch {
	case !st.Enabled:
		return Status2FACanBeEnabled
	case !st.Asked:
		return Status2FANotRequired
	case st.Required:
		return Status2FAEnabled
	}
	return Status2FACanBeDisabled
}

// ChangePassword {currentPassword, newPassword, twoFactorToken} changes the
// connection's user's password; with 2FA on the core wants the code (or a
// second factor proven on this session in the last minutes).
func (s *Session) changePassword(ctx context.Context, wv json.RawMessage) (any, error) {
	var in struct {
		CurrentPassword *string `json:"currentPassword"`
		NewPassword     *string `json:"newPassword"`
		TwoFactorToken  *string `json:"twoFactorToken"`
	}
	if err := decodeValue(wv, &in); err != nil {
		return nil, err
	}
	if err := required(field{"currentPassword", in.CurrentPassword}, field{"newPassword", in.NewPassword}); err != nil {
		return nil, err
	}
	a, err := s.actor(ctx)
	if err != nil {
		return nil, err
	}
	err = s.svc.ChangePassword(ctx, a, auth.PasswordChange{UserID: a.UserID, Current: *in.CurrentPassword,
		New: *in.NewPassword, Code: str(in.TwoFactorToken)})
	return nil, err
}

// Reset2FA "user" removes that user's 2FA (the core allows admins only).
func (s *Session) reset2FA(ctx context.Context, wv json.RawMessage) (any, error) {
	var name string
	if isNull(wv) || json.Unmarshal(wv, &name) != nil || name == "" {
		return nil, mfad.Errorf(mfad.EInvalidInput, "writeValue must be the user name")
	}
	a, err := s.actor(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.svc.LookupUser(ctx, a, name)
	if err != nil {
		return nil, err
	}
	if err := s.svc.Reset(ctx, a, u.ID); err != nil {
		return nil, err
	}
	return true, nil
}

// policies maps the values of Config::ENABLE_TWO_FACTOR_AUTHENTICATION to
// the core's policy.
var policies = map[string]auth.Policy{
	"0": auth.PolicyOff,
	"1": auth.PolicyAll,
	"2": auth.PolicyRemote,
}

// policyValue is the config value of a policy. The core's "admins" policy
// has no TwinCAT value and reads as 1: a client that writes back what it
// read must never weaken the policy.
func policyValue(p auth.Policy) int {
	switch p {
	case auth.PolicyOff:
		return PolicyAlwaysOff
	case auth.PolicyRemote:
		return PolicyRemoteOnly
	}
	return PolicyAlwaysOn
}

// Config::ENABLE_TWO_FACTOR_AUTHENTICATION reads the policy or, with a
// writeValue, sets it (the core allows admins only) and reads it back.
func (s *Session) config2FA(ctx context.Context, wv json.RawMessage) (any, error) {
	a, err := s.actor(ctx)
	if err != nil {
		return nil, err
	}
	if !isNull(wv) {
		p, ok := policies[string(bytes.TrimSpace(wv))]
		if !ok {
			return nil, mfad.Errorf(mfad.EInvalidInput, "writeValue must be 0 (off), 1 (always) or 2 (remote connections only)")
		}
		if err := s.svc.SetPolicy(ctx, a, p); err != nil {
			return nil, err
		}
	}
	p, err := s.svc.Policy(ctx, a)
	if err != nil {
		return nil, err
	}
	return policyValue(p), nil
}
