package sqlq

import (
	"github.com/mfad/mfad/store/internal/column"
	"time"

	"github.com/mfad/mfad"
)

// CreateAppPassword inserts p and sets its ID. ErrNoRows: no such user;
// ErrDuplicate: the user has a password of that name.
func (t Tx) CreateAppPassword(p *mfad.AppPassword) error {
	return t.row(`INSERT INTO app_passwords (user_id, name, hash, created_at, last_used_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`,
		p.UserID, p.Name, column.Blob(p.Hash), column.Nanos(p.CreatedAt), column.Nanos(p.LastUsedAt),
	).Scan(&p.ID)
}

// AppPasswords returns the user's app passwords, by id.
func (t Tx) AppPasswords(userID int64) ([]mfad.AppPassword, error) {
	var ps []mfad.AppPassword
	err := t.each(`SELECT id, user_id, name, hash, created_at, last_used_at FROM app_passwords
		WHERE user_id = ? ORDER BY id`, []any{userID}, func(s Scanner) error {
		var p mfad.AppPassword
		if err := s.Scan(&p.ID, &p.UserID, &p.Name, column.Bytes{B: &p.Hash}, column.Time{T: &p.CreatedAt},
			column.Time{T: &p.LastUsedAt}); err != nil {
			return err
		}
		ps = append(ps, p)
		return nil
	})
	return ps, err
}

func (t Tx) TouchAppPassword(id int64, at time.Time) error {
	return t.execOne(`UPDATE app_passwords SET last_used_at = ? WHERE id = ?`, column.Nanos(at), id)
}

func (t Tx) DeleteAppPassword(userID int64, name string) error {
	return t.execOne(`DELETE FROM app_passwords WHERE user_id = ? AND name = ?`, userID, name)
}

func (t Tx) DeleteUserAppPasswords(userID int64) error {
	_, err := t.exec(`DELETE FROM app_passwords WHERE user_id = ?`, userID)
	return err
}
