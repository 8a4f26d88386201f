package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/mfad/mfad"
)

// Tokens are a session's credentials as the client sees them, once.
type Tokens struct {
	SessionID      int64
	UserID         int64
	Access         string
	Refresh        string
	AccessExpires  time.Time
	RefreshExpires time.Time
	Scope          mfad.Scope
	User           UserInfo // whose session it is, as it stands now
	actor          Actor    // the session's actor, where the call knows it (Refresh)
}

// Actor is the actor of the session t holds, as Authenticate would give
// it for the new access token, for a front that refreshes and acts in one
// request (the web page); the zero Actor where the call did not make it.
func (t *Tokens) Actor() Actor { return t.actor }

// newSession creates a session in tx. secondFactor says whether it was made
// with a proven second factor just now. A session with an idle timeout
// lives that long from each use, and not a moment longer: its refresh
// token expires with it.
// mfa says whether the user has 2FA on, for the Tokens' user view: the
// caller knows, so the factor is not read again.
func (s *Service) newSession(tx mfad.Tx, c Client, u *mfad.User, scope mfad.Scope, secondFactor bool, idle time.Duration, mfa bool) (*Tokens, error) {
	now := s.Now()
	access, ah := newToken()
	refresh, rh := newToken()
	prof := s.profileOf(c.Dialect)
	sess := &mfad.Session{
		UserID: u.ID, AccessHash: ah, AccessExpires: now.Add(prof.AccessTTL),
		RefreshHash: rh, RefreshExpires: now.Add(prof.RefreshTTL),
		Scope: scope, Dialect: c.Dialect, RemoteAddr: c.Addr, CreatedAt: now, IdleTimeout: idle,
	}
	if idle > 0 {
		sess.AccessExpires = now.Add(idle)
		sess.RefreshExpires = sess.AccessExpires
	}
	end := now.Add(prof.MaxSessionAge)
	sess.AccessExpires, sess.RefreshExpires = capAt(sess.AccessExpires, end), capAt(sess.RefreshExpires, end)
	if secondFactor {
		sess.SecondFactorAt = now
	}
	if err := tx.CreateSession(sess); err != nil {
		return nil, err
	}
	return &Tokens{SessionID: sess.ID, UserID: u.ID, Access: access, Refresh: refresh,
		AccessExpires: sess.AccessExpires, RefreshExpires: sess.RefreshExpires, Scope: scope, User: info(u, mfa)}, nil
}

// sessionEnd is when sess ends whatever its use: its login plus the
// MaxSessionAge of the dialect that made it (issue 26), so that no use,
// renewal or refresh, through any front, keeps a session alive for ever.
func (s *Service) sessionEnd(sess *mfad.Session) time.Time {
	return sess.CreatedAt.Add(s.profileOf(sess.Dialect).MaxSessionAge)
}

// live reports whether sess's access token works at now: unexpired, and
// the session not past its end.
func (s *Service) live(sess *mfad.Session, now time.Time) bool {
	return sess.AccessExpires.After(now) && s.sessionEnd(sess).After(now)
}

// capAt returns t, or end if t is later.
func capAt(t, end time.Time) time.Time {
	if t.After(end) {
		return end
	}
	return t
}

// idleFor is the idle timeout of a session made for c: 0 (fixed
// lifetimes) unless its dialect's sessions idle out.
func (s *Service) idleFor(c Client, persistent bool) time.Duration {
	prof := s.profileOf(c.Dialect)
	switch {
	case !prof.IdleSessions:
		return 0
	case persistent:
		return s.cfg.PersistentIdleTTL
	}
	return prof.AccessTTL
}

// Authenticate turns an access token into the actor it belongs to. Using a
// session with an idle timeout extends it to a full idle timeout from now;
// the write happens at most once per tenth of the timeout, so a busy
// client does not write on every call (and the session lives at least
// nine tenths of the timeout after its last use).
func (s *Service) Authenticate(ctx context.Context, c Client, accessToken string) (Actor, error) {
	if accessToken == "" {
		return Actor{}, mfad.Errorf(mfad.EUnauthenticated, "authentication required")
	}
	var a Actor
	var sess *mfad.Session
	now := s.Now()
	err := s.view(ctx, func(tx mfad.Tx) error {
		var err error
		sess, err = tx.SessionByAccess(hashToken(accessToken))
		if errors.Is(err, mfad.ErrNoRows) || (err == nil && !s.live(sess, now)) {
			return mfad.Errorf(mfad.EUnauthenticated, "invalid or expired token")
		}
		if err != nil {
			return err
		}
		u, err := tx.UserByID(sess.UserID)
		if err != nil {
			return err
		}
		a = actorOf(c, sess, u)
		return nil
	})
	noteUser(ctx, a.userID)
	if err != nil || sess.IdleTimeout <= 0 {
		return a, err
	}
	if until := capAt(now.Add(sess.IdleTimeout), s.sessionEnd(sess)); until.Sub(sess.AccessExpires) >= sess.IdleTimeout/10 {
		err = s.update(ctx, func(tx mfad.Tx) error { return tx.ExtendSession(sess.ID, until) })
	}
	return a, err
}

