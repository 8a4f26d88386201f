package auth

import (
	"context"
	"errors"
	"time"

	"github.com/mfad/mfad"
)

// LoginRequest is a first-factor login, optionally with the second factor in
// the same request (TwinCAT, Zimbra) or a trusted-device token.
type LoginRequest struct {
	Login        string // name or email
	Password     string
	Code         string // optional: TOTP or scratch code
	TrustedToken string // optional: skips the code on a trusted device
	// Persistent asks for a login meant to outlast the browser: in a
	// dialect whose sessions idle out (Profile.IdleSessions), its idle
	// timeout is Config.PersistentIdleTTL.
	Persistent bool
	// Replace is the access token of a session this login replaces: when
	// the login answers with a session, that one ends in the same
	// transaction (TwinCAT's Login on a connection that holds a session,
	// without persistPreviousSession). Empty: none.
	Replace string
	// TrustDevice, with Code, trusts this device once the code is proven,
	// in the login's transaction (Zimbra's deviceTrusted="1" with the
	// password and the code in one AuthRequest). DeviceName names it.
	TrustDevice bool
	DeviceName  string
	// Preauth, when set, stands in for the password (Zimbra's preauth):
	// the rest of the login is the same, the second factor included.
	Preauth *Preauth
	// AdminOnly is an administrators' console's login (Zimbra's admin
	// AuthRequest): once the password is proven, anyone but an
	// administrator is refused with EForbidden, before any ticket or
	// session is made. The second factor is asked as for any login.
	AdminOnly bool
	// noEnroll: answer SetupRequired without an enroll-only session (the
	// profile's NoEnrollSession, and every preauth login).
	noEnroll bool
}

// LoginResult is one of: Tokens (logged in; Scope enroll when SetupRequired),
// Ticket (the second factor is required), or SetupRequired alone (with
// Profile.NoEnrollSession).
type LoginResult struct {
	User          *UserInfo // as the login leaves them (never the password hash)
	Tokens        *Tokens
	SetupRequired bool
	Ticket        string
	TicketExpires time.Time
	Trusted       *TrustedToken // set when a device was trusted at this login
}

// TrustedToken lets a device skip the second factor until Expires.
type TrustedToken struct {
	Token    string
	DeviceID string
	Expires  time.Time
}

var errInvalidLogin = mfad.Errorf(mfad.EInvalidLogin, "invalid name or password")

// checkPassword verifies login and password with the throttles of docs/architecture.md §2
// (see throttle.go): the attempt is counted before any hash is queued, an
// unknown user costs a dummy hash, and unknown user and wrong password get
// one answer.
func (s *Service) checkPassword(ctx context.Context, c Client, login, password string) (*mfad.User, error) {
	u, pending, err := s.checkPasswordFrom(ctx, c, login, password, "")
	if err != nil {
		return nil, err
	}
	return u, pending.afterError(ctx, c, s.update(ctx, pending.settle))
}

// settlement is what a correct password still owes its throttles: the
// caller settles it in the transaction that acts on the password. The
// client's address becomes one the user has logged in from.
type settlement struct {
	s    *Service
	user int64
	addr string
	keys []string
}

func (p settlement) settle(tx mfad.Tx) error {
	if err := p.s.settle(tx, true, p.keys...); err != nil {
		return err
	}
	return tx.RememberAddress(p.user, p.s.addrHash(p.addr), p.s.Now().Add(knownAddressTTL))
}

// afterError answers err, the end of a login whose password was right:
// an error of the server (internal, the database unavailable) is neither
// a failed attempt nor a success, so the attempt's reservation is taken
// back, per account and per address, and the attempt audited as an error
// (best effort: the database may still be away). Any other error passes.
func (p settlement) afterError(ctx context.Context, c Client, err error) error {
	if p.s == nil || (mfad.ErrorCode(err) != mfad.EInternal && mfad.ErrorCode(err) != mfad.EUnavailable) {
		return err
	}
	release := func(ctx context.Context) error {
		return p.s.update(ctx, func(tx mfad.Tx) error {
			if err := p.s.settle(tx, false, p.keys...); err != nil {
				return err
			}
			a := Anonymous(c)
			a.userID = p.user
			return p.s.audit(tx, a, p.user, "login", "error", "a server error ended the login")
		})
	}
	if release(context.WithoutCancel(ctx)) != nil {
		// The database is away: take the reservation back once it is
		// here again, or the logins in flight at an outage would stay
		// counted against their address after it.
		go retryRelease(release)
	}
	return err
}

