package sqlq

import (
	"github.com/mfad/mfad"
	"github.com/mfad/mfad/store/internal/column"
)

const enrollmentColumns = `user_id, token_hash, secret, algorithm, digits, period, scratch,
	scratch_count, scratch_length, scratch_alphabet, created_by, dialect, created_at, expires_at,
	session_id, password_proof, failures`

func scanEnrollment(s Scanner) (*mfad.Enrollment, error) {
	e := &mfad.Enrollment{}
	err := s.Scan(&e.UserID, column.Bytes{B: &e.TokenHash}, &e.Secret, &e.Algorithm, &e.Digits, &e.Period,
		&e.Scratch, &e.Form.Count, &e.Form.Length, &e.Form.Alphabet, &e.CreatedBy, &e.Dialect,
		column.Time{T: &e.CreatedAt}, column.Time{T: &e.ExpiresAt}, &e.SessionID, &e.PasswordProof, &e.Failures)
	if err != nil {
		return nil, err
	}
	return e, nil
}

func (t Tx) Enrollment(userID int64) (*mfad.Enrollment, error) {
	return scanEnrollment(t.row(`SELECT `+enrollmentColumns+` FROM enrollments WHERE user_id = ?`, userID))
}

func (t Tx) EnrollmentByToken(hash []byte) (*mfad.Enrollment, error) {
	if len(hash) == 0 {
		return nil, mfad.ErrNoRows
	}
	return scanEnrollment(t.row(`SELECT `+enrollmentColumns+` FROM enrollments WHERE token_hash = ?`, hash))
}

// PutEnrollment inserts the user's pending enrollment or replaces it.
// ErrNoRows: no such user; ErrDuplicate: another enrollment has the token.
func (t Tx) PutEnrollment(e *mfad.Enrollment) error {
	_, err := t.exec(`INSERT INTO enrollments (`+enrollmentColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
		ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, secret = excluded.secret,
		algorithm = excluded.algorithm, digits = excluded.digits, period = excluded.period,
		scratch = excluded.scratch, scratch_count = excluded.scratch_count,
		scratch_length = excluded.scratch_length, scratch_alphabet = excluded.scratch_alphabet,
		created_by = excluded.created_by, dialect = excluded.dialect,
		created_at = excluded.created_at, expires_at = excluded.expires_at,
		session_id = excluded.session_id, password_proof = excluded.password_proof, failures = 0`,
		e.UserID, column.Blob(e.TokenHash), e.Secret, e.Algorithm, e.Digits, e.Period, e.Scratch,
		e.Form.Count, e.Form.Length, e.Form.Alphabet, e.CreatedBy, e.Dialect,
		column.Nanos(e.CreatedAt), column.Nanos(e.ExpiresAt), e.SessionID, e.PasswordProof)
	return err
}

// DeleteEnrollment deletes the user's pending enrollment; ErrNoRows if there
// is none, so of two racing confirmations only one deletes it.
func (t Tx) DeleteEnrollment(userID int64) error {
	return t.execOne(`DELETE FROM enrollments WHERE user_id = ?`, userID)
}

// AddEnrollmentFailure counts one wrong code on the user's pending
// enrollment with a single UPDATE ... RETURNING and returns the new count;
// racing failures queue on the row lock, so none is lost.
func (t Tx) AddEnrollmentFailure(userID int64) (int, error) {
	return t.count(`UPDATE enrollments SET failures = failures + 1 WHERE user_id = ? RETURNING failures`, userID)
}
