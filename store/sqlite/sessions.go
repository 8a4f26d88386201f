package sqlite

import (
	"time"

	"github.com/mfad/mfad"
)

const sessionColumns = `id, user_id, access_hash, access_expires, refresh_hash, refresh_expires,
	scope, second_factor_at, dialect, remote_addr, created_at, idle_seconds`

func scanSession(s scanner) (*mfad.Session, error) {
	x := &mfad.Session{}
	var idle int64
	err := s.Scan(&x.ID, &x.UserID, blobDest{B: &x.AccessHash}, timeDest{T: &x.AccessExpires},
		blobDest{B: &x.RefreshHash}, timeDest{T: &x.RefreshExpires}, &x.Scope, timeDest{T: &x.SecondFactorAt},
		&x.Dialect, &x.RemoteAddr, timeDest{T: &x.CreatedAt}, &idle)
	if err != nil {
		return nil, err
	}
	x.IdleTimeout = time.Duration(idle) * time.Second
	return x, nil
}

// CreateSession inserts s and sets s.ID. ErrNoRows: no such user;
// ErrDuplicate: a token hash is taken.
func (t *tx) CreateSession(s *mfad.Session) error {
	return t.row(`INSERT INTO sessions (user_id, access_hash, access_expires, refresh_hash,
		refresh_expires, scope, second_factor_at, dialect, remote_addr, created_at, idle_seconds)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		s.UserID, blob(s.AccessHash), nanos(s.AccessExpires), blob(s.RefreshHash), nanos(s.RefreshExpires),
		s.Scope, nanos(s.SecondFactorAt), s.Dialect, s.RemoteAddr, nanos(s.CreatedAt), int64(s.IdleTimeout/time.Second),
	).Scan(&s.ID)
}

func (t *tx) SessionByAccess(hash []byte) (*mfad.Session, error) {
	if len(hash) == 0 {
		return nil, mfad.ErrNoRows
	}
	return scanSession(t.row(`SELECT `+sessionColumns+` FROM sessions WHERE access_hash = ?`, hash))
}

func (t *tx) SessionByID(id int64) (*mfad.Session, error) {
	return scanSession(t.row(`SELECT `+sessionColumns+` FROM sessions WHERE id = ?`, id))
}

// RotateRefresh gives the session holding oldRefresh the access and refresh
// tokens of s, and remembers oldRefresh as used at now with key. The update is conditional
// on oldRefresh being current, so of racing rotations one wins; the others
// find nothing to update (ErrNoRows).
func (t *tx) RotateRefresh(oldRefresh []byte, now time.Time, s *mfad.Session, key []byte) (*mfad.Session, error) {
	if len(oldRefresh) == 0 {
		return nil, mfad.ErrNoRows
	}
	rotated, err := scanSession(t.row(`UPDATE sessions SET access_hash = ?, access_expires = ?,
		refresh_hash = ?, refresh_expires = ? WHERE refresh_hash = ? AND refresh_expires > ? RETURNING `+sessionColumns,
		blob(s.AccessHash), nanos(s.AccessExpires), blob(s.RefreshHash), nanos(s.RefreshExpires), oldRefresh, nanos(now)))
	if err != nil {
		return nil, err
	}
	_, err = t.exec(`INSERT INTO used_refresh_tokens (hash, session_id, rotated_at, next_key) VALUES (?, ?, ?, ?)`, oldRefresh, rotated.ID, nanos(now), blob(key))
	if err != nil {
		return nil, err
	}
	return rotated, nil
}

// UsedRefresh returns the record of a refresh token rotated away.
func (t *tx) UsedRefresh(hash []byte) (*mfad.UsedRefresh, error) {
	if len(hash) == 0 {
		return nil, mfad.ErrNoRows
	}
	u := &mfad.UsedRefresh{}
	err := t.row(`SELECT session_id, rotated_at, next_key FROM used_refresh_tokens WHERE hash = ?`, hash).Scan(&u.SessionID, timeDest{T: &u.RotatedAt}, blobDest{B: &u.Key})
	if err != nil {
		return nil, err
	}
	return u, nil
}

func (t *tx) SetSecondFactorAt(sessionID int64, at time.Time) error {
	return t.execOne(`UPDATE sessions SET second_factor_at = ? WHERE id = ?`, nanos(at), sessionID)
}

func (t *tx) SetSessionScope(sessionID int64, scope mfad.Scope) error {
	return t.execOne(`UPDATE sessions SET scope = ? WHERE id = ?`, scope, sessionID)
}

func (t *tx) DeleteSession(id int64) error {
	return t.execOne(`DELETE FROM sessions WHERE id = ?`, id)
}

// DeleteUserSessions deletes the user's sessions but exceptID (0: all).
func (t *tx) DeleteUserSessions(userID, exceptID int64) error {
	_, err := t.exec(`DELETE FROM sessions WHERE user_id = ? AND id <> ?`, userID, exceptID)
	return err
}

func (t *tx) ExtendSession(sessionID int64, until time.Time) error {
	_, err := t.exec(`UPDATE sessions SET access_expires = MAX(access_expires, ?), refresh_expires = MAX(refresh_expires, ?)
		WHERE id = ?`, nanos(until), nanos(until), sessionID)
	return err
}
