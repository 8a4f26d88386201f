package postgres

import (
	"time"

	"github.com/mfad/mfad"
)

// CreateAppPassword inserts p and sets its ID. ErrNoRows: no such user;
// ErrDuplicate: the user has a password of that name.
func (t *tx) CreateAppPassword(p *mfad.AppPassword) error {
	return t.row(`INSERT INTO app_passwords (user_id, name, hash, created_at, last_used_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		p.UserID, p.Name, blob(p.Hash), nanos(p.CreatedAt), nanos(p.LastUsedAt),
	).Scan(&p.ID)
}

// AppPasswords returns the user's app passwords, by id.
func (t *tx) AppPasswords(userID int64) ([]mfad.AppPassword, error) {
	var ps []mfad.AppPassword
	err := t.each(`SELECT id, user_id, name, hash, created_at, last_used_at FROM app_passwords
		WHERE user_id = $1 ORDER BY id`, []any{userID}, func(s scanner) error {
		var p mfad.AppPassword
		if err := s.Scan(&p.ID, &p.UserID, &p.Name, blobDest{B: &p.Hash}, timeDest{T: &p.CreatedAt},
			timeDest{T: &p.LastUsedAt}); err != nil {
			return err
		}
		ps = append(ps, p)
		return nil
	})
	return ps, err
}

func (t *tx) TouchAppPassword(id int64, at time.Time) error {
	return t.execOne(`UPDATE app_passwords SET last_used_at = $1 WHERE id = $2`, nanos(at), id)
}

func (t *tx) DeleteAppPassword(userID int64, name string) error {
	return t.execOne(`DELETE FROM app_passwords WHERE user_id = $1 AND name = $2`, userID, name)
}

func (t *tx) DeleteUserAppPasswords(userID int64) error {
	_, err := t.exec(`DELETE FROM app_passwords WHERE user_id = $1`, userID)
	return err
}
