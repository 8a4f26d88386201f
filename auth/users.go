package auth

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mfad/mfad"
)

// NewUser is what CreateUser needs.
type NewUser struct {
	ID       int64 // optional: keep an id from the system mfad replaces
	Name     string
	Email    string
	Password string
	Role     mfad.Role
}

// UserInfo is a user as fronts show it: never the password hash.
type UserInfo struct {
	ID         int64
	Name       string
	Email      string
	Role       mfad.Role
	MFAEnabled bool
	Locked     bool
	CreatedAt  time.Time
}

func info(u *mfad.User, enabled bool) UserInfo {
	return UserInfo{ID: u.ID, Name: u.Name, Email: u.Email, Role: u.Role, MFAEnabled: enabled,
		Locked: u.MFAHardLocked || u.MFAFailures >= lockEvery, CreatedAt: u.CreatedAt}
}

func checkNames(name, email string) error {
	switch {
	case strings.TrimSpace(name) == "" || !utf8.ValidString(name) || len(name) > 200:
		return mfad.Errorf(mfad.EInvalidInput, "name must be 1 to 200 characters")
	case strings.ContainsAny(name, "\x00\r\n\t"):
		return mfad.Errorf(mfad.EInvalidInput, "name must not contain control characters")
	case email != "":
		return CheckEmail(email)
	}
	return nil
}