// actorOf is the actor of a session.
// A ScopeUser session acts as a user whatever the user's role.
func actorOf(c Client, sess *mfad.Session, u *mfad.User) Actor {
	role := u.Role
	if sess.Scope == mfad.ScopeUser {
		role = mfad.RoleUser
	}
	return Actor{client: c, userID: u.ID, name: u.Name, role: role, sessionID: sess.ID, scope: sess.Scope, secondFactorAt: sess.SecondFactorAt}
}

// RenewSession validates an access token and renews it, for clients that
// check their token at start-up by logging in with it (Zimbra's AuthRequest
// with an authToken). The token stays the same and lives again the access
// token lifetime of the client's dialect, but never past the end of its
// session (the refresh token's expiry), so renewing cannot keep a stolen
// token alive for ever. Only a session made through the same dialect is
// extended: renewing rotates the session's refresh token, which such a
// session never handed out; a session of another dialect, whose client may
// hold its refresh token, is validated and answered as it is. A login
// ticket (the temporary token of a login awaiting its second factor) is
// EInvalidLogin; anything else EUnauthenticated. A non-empty login (name
// or email) must name the session's user, else EUnauthenticated.
//
// One caller (Zimbra's AuthRequest with an authToken): renewal that keeps the token, which other products do by refresh.
func (s *Service) RenewSession(ctx context.Context, c Client, accessToken, login string) (*Tokens, error) {
	if accessToken == "" {
		return nil, mfad.Errorf(mfad.EUnauthenticated, "authentication required")
	}
	var t *Tokens
	err := s.update(ctx, func(tx mfad.Tx) error {
		now := s.Now()
		sess, err := tx.SessionByAccess(hashToken(accessToken))
		if errors.Is(err, mfad.ErrNoRows) {
			return s.notASession(tx, accessToken, now)
		}
		if err != nil {
			return err
		}
		if !s.live(sess, now) {
			return mfad.Errorf(mfad.EUnauthenticated, "invalid or expired token")
		}
		if login != "" {
			u, err := tx.UserByID(sess.UserID)
			if err != nil {
				return err
			}
			if f := mfad.Fold(login); f != mfad.Fold(u.Name) && f != mfad.Fold(u.Email) {
				return mfad.Errorf(mfad.EUnauthenticated, "the token does not belong to the named account")
			}
		}
		if sess.Dialect == c.Dialect {
			_, rh := newToken()
			next := &mfad.Session{AccessHash: sess.AccessHash, AccessExpires: capAt(now.Add(s.accessTTL(c)), s.sessionEnd(sess)),
				RefreshHash: rh, RefreshExpires: sess.RefreshExpires}
			if next.AccessExpires.After(next.RefreshExpires) {
				next.AccessExpires = next.RefreshExpires
			}
			if next.AccessExpires.After(sess.AccessExpires) {
				sess, err = tx.RotateRefresh(sess.RefreshHash, now, next, nil)
				if errors.Is(err, mfad.ErrNoRows) || errors.Is(err, mfad.ErrReused) {
					return mfad.Errorf(mfad.EUnauthenticated, "invalid or expired token")
				}
				if err != nil {
					return err
				}
			}
		}
		t = &Tokens{SessionID: sess.ID, UserID: sess.UserID, Access: accessToken,
			AccessExpires: sess.AccessExpires, RefreshExpires: sess.RefreshExpires, Scope: sess.Scope}
		a := Anonymous(c)
		a.userID = sess.UserID
		return s.audit(tx, a, sess.UserID, "session.renew", "ok", "")
	})
	return t, err
}

// notASession tells a live login ticket (EInvalidLogin: its second factor
// is missing) from an unknown token (EUnauthenticated).
func (s *Service) notASession(tx mfad.Tx, token string, now time.Time) error {
	t, err := tx.TicketByHash(hashToken(token))
	switch {
	case errors.Is(err, mfad.ErrNoRows):
		return mfad.Errorf(mfad.EUnauthenticated, "invalid or expired token")
	case err != nil:
		return err
	case !t.ExpiresAt.After(now):
		return mfad.Errorf(mfad.EUnauthenticated, "invalid or expired token")
	}
	return mfad.Errorf(mfad.EInvalidLogin, "no two-factor code provided")
}

