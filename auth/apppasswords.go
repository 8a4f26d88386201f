package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"
	"time"

	"github.com/mfad/mfad"
)

// App passwords (Zimbra's app-specific passwords): 16 characters from a
// 56-symbol alphabet without look-alikes (about 93 bits), so a fast hash is
// enough to store them.
const (
	appPasswordLen      = 16
	appPasswordAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
)

// AppPasswordInfo describes an app password without revealing it.
type AppPasswordInfo struct {
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// CreateAppPassword makes a named password for a client that cannot do
// 2FA. It needs 2FA on and is a sensitive action.
func (s *Service) CreateAppPassword(ctx context.Context, a Actor, userID int64, name, code string) (string, error) {
	if err := s.self(a, userID, false); err != nil {
		return "", err
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", mfad.Errorf(mfad.EInvalidInput, "app name must be 1 to 100 characters")
	}
	pw := randomString(appPasswordLen, appPasswordAlphabet)
	err := s.update(ctx, func(tx mfad.Tx) error {
		u, _, err := s.enrolled(tx, userID)
		if err != nil {
			return err
		}
		if err := s.guard(tx, a, u, code, "apppassword.create"); err != nil {
			return err
		}
		existing, err := tx.AppPasswords(userID)
		if err != nil {
			return err
		}
		if len(existing) >= s.cfg.MaxAppPasswords {
			return mfad.Errorf(mfad.EConflict, "at most %d app passwords", s.cfg.MaxAppPasswords)
		}
		p := &mfad.AppPassword{UserID: userID, Name: name, Hash: hashToken(pw), CreatedAt: s.Now()}
		if err := tx.CreateAppPassword(p); errors.Is(err, mfad.ErrDuplicate) {
			return mfad.Errorf(mfad.EConflict, "an app password with this name exists")
		} else if err != nil {
			return err
		}
		if err := s.notify(tx, a, userID, mfad.NotifyAppPassword, name); err != nil {
			return err
		}
		return s.audit(tx, a, userID, "apppassword.create", "ok", name)
	})
	return pw, err
}

// AppPasswords lists a user's app passwords.
func (s *Service) AppPasswords(ctx context.Context, a Actor, userID int64) ([]AppPasswordInfo, error) {
	if err := s.self(a, userID, false); err != nil {
		return nil, err
	}
	var out []AppPasswordInfo
	err := s.view(ctx, func(tx mfad.Tx) error {
		ps, err := tx.AppPasswords(userID)
		for _, p := range ps {
			out = append(out, AppPasswordInfo{Name: p.Name, CreatedAt: p.CreatedAt, LastUsedAt: p.LastUsedAt})
		}
		return err
	})
	return out, err
}

// RevokeAppPassword revokes one app password by name.
func (s *Service) RevokeAppPassword(ctx context.Context, a Actor, userID int64, name string) error {
	if err := s.self(a, userID, false); err != nil {
		return err
	}
	return s.update(ctx, func(tx mfad.Tx) error {
		if err := tx.DeleteAppPassword(userID, name); errors.Is(err, mfad.ErrNoRows) {
			return mfad.Errorf(mfad.ENotFound, "app password not found")
		} else if err != nil {
			return err
		}
		return s.audit(tx, a, userID, "apppassword.revoke", "ok", name)
	})
}

// ProtocolAuth checks a login for a protocol client such as a mail server's
// IMAP login (admins or services only). For a user with 2FA on only an app
// password passes, never the main password; for a user without 2FA the main
// password does. It has its own throttle.
//
// One caller (Zimbra's protocol auth): the only product that authenticates mail clients through mfad.
func (s *Service) ProtocolAuth(ctx context.Context, a Actor, login, password string) (*UserInfo, error) {
	if err := s.admin(a); err != nil {
		return nil, err
	}
	var u *mfad.User
	var enrolled bool
	var key string
	err := s.update(ctx, func(tx mfad.Tx) error {
		var err error
		if u, err = tx.UserByLogin(login); errors.Is(err, mfad.ErrNoRows) {
			u, err = nil, nil
		} else if err == nil {
			_, ferr := tx.Factor(u.ID)
			enrolled = ferr == nil
		}
		if err != nil {
			return err
		}
		key = s.protocolKey(u, login)
		return s.reserve(tx, "", key)
	})
	if err != nil {
		return nil, err
	}
	ok, err := s.protocolCheck(ctx, u, enrolled, password)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(tx mfad.Tx) error {
		uid := int64(0)
		if u != nil {
			uid = u.ID
		}
		if ok == nil {
			return s.judge(tx, key) // counted by reserve: a failure now
		}
		if err := tx.TouchAppPassword(ok.ID, s.Now()); err != nil && !errors.Is(err, mfad.ErrNoRows) {
			return err
		}
		if err := s.settle(tx, true, key); err != nil {
			return err
		}
		return s.audit(tx, a, uid, "login.protocol", "ok", ok.Name)
	})
	if err != nil {
		return nil, err
	}
	if ok == nil {
		return nil, errInvalidLogin
	}
	ui := info(u, enrolled)
	return &ui, nil
}

// protocolCheck returns the app password that matched (a zero one with ID 0
// for the main password of a user without 2FA), or nil.
func (s *Service) protocolCheck(ctx context.Context, u *mfad.User, enrolled bool, password string) (*mfad.AppPassword, error) {
	if u == nil || !enrolled {
		phc := ""
		if u != nil {
			phc = u.PasswordHash
		}
		ok, err := s.hasher.Verify(ctx, phc, password)
		if err != nil || !ok {
			return nil, s.internal(ctx, err)
		}
		return &mfad.AppPassword{Name: "main password"}, nil
	}
	var ps []mfad.AppPassword
	if err := s.view(ctx, func(tx mfad.Tx) (err error) { ps, err = tx.AppPasswords(u.ID); return err }); err != nil {
		return nil, err
	}
	h := hashToken(password)
	var match *mfad.AppPassword
	for i := range ps {
		if subtle.ConstantTimeCompare(ps[i].Hash, h) == 1 {
			match = &ps[i]
		}
	}
	return match, nil
}
