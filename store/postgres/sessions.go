package postgres

import (
	"time"

	"github.com/mfad/mfad"
)

const sessionColumns = `id, user_id, access_hash, access_expires, refresh_hash, refresh_expires,
	scope, second_factor_at, dialect, remote_addr, created_at, idle_seconds`

func scanSession(s scanner) (*mfad.Session, error) {
	x := &mfad.Session{}
	var idle int64
	var scope string
	err := s.Scan(&x.ID, &x.UserID, blobDest{B: &x.AccessHash}, timeDest{T: &x.AccessExpires},
		blobDest{B: &x.RefreshHash}, timeDest{T: &x.RefreshExpires}, &scope, timeDest{T: &x.SecondFactorAt},
		&x.Dialect, &x.RemoteAddr, timeDest{T: &x.CreatedAt}, &idle)
	if err != nil {
		return nil, err
	}
	x.IdleTimeout = time.Duration(idle) * time.Second
	x.Scope = mfad.Scope(scope)
	return x, nil
}

// CreateSession inserts s and sets s.ID. ErrNoRows: no such user;
// ErrDuplicate: a token hash is taken.
func (t *tx) CreateSession(s *mfad.Session) error {
	return t.row(`INSERT INTO sessions (user_id, access_hash, access_expires, refresh_hash,
		refresh_expires, scope, second_factor_at, dialect, remote_addr, created_at, idle_seconds)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		s.UserID, blob(s.AccessHash), nanos(s.AccessExpires), blob(s.RefreshHash), nanos(s.RefreshExpires),
		string(s.Scope), nanos(s.SecondFactorAt), s.Dialect, s.RemoteAddr, nanos(s.CreatedAt), int64(s.IdleTimeout/time.Second),
	).Scan(&s.ID)
}

func (t *tx) SessionByAccess(hash []byte) (*mfad.Session, error) {
	if len(hash) == 0 {
		return nil, mfad.ErrNoRows
	}
	return scanSession(t.row(`SELECT `+sessionColumns+` FROM sessions WHERE access_hash = $1`, hash))
}

func (t *tx) SessionByID(id int64) (*mfad.Session, error) {
	return scanSession(t.row(`SELECT `+sessionColumns+` FROM sessions WHERE id = $1`, id))
}

// RotateRefresh gives the session holding oldRefresh the access and refresh
// tokens of s, and remembers oldRefresh as used at now with key. The update is one
// statement conditional on oldRefresh being current: of racing rotations
// the first takes the row lock, and the others, re-checking the condition
// after its commit, change nothing (ErrNoRows); a UsedRefresh after that
// finds oldRefresh among the used tokens.
func (t *tx) RotateRefresh(oldRefresh []byte, now time.Time, s *mfad.Session, key []byte) (*mfad.Session, error) {
	if len(oldRefresh) == 0 {
		return nil, mfad.ErrNoRows
	}
	rotated, err := scanSession(t.row(`UPDATE sessions SET access_hash = $1, access_expires = $2,
		refresh_hash = $3, refresh_expires = $4 WHERE refresh_hash = $5 AND refresh_expires > $6 RETURNING `+sessionColumns,
		blob(s.AccessHash), nanos(s.AccessExpires), blob(s.RefreshHash), nanos(s.RefreshExpires), oldRefresh, nanos(now)))
	if err != nil {
		return nil, err
	}
	_, err = t.exec(`INSERT INTO used_refresh_tokens (hash, session_id, rotated_at, next_key) VALUES ($1, $2, $3, $4)`, oldRefresh, rotated.ID, nanos(now), blob(key))
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
	err := t.row(`SELECT session_id, rotated_at, next_key FROM used_refresh_tokens WHERE hash = $1`, hash).Scan(&u.SessionID, timeDest{T: &u.RotatedAt}, blobDest{B: &u.Key})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// SetSecondFactorAt records the time of a second factor on the session;
// ErrNoRows if there is none. On a session this transaction has locked
// (SessionForVerify) it cannot miss, so it goes with the next statement or
// the commit.
func (t *tx) SetSecondFactorAt(sessionID int64, at time.Time) error {
	if sessionID != 0 && sessionID == t.lockedSession {
		t.queue(`UPDATE sessions SET second_factor_at = $1 WHERE id = $2`, nil, nanos(at), sessionID)
		return nil
	}
	return t.execOne(`UPDATE sessions SET second_factor_at = $1 WHERE id = $2`, nanos(at), sessionID)
}

func (t *tx) SetSessionScope(sessionID int64, scope mfad.Scope) error {
	return t.execOne(`UPDATE sessions SET scope = $1 WHERE id = $2`, string(scope), sessionID)
}

func (t *tx) DeleteSession(id int64) error {
	return t.execOne(`DELETE FROM sessions WHERE id = $1`, id)
}

// DeleteUserSessions deletes the user's sessions but exceptID (0: all).
func (t *tx) DeleteUserSessions(userID, exceptID int64) error {
	_, err := t.exec(`DELETE FROM sessions WHERE user_id = $1 AND id <> $2`, userID, exceptID)
	return err
}

func (t *tx) ExtendSession(sessionID int64, until time.Time) error {
	_, err := t.exec(`UPDATE sessions SET access_expires = GREATEST(access_expires, $1), refresh_expires = GREATEST(refresh_expires, $1)
		WHERE id = $2`, nanos(until), sessionID)
	return err
}