// retryRelease runs release once a second until it works, for at most
// pendingTTL (after which the reservation no longer counts as in flight).
func retryRelease(release func(context.Context) error) {
	for end := time.Now().Add(pendingTTL); time.Now().Before(end); {
		time.Sleep(time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := release(ctx)
		cancel()
		if err == nil {
			return
		}
	}
}

// reserveAttempt finds the user login names (nil if none: an unknown name
// is throttled all the same) and counts the attempt on its throttles in tx,
// before anything is judged; it returns the keys to settle.
func (s *Service) reserveAttempt(tx mfad.Tx, login, addr, device string) (*mfad.User, []string, error) {
	u, err := tx.UserByLogin(login)
	if errors.Is(err, mfad.ErrNoRows) {
		u, err = nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	keys, err := s.reserveLogin(tx, u, login, addr, device)
	return u, keys, err
}

// checkPasswordFrom is checkPassword with the trusted-device token the
// client holds, if any: like an address the user logged in from before, it
// keeps her correct password from being refused for failures elsewhere.
// The attempt stays counted until the caller settles it.
func (s *Service) checkPasswordFrom(ctx context.Context, c Client, login, password, device string) (*mfad.User, settlement, error) {
	if login == "" || password == "" {
		return nil, settlement{}, errInvalidLogin
	}
	var u *mfad.User
	var keys []string
	err := s.update(ctx, func(tx mfad.Tx) (err error) {
		u, keys, err = s.reserveAttempt(tx, login, c.Addr, device)
		return err
	})
	if err != nil {
		return nil, settlement{}, err
	}
	phc := ""
	if u != nil {
		phc = u.PasswordHash
	}
	ok, err := s.hasher.Verify(ctx, phc, password)
	if err != nil {
		// Not judged (shed or cancelled): take the count back.
		_ = s.update(context.WithoutCancel(ctx), func(tx mfad.Tx) error { return s.settle(tx, false, keys...) })
		return nil, settlement{}, s.internal(ctx, err)
	}
	if ok {
		return u, settlement{s: s, user: u.ID, addr: c.Addr, keys: keys}, nil
	}
	err = s.update(ctx, func(tx mfad.Tx) error {
		var uid int64
		if u != nil {
			uid = u.ID
		}
		if err := s.judge(tx, keys...); err != nil {
			return err
		}
		return s.audit(tx, Anonymous(c), uid, "login.password", string(mfad.EInvalidLogin), "")
	})
	if err != nil {
		return nil, settlement{}, err
	}
	return nil, settlement{}, errInvalidLogin
}

// reserveLogin counts a login attempt on its account and address keys
// before it is judged (see reserve) and returns the keys to settle.
func (s *Service) reserveLogin(tx mfad.Tx, u *mfad.User, login, addr, device string) ([]string, error) {
	account, err := s.loginKey(tx, u, login, addr, device)
	if err != nil {
		return nil, err
	}
	keys := []string{account, s.addressKey(addr)}
	if u != nil && account != userKey(u.ID) {
		keys = append(keys, userKey(u.ID)) // counted, but refuses only clients she never used
		return keys, s.reserve(tx, keys[2], keys[:2]...)
	}
	return keys, s.reserve(tx, "", keys...)
}

// loginKey is the account throttle key of a login attempt. A client the
// user has logged in from before (by its address, or by a trusted-device
// token of hers) has a key of its own, so that failures from elsewhere do
// not refuse her correct password.
func (s *Service) loginKey(tx mfad.Tx, u *mfad.User, login, addr, device string) (string, error) {
	if u == nil {
		return s.accountKey(nil, login, addr, false), nil
	}
	if device != "" {
		d, err := tx.TrustedDeviceByHash(hashToken(device))
		if err == nil && d.UserID == u.ID && d.ExpiresAt.After(s.Now()) {
			return userKey(u.ID) + ":dev:" + d.DeviceID, nil
		}
		if err != nil && !errors.Is(err, mfad.ErrNoRows) {
			return "", err
		}
	}
	known, err := tx.KnownAddress(u.ID, s.addrHash(addr), s.Now())
	if err != nil {
		return "", err
	}
	return s.accountKey(u, login, addr, known), nil
}

// Login checks a password and answers with a session, a ticket for the
// second factor, or an enroll-only session when policy requires 2FA that
// the user lacks.
func (s *Service) Login(ctx context.Context, c Client, req LoginRequest) (*LoginResult, error) {
	adminOnly := req.AdminOnly
	req.noEnroll = s.profileOf(c.Dialect).NoEnrollSession
	var u *mfad.User
	var pending settlement
	var err error
	if req.Preauth != nil {
		if adminOnly { // as Zimbra's admin namespace: a domain's key is no admin's proof
			return nil, mfad.Errorf(mfad.EForbidden, "preauth is not accepted for administrators' logins")
		}
		// A preauth session never has an enroll-only stage: confirming
		// would promote it to a full one.
		req.noEnroll = true
		u, pending, err = s.checkPreauth(ctx, c, req.Login, req.Preauth)
	} else {
		u, pending, err = s.checkPasswordFrom(ctx, c, req.Login, req.Password, req.TrustedToken)
	}
	if err != nil {
		return nil, err
	}
	noteUser(ctx, u.ID)
	var res *LoginResult
	err = s.update(ctx, func(tx mfad.Tx) error {
		if err := pending.settle(tx); err != nil {
			return err
		}
		if adminOnly && u.Role != mfad.RoleAdmin {
			return s.refuseAdminLogin(tx, c, u.ID)
		}
		res, err = s.afterPassword(tx, c, u, req)
		if err != nil || res.Tokens == nil || req.Replace == "" {
			return err
		}
		return s.endSession(tx, c, req.Replace)
	})
	return res, pending.afterError(ctx, c, err)
}

// fullScope is the scope of a session a login hands out once every factor
// it asks for is proven: ScopeUser for a preauth login, since a domain's
// preauth key vouches for a user, never for an administrator's rights.
func (req LoginRequest) fullScope() mfad.Scope {
	if req.Preauth != nil {
		return mfad.ScopeUser
	}
	return mfad.ScopeFull
}

// loginDetail is the detail of a login's audit event: how the first
// factor was proven, when not by a password.
func loginDetail(req LoginRequest, detail string) string {
	if req.Preauth != nil {
		return "preauth"
	}
	return detail
}

func (s *Service) afterPassword(tx mfad.Tx, c Client, u *mfad.User, req LoginRequest) (*LoginResult, error) {
	a := Anonymous(c)
	a.userID = u.ID
	p, err := s.policy(tx)
	if err != nil {
		return nil, err
	}
	f, err := tx.Factor(u.ID)
	if err != nil && !errors.Is(err, mfad.ErrNoRows) {
		return nil, err
	}
	res := &LoginResult{}
	switch {
	case f != nil && p.asks(c):
		res, err := s.secondStep(tx, a, u, f, req, res)
		if res != nil { // as the login leaves them: a code accepted clears the failures
			res.User = new(info(u, true))
		}
		return res, err
	case f == nil && p.requires(u, c) && req.noEnroll:
		res.SetupRequired = true
		return res, s.audit(tx, a, u.ID, "login", "setup_required", "")
	case f == nil && p.requires(u, c):
		res.SetupRequired = true
		res.Tokens, err = s.newSession(tx, c, u, mfad.ScopeEnroll, false, s.idleFor(c, req.Persistent), false)
	default:
		res.Tokens, err = s.newSession(tx, c, u, req.fullScope(), false, s.idleFor(c, req.Persistent), f != nil)
	}
	if err != nil {
		return nil, err
	}
	res.User = new(info(u, f != nil))
	return res, s.audit(tx, a, u.ID, "login", "ok", loginDetail(req, string(res.Tokens.Scope)))
}

// secondStep finishes a login of a user whose second factor is asked for.
func (s *Service) secondStep(tx mfad.Tx, a Actor, u *mfad.User, f *mfad.Factor, req LoginRequest, res *LoginResult) (*LoginResult, error) {
	var err error
	// A code, when given, is checked even on a trusted device: the session
	// then counts as having proven its second factor (sensitive actions).
	trusted := req.TrustedToken != "" && s.trustedDevice(tx, u.ID, req.TrustedToken)
	switch {
	case req.Code != "":
		if _, err := s.verifyFactor(tx, a, u, f, req.Code, "login.2fa"); err != nil {
			return nil, err
		}
		if res.Tokens, err = s.newSession(tx, a.client, u, req.fullScope(), true, s.idleFor(a.client, req.Persistent), true); err == nil && req.TrustDevice && !trusted {
			res.Trusted, err = s.trustDevice(tx, a, u.ID, req.DeviceName)
		}
	case trusted:
		res.Tokens, err = s.newSession(tx, a.client, u, req.fullScope(), false, s.idleFor(a.client, req.Persistent), true)
		if err == nil {
			err = s.audit(tx, a, u.ID, "login", "ok", loginDetail(req, "trusted device"))
		}
	default:
		now := s.Now()
		token, hash := newToken()
		ttl := s.profileOf(a.client.Dialect).TicketTTL
		t := &mfad.Ticket{Hash: hash, UserID: u.ID, Dialect: a.client.Dialect, RemoteAddr: a.client.Addr, CreatedAt: now, ExpiresAt: now.Add(ttl), Scope: req.fullScope()}
		if err = tx.CreateTicket(t); err == nil {
			res.Ticket, res.TicketExpires = token, t.ExpiresAt
			action := "login.password"
			if req.Preauth != nil {
				action = "login.preauth"
			}
			err = s.audit(tx, a, u.ID, action, "ok", "second factor required")
		}
	}
	return res, err
}

// TicketRequest is the second step of a login.
type TicketRequest struct {
	Ticket      string
	Code        string
	TrustDevice bool   // register this device as trusted (Zimbra deviceTrusted)
	DeviceName  string // shown in the list of trusted devices
	// AdminOnly is the second step of an administrators' login: the ticket
	// of a user who is not an administrator (one made by another front's
	// login, or a preauth login's) is refused with EForbidden and left as
	// it was.
	AdminOnly bool
}

// CompleteLogin exchanges a login ticket and a second factor for a session.
// A wrong code leaves the ticket usable until it has failed 5 times.
func (s *Service) CompleteLogin(ctx context.Context, c Client, req TicketRequest) (*LoginResult, error) {
	adminOnly := req.AdminOnly
	if req.Ticket == "" {
		return nil, mfad.Errorf(mfad.ENotFound, "login ticket not found")
	}
	var res *LoginResult
	err := s.update(ctx, func(tx mfad.Tx) error {
		// The ticket, its user and their factor in one read, the ticket
		// locked (issue 17); without a factor, the ticket alone tells why.
		t, u, f, err := tx.TicketForVerify(hashToken(req.Ticket))
		if errors.Is(err, mfad.ErrNoRows) {
			t, err = tx.TicketByHash(hashToken(req.Ticket))
			u, f = nil, nil
		}
		if errors.Is(err, mfad.ErrNoRows) {
			return mfad.Errorf(mfad.ENotFound, "login ticket not found")
		}
		if err != nil {
			return err
		}
		if !t.ExpiresAt.After(s.Now()) {
			return mfad.Errorf(mfad.EExpired, "login ticket expired; log in again")
		}
		if adminOnly {
			if err := s.adminTicket(tx, c, t); err != nil {
				return err
			}
		}
		if u == nil { // the user has no factor (any more)
			if u, err = tx.UserByID(t.UserID); err != nil {
				return err
			}
			if f, err = loadFactor(tx, u.ID); err != nil {
				return err
			}
		}
		res, err = s.redeemTicket(tx, c, t, u, f, req)
		return err
	})
	if mfad.ErrorCode(err) == mfad.EExpired {
		s.emit("verify", "expired") // rolled back: nothing to commit first
	}
	return res, err
}

func (s *Service) redeemTicket(tx mfad.Tx, c Client, t *mfad.Ticket, u *mfad.User, f *mfad.Factor, req TicketRequest) (*LoginResult, error) {
	a := Anonymous(c)
	a.userID = u.ID
	if lerr := lockError(u, s.Now()); lerr != nil {
		return nil, s.lockedAttempt(tx, a, u, "login.2fa", lerr)
	}
	if _, verr := s.verifyFactor(tx, a, u, f, req.Code, "login.2fa"); verr != nil {
		var kept committed
		if !errors.As(verr, &kept) {
			return nil, verr
		}
		n, err := tx.AddTicketFailure(t.ID)
		if err != nil {
			return nil, err
		}
		if n >= ticketFailures {
			if err := tx.DeleteTicket(t.ID); err != nil {
				return nil, err
			}
		}
		return nil, verr
	}
	if err := tx.DeleteTicket(t.ID); err != nil {
		return nil, err
	}
	res := &LoginResult{}
	var err error
	scope := t.Scope
	if scope == "" {
		scope = mfad.ScopeFull
	}
	if res.Tokens, err = s.newSession(tx, c, u, scope, true, s.idleFor(c, false), true); err != nil {
		return nil, err
	}
	res.User = new(info(u, true))
	if req.TrustDevice {
		if res.Trusted, err = s.trustDevice(tx, a, u.ID, req.DeviceName); err != nil {
			return nil, err
		}
	}
	return res, nil
}
