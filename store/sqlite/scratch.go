package sqlite

import (
	"errors"
	"time"

	"github.com/mfad/mfad"
)

// ScratchCodes returns the user's unused scratch codes, by id.
func (t *tx) ScratchCodes(userID int64) ([]mfad.ScratchCode, error) {
	var codes []mfad.ScratchCode
	err := t.each(`SELECT id, user_id, code, used_at FROM scratch_codes
		WHERE user_id = ? AND used_at IS NULL ORDER BY id`, []any{userID}, func(s scanner) error {
		var c mfad.ScratchCode
		if err := s.Scan(&c.ID, &c.UserID, &c.Code, timeDest{T: &c.UsedAt}); err != nil {
			return err
		}
		codes = append(codes, c)
		return nil
	})
	return codes, err
}

// ReplaceScratchCodes deletes all the user's codes, used or not, and
// inserts codes, setting their ID and UserID. ErrNoRows: no such user.
func (t *tx) ReplaceScratchCodes(userID int64, codes []mfad.ScratchCode) error {
	if _, err := t.UserByID(userID); err != nil {
		return err
	}
	if err := t.DeleteScratchCodes(userID); err != nil {
		return err
	}
	for i := range codes {
		c := &codes[i]
		err := t.row(`INSERT INTO scratch_codes (user_id, code, used_at) VALUES (?, ?, ?) RETURNING id`,
			userID, c.Code, nanos(c.UsedAt)).Scan(&c.ID)
		if err != nil {
			return err
		}
		c.UserID = userID
	}
	return nil
}

// UseScratchCode marks the code used unless it is already, and reports
// whether it did. The zero time is refused: it would leave the code unused.
func (t *tx) UseScratchCode(id int64, at time.Time) (bool, error) {
	if at.IsZero() {
		return false, errors.New("sqlite: UseScratchCode: zero time")
	}
	n, err := t.exec(`UPDATE scratch_codes SET used_at = ? WHERE id = ? AND used_at IS NULL`, nanos(at), id)
	return n == 1, err
}

func (t *tx) DeleteScratchCodes(userID int64) error {
	_, err := t.exec(`DELETE FROM scratch_codes WHERE user_id = ?`, userID)
	return err
}
