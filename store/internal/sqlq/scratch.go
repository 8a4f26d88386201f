package sqlq

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/store/internal/column"
)

// ScratchCodes returns the user's unused scratch codes, by id.
func (t Tx) ScratchCodes(userID int64) ([]mfad.ScratchCode, error) {
	var codes []mfad.ScratchCode
	err := t.each(`SELECT id, user_id, code, used_at FROM scratch_codes
		WHERE user_id = ? AND used_at IS NULL ORDER BY id`, []any{userID}, func(s Scanner) error {
		var c mfad.ScratchCode
		if err := s.Scan(&c.ID, &c.UserID, &c.Code, column.Time{T: &c.UsedAt}); err != nil {
			return err
		}
		codes = append(codes, c)
		return nil
	})
	return codes, err
}

// ReplaceScratchCodes deletes all the user's codes, used or not, and
// inserts codes in one statement (one round trip on PostgreSQL), setting
// their ID and UserID; the ids rise in the order of codes. ErrNoRows: no
// such user.
func (t Tx) ReplaceScratchCodes(userID int64, codes []mfad.ScratchCode) error {
	if _, err := t.count(`SELECT 1 FROM users WHERE id = ?`, userID); err != nil {
		return err
	}
	if err := t.DeleteScratchCodes(userID); err != nil {
		return err
	}
	if len(codes) == 0 {
		return nil
	}
	values := strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", len(codes)), ", ")
	args := make([]any, 0, 3*len(codes))
	for _, c := range codes {
		args = append(args, userID, c.Code, column.Nanos(c.UsedAt))
	}
	// Both databases number the rows of one INSERT in the order of its
	// VALUES; RETURNING promises no order, so the ids are sorted.
	ids := make([]int64, 0, len(codes))
	err := t.each(`INSERT INTO scratch_codes (user_id, code, used_at) VALUES `+values+` RETURNING id`,
		args, func(s Scanner) error {
			var id int64
			err := s.Scan(&id)
			ids = append(ids, id)
			return err
		})
	if err != nil {
		return err
	}
	if len(ids) != len(codes) {
		return errors.New("store: ReplaceScratchCodes: insert returned a wrong number of ids")
	}
	slices.Sort(ids)
	for i := range codes {
		codes[i].ID, codes[i].UserID = ids[i], userID
	}
	return nil
}

// UseScratchCode marks the code used unless it is already, in one
// conditional update, and reports whether it did. The zero time is
// refused: it would leave the code unused.
func (t Tx) UseScratchCode(id int64, at time.Time) (bool, error) {
	if at.IsZero() {
		return false, errors.New("store: UseScratchCode: zero time")
	}
	n, err := t.exec(`UPDATE scratch_codes SET used_at = ? WHERE id = ? AND used_at IS NULL`, column.Nanos(at), id)
	return n == 1, err
}

func (t Tx) DeleteScratchCodes(userID int64) error {
	_, err := t.exec(`DELETE FROM scratch_codes WHERE user_id = ?`, userID)
	return err
}