// Refresh rotates a session's tokens. A refresh token works once, except
// that within the reuse interval after its rotation (Config.RefreshReuse)
// it gets the pair that rotation made, the same for every such request:
// clients refresh from parallel requests, and each must come away with a
// pair that works. Presented again after the interval, it revokes its
// whole session, since one of its holders is a thief.
func (s *Service) Refresh(ctx context.Context, c Client, refreshToken string) (*Tokens, error) {
	if refreshToken == "" {
		return nil, mfad.Errorf(mfad.EUnauthenticated, "refresh token required")
	}
	var t *Tokens
	err := s.update(ctx, func(tx mfad.Tx) error {
		now := s.Now()
		sess, p, err := s.rotate(tx, c, refreshToken, now)
		if err != nil {
			return err
		}
		// Past its end, no refresh brings a session back (the rotation
		// rolls back); before it, the pair lives no longer than the end.
		end := s.sessionEnd(sess)
		if !end.After(now) {
			return mfad.Errorf(mfad.EUnauthenticated, "the session has reached its maximum age; log in again")
		}
		sess.AccessExpires, sess.RefreshExpires = capAt(sess.AccessExpires, end), capAt(sess.RefreshExpires, end)
		u, err := tx.UserByID(sess.UserID)
		if err != nil {
			return err
		}
		ui, err := s.userInfo(tx, u)
		t = &Tokens{SessionID: sess.ID, UserID: sess.UserID, Access: p.access, Refresh: p.refresh,
			AccessExpires: sess.AccessExpires, RefreshExpires: sess.RefreshExpires, Scope: sess.Scope, User: ui,
			actor: actorOf(c, sess, u)}
		return err
	})
	return t, err
}

// pair is an access and a refresh token as the client gets them.
type pair struct{ access, refresh string }

// derive returns the pair that replaces the refresh token old, from a
// random 256-bit key kept with the used token. Only a holder of old and
// the key can compute it: the client holds old, the database the key.
func derive(key []byte, old string) pair {
	mac := func(label string) string {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(label))
		h.Write([]byte(old))
		return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
	}
	return pair{access: mac("access\x00"), refresh: mac("refresh\x00")}
}

// maxChain bounds how many rotations within the reuse interval a reused
// token may be followed through (see reused).
const maxChain = 8

// rotate replaces the tokens of the session holding refreshToken with a
// pair derived from it, or answers a token rotated before (reused).
func (s *Service) rotate(tx mfad.Tx, c Client, refreshToken string, now time.Time) (*mfad.Session, pair, error) {
	key, _ := newToken()
	p := derive([]byte(key), refreshToken)
	prof := s.profileOf(c.Dialect)
	next := &mfad.Session{AccessHash: hashToken(p.access), AccessExpires: now.Add(prof.AccessTTL),
		RefreshHash: hashToken(p.refresh), RefreshExpires: now.Add(prof.RefreshTTL)}
	sess, err := tx.RotateRefresh(hashToken(refreshToken), now, next, []byte(key))
	if errors.Is(err, mfad.ErrNoRows) {
		return s.reused(tx, c, refreshToken, now)
	}
	return sess, p, err
}

// reused answers a refresh token that is no longer current. Within the
// reuse interval after its rotation it gets the pair that rotation made,
// if that pair is still the session's; if the session rotated again since
// (a client that refreshed twice quickly), the chain is followed to the
// current pair. Otherwise, the session is revoked (kept, and audited).
func (s *Service) reused(tx mfad.Tx, c Client, token string, now time.Time) (*mfad.Session, pair, error) {
	invalid := mfad.Errorf(mfad.EUnauthenticated, "invalid or expired refresh token")
	for range maxChain {
		used, err := tx.UsedRefresh(hashToken(token), now)
		if errors.Is(err, mfad.ErrNoRows) {
			return nil, pair{}, invalid
		}
		if err != nil {
			return nil, pair{}, err
		}
		if len(used.Key) == 0 || used.Age > s.cfg.RefreshReuse {
			return nil, pair{}, s.revokeReused(tx, c, used.SessionID)
		}
		sess, err := tx.SessionByID(used.SessionID)
		if err != nil {
			return nil, pair{}, err
		}
		p := derive(used.Key, token)
		if !bytes.Equal(sess.RefreshHash, hashToken(p.refresh)) {
			token = p.refresh // rotated again since: follow
			continue
		}
		if !sess.RefreshExpires.After(now) {
			return nil, pair{}, invalid
		}
		// Answered, not revoked: leave a trace of it all the same (a
		// thief inside the interval looks like a parallel refresh).
		a := Anonymous(c)
		a.userID, a.sessionID = sess.UserID, sess.ID
		if err := s.audit(tx, a, sess.UserID, "session.refresh", "reused", fmt.Sprintf("a rotated refresh token %s after its rotation, within the reuse interval", used.Age.Round(time.Millisecond))); err != nil {
			return nil, pair{}, err
		}
		return sess, p, nil
	}
	return nil, pair{}, invalid
}

