package postgres

import (
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/mfad/mfad"
)

// ScratchCodes returns the user's unused scratch codes, by id.
func (t *tx) ScratchCodes(userID int64) ([]mfad.ScratchCode, error) {
	var codes []mfad.ScratchCode
	err := t.each(`SELECT id, user_id, code, used_at FROM scratch_codes
		WHERE user_id = $1 AND used_at IS NULL ORDER BY id`, []any{userID}, func(s scanner) error {
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
// inserts codes in one round trip (a pipelined batch), setting their ID and
// UserID; the ids rise in the order of codes. ErrNoRows: no such user.
func (t *tx) ReplaceScratchCodes(userID int64, codes []mfad.ScratchCode) error {
	if _, err := t.count(`SELECT 1 FROM users WHERE id = $1`, userID); err != nil {
		return err
	}
	if err := t.DeleteScratchCodes(userID); err != nil {
		return err
	}
	if len(codes) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for i := range codes {
		c := &codes[i]
		b.Queue(`INSERT INTO scratch_codes (user_id, code, used_at) VALUES ($1, $2, $3) RETURNING id`,
			userID, c.Code, nanos(c.UsedAt)).QueryRow(func(r pgx.Row) error {
			c.UserID = userID
			return r.Scan(&c.ID)
		})
	}
	br, err := t.send(b)
	if err != nil {
		return err
	}
	return mapError(br.Close())
}

// UseScratchCode marks the code used unless it is already, in one
// conditional update, and reports whether it did. The zero time is refused:
// it would leave the code unused.
func (t *tx) UseScratchCode(id int64, at time.Time) (bool, error) {
	if at.IsZero() {
		return false, errors.New("postgres: UseScratchCode: zero time")
	}
	n, err := t.exec(`UPDATE scratch_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL`, nanos(at), id)
	return n == 1, err
}

func (t *tx) DeleteScratchCodes(userID int64) error {
	_, err := t.exec(`DELETE FROM scratch_codes WHERE user_id = $1`, userID)
	return err
}
