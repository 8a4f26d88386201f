package sqlq

import (
	"github.com/mfad/mfad/store/internal/column"
	"time"

	"github.com/mfad/mfad"
)

const sessionColumns = `id, user_id, access_hash, access_expires, refresh_hash, refresh_expires,
	scope, second_factor_at, dialect, remote_addr, created_at, idle_seconds`

func scanSession(s Scanner) (*mfad.Session, error) {
	x := &mfad.Session{}
	var idle int64
	err := s.Scan(&x.ID, &x.UserID, column.Bytes{B: &x.AccessHash}, column.Time{T: &x.AccessExpires},
		column.Bytes{B: &x.RefreshHash}, column.Time{T: &x.RefreshExpires}, column.Named[mfad.Scope]{P: &x.Scope}, column.Time{T: &x.SecondFactorAt},
		&x.Dialect, &x.RemoteAddr, column.Time{T: &x.CreatedAt}, &idle)
	if err != nil {
		return nil, err
	}
	x.IdleTimeout = time.Duration(idle) * time.Second
	return x, nil
}

// CreateSession inserts s and sets s.ID. ErrNoRows: no such user;
// ErrDuplicate: a token hash is taken.
func (t Tx) CreateSession(s *mfad.Session) error {
	return t.row(`INSERT INTO sessions (user_id, access_hash, access_expires, refresh_hash,
		refresh_expires, scope, second_factor_at, dialect, remote_addr, created_at, idle_seconds)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		s.UserID, column.Blob(s.AccessHash), column.Nanos(s.AccessExpires), column.Blob(s.RefreshHash), column.Nanos(s.RefreshExpires),
		string(s.Scope), column.Nanos(s.SecondFactorAt), s.Dialect, s.RemoteAddr, column.Nanos(s.CreatedAt), int64(s.IdleTimeout/time.Second),
	).Scan(&s.ID)
}

func (t Tx) SessionByAccess(hash []byte) (*mfad.Session, error) {
	if len(hash) == 0 {
		return nil, mfad.ErrNoRows
	}
	return scanSession(t.row(`SELECT `+sessionColumns+` FROM sessions WHERE access_hash = ?`, hash))
}

func (t Tx) SessionByID(id int64) (*mfad.Session, error) {
	return scanSession(t.row(`SELECT `+sessionColumns+` FROM sessions WHERE id = ?`, id))
}

// RotateRefresh gives the session holding oldRefresh the access and refresh
// tokens of s, and remembers oldRefresh as used at now with key. The update is conditional
// on oldRefresh being current, so of racing rotations one wins; the others
// find nothing to update (ErrNoRows).
func (t Tx) RotateRefresh(oldRefresh []byte, now time.Time, s *mfad.Session, key []byte) (*mfad.Session, error) {
	return t.RotateRefreshAt(oldRefresh, now, s, key, "?", column.Nanos(now))
}

// RotateRefreshAt is RotateRefresh with the time of the rotation written as
// the SQL expression at (with one argument, atArg): a store whose
// database has a clock of its own (PostgreSQL) writes it on that clock.
func (t Tx) RotateRefreshAt(oldRefresh []byte, now time.Time, s *mfad.Session, key []byte, at string, atArg any) (*mfad.Session, error) {
	if len(oldRefresh) == 0 {
		return nil, mfad.ErrNoRows
	}
	rotated, err := scanSession(t.row(`UPDATE sessions SET access_hash = ?, access_expires = ?,
		refresh_hash = ?, refresh_expires = ? WHERE refresh_hash = ? AND refresh_expires > ? RETURNING `+sessionColumns,
		column.Blob(s.AccessHash), column.Nanos(s.AccessExpires), column.Blob(s.RefreshHash), column.Nanos(s.RefreshExpires), oldRefresh, column.Nanos(now)))
	if err != nil {
		return nil, err
	}
	_, err = t.exec(`INSERT INTO used_refresh_tokens (hash, session_id, rotated_at, next_key) VALUES (?, ?, `+at+`, ?)`, oldRefresh, rotated.ID, atArg, column.Blob(key))
	if err != nil {
		return nil, err
	}
	return rotated, nil
}

// UsedRefresh returns the record of a refresh token rotated away, its Age
// taken at now.
func (t Tx) UsedRefresh(hash []byte, now time.Time) (*mfad.UsedRefresh, error) {
	return t.UsedRefreshAt(hash, "?", column.Nanos(now))
}

// UsedRefreshAt is UsedRefresh with now written as the SQL expression
// at (with one argument, atArg), as in RotateRefreshAt.
func (t Tx) UsedRefreshAt(hash []byte, at string, atArg any) (*mfad.UsedRefresh, error) {
	if len(hash) == 0 {
		return nil, mfad.ErrNoRows
	}
	u := &mfad.UsedRefresh{}
	var age *int64
	err := t.row(`SELECT session_id, rotated_at, next_key, `+at+` - rotated_at FROM used_refresh_tokens WHERE hash = ?`, atArg, hash).
		Scan(&u.SessionID, column.Time{T: &u.RotatedAt}, column.Bytes{B: &u.Key}, &age)
	if err != nil {
		return nil, err
	}
	if age != nil {
		u.Age = time.Duration(*age)
	}
	return u, nil
}

func (t Tx) SetSecondFactorAt(sessionID int64, at time.Time) error {
	return t.execOne(`UPDATE sessions SET second_factor_at = ? WHERE id = ?`, column.Nanos(at), sessionID)
}

func (t Tx) SetSessionScope(sessionID int64, scope mfad.Scope) error {
	return t.execOne(`UPDATE sessions SET scope = ? WHERE id = ?`, string(scope), sessionID)
}

func (t Tx) DeleteSession(id int64) error {
	return t.execOne(`DELETE FROM sessions WHERE id = ?`, id)
}

// DeleteUserSessions deletes the user's sessions but exceptID (0: all).
func (t Tx) DeleteUserSessions(userID, exceptID int64) error {
	_, err := t.exec(`DELETE FROM sessions WHERE user_id = ? AND id <> ?`, userID, exceptID)
	return err
}