// revokeReused ends the session of a refresh token reused after its
// interval, and returns the error that commits the revocation.
func (s *Service) revokeReused(tx mfad.Tx, c Client, sessionID int64) error {
	sess, err := tx.SessionByID(sessionID)
	if err != nil {
		return err
	}
	if err := tx.DeleteSession(sessionID); err != nil {
		return err
	}
	a := Anonymous(c)
	a.userID = sess.UserID
	if err := s.audit(tx, a, a.userID, "session.refresh", "reused", ""); err != nil {
		return err
	}
	return keep(mfad.ErrReused)
}

// LogoutRequest names the session Logout ends: by its access token (a
// bearer token, a cookie, a TwinCAT session id) or, for clients that sign
// out with it alone (Cloudreve's web client), by its refresh token.
type LogoutRequest struct {
	Access  string
	Refresh string // used when Access is empty
}

// Logout ends the session req names, in one transaction: a front need not
// authenticate the token first and then log its actor out. An unknown or
// expired token is unauthenticated. A refresh token within its reuse
// interval ends its session too; one reused after it revokes its session,
// as in Refresh.
func (s *Service) Logout(ctx context.Context, c Client, req LogoutRequest) error {
	if req.Access == "" && req.Refresh == "" {
		return mfad.Errorf(mfad.EUnauthenticated, "authentication required")
	}
	return s.update(ctx, func(tx mfad.Tx) error {
		var sess *mfad.Session
		var err error
		if req.Access != "" {
			sess, err = tx.SessionByAccess(hashToken(req.Access))
			if errors.Is(err, mfad.ErrNoRows) || (err == nil && !s.live(sess, s.Now())) {
				return mfad.Errorf(mfad.EUnauthenticated, "invalid or expired token")
			}
		} else {
			sess, _, err = s.rotate(tx, c, req.Refresh, s.Now())
		}
		if err != nil {
			return err
		}
		if err := tx.DeleteSession(sess.ID); err != nil {
			return err
		}
		a := Anonymous(c)
		a.userID, a.sessionID = sess.UserID, sess.ID
		return s.audit(tx, a, sess.UserID, "logout", "ok", "")
	})
}

// endSession ends the session holding accessToken, if there is one, and
// audits it as a logout of its user.
func (s *Service) endSession(tx mfad.Tx, c Client, accessToken string) error {
	sess, err := tx.SessionByAccess(hashToken(accessToken))
	if errors.Is(err, mfad.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := tx.DeleteSession(sess.ID); err != nil && !errors.Is(err, mfad.ErrNoRows) {
		return err
	}
	a := Anonymous(c)
	a.userID, a.sessionID = sess.UserID, sess.ID
	return s.audit(tx, a, sess.UserID, "logout", "ok", "")
}

// revoke applies docs/architecture.md §2's "what revokes what" for the user in tx.
type revocation struct {
	sessions     bool
	keepSession  int64 // the current session survives, where the table says so
	tickets      bool
	devices      bool
	appPasswords bool
	enrollments  bool // a pending enrollment (prepared with a stolen session, say)
}

func revoke(tx mfad.Tx, userID int64, r revocation) error {
	if r.enrollments {
		if err := tx.DeleteEnrollment(userID); err != nil && !errors.Is(err, mfad.ErrNoRows) {
			return err
		}
	}
	if r.sessions {
		if err := tx.DeleteUserSessions(userID, r.keepSession); err != nil {
			return err
		}
	}
	if r.tickets {
		if err := tx.DeleteUserTickets(userID); err != nil {
			return err
		}
	}
	if r.devices {
		if err := tx.DeleteUserTrustedDevices(userID, ""); err != nil {
			return err
		}
	}
	if r.appPasswords {
		if err := tx.DeleteUserAppPasswords(userID); err != nil {
			return err
		}
	}
	return nil
}