// CheckEmail accepts exactly one plain address: what net/mail parses as a
// single address with no display name, written as it parses (no angle
// brackets, comments or quoting), at most 254 bytes. Security mail goes to
// it, so "v@example.org,attacker@evil.com" or a group is refused: one
// address, one recipient.
func CheckEmail(email string) error {
	bad := mfad.Errorf(mfad.EInvalidInput, "email is not valid: one address, as name@example.org")
	if len(email) > 254 || !utf8.ValidString(email) || strings.ContainsAny(email, " ,;\x00\r\n\t") {
		return bad
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Name != "" || a.Address != email || !strings.Contains(email, "@") {
		return bad
	}
	return nil
}

// CreateUser creates a user (admins only).
func (s *Service) CreateUser(ctx context.Context, a Actor, nu NewUser) (*UserInfo, error) {
	if err := s.admin(a); err != nil {
		return nil, err
	}
	return s.createUser(ctx, a, nu)
}

func (s *Service) createUser(ctx context.Context, a Actor, nu NewUser) (*UserInfo, error) {
	nu.Name, nu.Email = strings.TrimSpace(nu.Name), strings.TrimSpace(nu.Email)
	if err := checkNames(nu.Name, nu.Email); err != nil {
		return nil, err
	}
	if nu.Role == "" {
		nu.Role = mfad.RoleUser
	}
	if !nu.Role.Valid() {
		return nil, mfad.Errorf(mfad.EInvalidInput, "role must be user or admin")
	}
	if nu.ID < 0 {
		return nil, mfad.Errorf(mfad.EInvalidInput, "id must be positive")
	}
	hash, err := s.hasher.Hash(ctx, nu.Password)
	if err != nil {
		return nil, s.internal(ctx, err)
	}
	now := s.Now()
	u := &mfad.User{ID: nu.ID, Name: nu.Name, Email: nu.Email, Role: nu.Role, PasswordHash: hash, CreatedAt: now, PasswordChangedAt: now}
	err = s.update(ctx, func(tx mfad.Tx) error {
		if err := tx.CreateUser(u); errors.Is(err, mfad.ErrDuplicate) {
			return mfad.Errorf(mfad.EConflict, "a user with this name, email or id exists")
		} else if err != nil {
			return err
		}
		return s.audit(tx, a, u.ID, "user.create", "ok", string(u.Role))
	})
	if err != nil {
		return nil, err
	}
	ui := info(u, false)
	return &ui, nil
}

// Bootstrap creates the first admin when there are no users, and reports
// whether it did.
//
// One caller (mfad serve and init): the first start of an empty database, which no front may cause.
func (s *Service) Bootstrap(ctx context.Context, name, email, password string) (bool, error) {
	var n int
	if err := s.view(ctx, func(tx mfad.Tx) (err error) { n, err = tx.CountUsers(); return err }); err != nil || n > 0 {
		return false, err
	}
	_, err := s.createUser(ctx, System("bootstrap"), NewUser{Name: name, Email: email, Password: password, Role: mfad.RoleAdmin})
	if mfad.ErrorCode(err) == mfad.EConflict {
		// Another instance sharing the database bootstrapped first.
		return false, nil
	}
	return err == nil, err
}

// UserQuery selects the users ListUsers lists. Offset and Limit page the
// result (Limit 0: no limit). Visible asks for the users the actor may see
// (Veeam's GET /users): everyone for an admin, only themselves for anyone
// else; without it the listing is of everyone, for administrators only.
// Name, when set (with Visible), keeps only the user of that name, compared
// as names are compared everywhere (mfad.Fold): no substring, no wildcard,
// and never another user as a fallback.
type UserQuery struct {
	Name          string
	Offset, Limit int
	Visible       bool
}

// ListUsers lists users, newest last; the total counts what the query
// matched before paging.
func (s *Service) ListUsers(ctx context.Context, a Actor, q UserQuery) ([]UserInfo, int, error) {
	if err := s.authenticated(a); err != nil {
		return nil, 0, err
	}
	if q.Offset < 0 || q.Limit < 0 {
		return nil, 0, mfad.Errorf(mfad.EInvalidInput, "offset and limit must not be negative")
	}
	if !q.Visible || (a.IsAdmin() && q.Name == "") {
		if err := s.admin(a); err != nil {
			return nil, 0, err
		}
		return s.allUsers(ctx, mfad.UserFilter{Offset: q.Offset, Limit: q.Limit})
	}
	var match []UserInfo
	err := s.view(ctx, func(tx mfad.Tx) error {
		u, err := s.visibleUser(tx, a, q.Name)
		if err != nil || u == nil {
			return err
		}
		ui, err := s.userInfo(tx, u)
		match = []UserInfo{ui}
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return page(match, q.Offset, q.Limit), len(match), nil
}

// allUsers is a page of every user.
func (s *Service) allUsers(ctx context.Context, f mfad.UserFilter) ([]UserInfo, int, error) {
	var out []UserInfo
	var total int
	err := s.view(ctx, func(tx mfad.Tx) error {
		users, n, err := tx.ListUsers(f)
		if err != nil {
			return err
		}
		total = n
		for _, u := range users {
			ui, err := s.userInfo(tx, u)
			if err != nil {
				return err
			}
			out = append(out, ui)
		}
		return nil
	})
	return out, total, err
}

// visibleUser returns the one user a query can match when it names a user
// or the actor is no admin, or nil.
func (s *Service) visibleUser(tx mfad.Tx, a Actor, name string) (*mfad.User, error) {
	var u *mfad.User
	var err error
	if name == "" {
		u, err = tx.UserByID(a.userID)
	} else {
		// UserByLogin finds names and emails; a name filter keeps names.
		u, err = tx.UserByLogin(name)
		if err == nil && mfad.Fold(u.Name) != mfad.Fold(name) {
			return nil, nil
		}
	}
	if errors.Is(err, mfad.ErrNoRows) || (err == nil && !a.IsAdmin() && u.ID != a.userID) {
		return nil, nil
	}
	return u, err
}

// page returns the items from offset on, at most limit of them (0: all).
func page[T any](items []T, offset, limit int) []T {
	if offset >= len(items) {
		return nil
	}
	items = items[offset:]
	if limit > 0 && limit < len(items) {
		items = items[:limit]
	}
	return items
}

func (s *Service) userInfo(tx mfad.Tx, u *mfad.User) (UserInfo, error) {
	_, err := tx.Factor(u.ID)
	if err != nil && !errors.Is(err, mfad.ErrNoRows) {
		return UserInfo{}, err
	}
	return info(u, err == nil), nil
}

// GetUser returns one user (themselves, or anyone for an admin), named by
// id or login.
func (s *Service) GetUser(ctx context.Context, a Actor, ref UserRef) (*UserInfo, error) {
	if err := s.authenticated(a); err != nil {
		return nil, err
	}
	var ui UserInfo
	err := s.view(ctx, func(tx mfad.Tx) error {
		u, err := s.userOf(tx, a, ref, s.selfOrAdmin)
		if err != nil {
			return err
		}
		ui, err = s.userInfo(tx, u)
		return err
	})
	return &ui, err
}

// DeleteUser deletes a user and everything that belongs to them (admins
// only; not themselves, so an installation keeps an admin).
func (s *Service) DeleteUser(ctx context.Context, a Actor, id int64) error {
	if err := s.admin(a); err != nil {
		return err
	}
	if id == a.userID {
		return mfad.Errorf(mfad.EConflict, "you cannot delete your own account")
	}
	return s.update(ctx, func(tx mfad.Tx) error {
		u, err := tx.UserByID(id)
		if err != nil {
			return notFound(err, "user")
		}
		// The store drops the user's throttles with it; a new user given
		// the name gets a new id, so inherits none.
		if err := tx.DeleteUser(u.ID); err != nil {
			return notFound(err, "user")
		}
		return s.audit(tx, a, id, "user.delete", "ok", "")
	})
}

// passwordProof turns a call without a session that names its user by
// login and brings their password (Zimbra's EnableTwoFactorAuth without
// a token) into that user's actor, proven by the password: it may act on
// the user's own account with the rights of an enroll-only session, and an
// enrollment it prepares or confirms may hand out a session. Any other
// call is answered as it is (proven false).
func (s *Service) passwordProof(ctx context.Context, a Actor, login, password string) (Actor, bool, error) {
	if a.userID != 0 || a.system || login == "" || password == "" {
		return a, false, nil
	}
	u, err := s.checkPassword(ctx, a.client, login, password)
	if err != nil {
		return a, false, err
	}
	return Actor{client: a.client, userID: u.ID, role: u.Role, scope: mfad.ScopeEnroll, passwordOf: u.ID}, true, nil
}

func (s *Service) checkOwnPassword(ctx context.Context, a Actor, password string) error {
	var name string
	if err := s.view(ctx, func(tx mfad.Tx) error {
		u, err := tx.UserByID(a.userID)
		if err == nil {
			name = u.Name
		}
		return notFound(err, "user")
	}); err != nil {
		return err
	}
	_, err := s.checkPassword(ctx, a.client, name, password)
	return err
}

// PasswordChange changes a password. For one's own account the current
// password is needed, and with 2FA on a code or a recent second factor; an
// admin may set another user's password without either. Every session but
// the current one, every ticket, trusted device and app password is revoked.
type PasswordChange struct {
	UserID  int64
	Current string
	New     string
	Code    string
	// AdminPassword, for an admin acting on another user, is the admin's
	// own password, checked (and throttled) before anything changes:
	// Veeam's adminsPassword. Empty: not asked for.
	AdminPassword string
}

// ChangePassword applies a PasswordChange.
func (s *Service) ChangePassword(ctx context.Context, a Actor, req PasswordChange) error {
	if err := s.self(a, req.UserID, false); err != nil {
		return err
	}
	switch {
	case !onBehalf(a, req.UserID):
		if err := s.checkOwnPassword(ctx, a, req.Current); err != nil {
			return err
		}
	case req.AdminPassword != "":
		if err := s.checkOwnPassword(ctx, a, req.AdminPassword); err != nil {
			return err
		}
	}
	hash, err := s.hasher.Hash(ctx, req.New)
	if err != nil {
		return s.internal(ctx, err)
	}
	return s.update(ctx, func(tx mfad.Tx) error {
		u, err := tx.UserByID(req.UserID)
		if err != nil {
			return notFound(err, "user")
		}
		if err := s.guard(tx, a, u, req.Code, "user.password"); err != nil {
			return err
		}
		u.PasswordHash, u.PasswordChangedAt = hash, s.Now()
		if err := tx.UpdateUser(u); err != nil {
			return err
		}
		keepSession := int64(0)
		if !onBehalf(a, u.ID) {
			keepSession = a.sessionID
		}
		if err := revoke(tx, u.ID, revocation{sessions: true, keepSession: keepSession, tickets: true, devices: true, appPasswords: true, enrollments: true}); err != nil {
			return err
		}
		if err := s.notify(tx, a, u.ID, mfad.NotifyPasswordSet, ""); err != nil {
			return err
		}
		return s.audit(tx, a, u.ID, "user.password", "ok", "")
	})
}
