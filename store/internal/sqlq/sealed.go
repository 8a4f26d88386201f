package sqlq

import (
	"fmt"

	"github.com/mfad/mfad"
)

// sealedQuery selects every non-empty sealed value as (kind, user_id,
// row_id, value).
const sealedQuery = `
	SELECT CAST(? AS TEXT), user_id, CAST(0 AS BIGINT), secret FROM factors WHERE secret <> ''
	UNION ALL SELECT CAST(? AS TEXT), user_id, CAST(0 AS BIGINT), secret FROM enrollments WHERE secret <> ''
	UNION ALL SELECT CAST(? AS TEXT), user_id, CAST(0 AS BIGINT), scratch FROM enrollments WHERE scratch <> ''
	UNION ALL SELECT CAST(? AS TEXT), user_id, id, code FROM scratch_codes WHERE code <> ''
	ORDER BY 1, 2, 3`

// SealedValues returns every sealed value in the store (empty ones, such as
// an enrollment without scratch codes, left out), for key rotation.
func (t Tx) SealedValues() ([]mfad.Sealed, error) {
	var ss []mfad.Sealed
	args := []any{mfad.SealFactorSecret, mfad.SealEnrollmentSecret, mfad.SealEnrollmentCodes, mfad.SealScratchCode}
	err := t.each(sealedQuery, args, func(s Scanner) error {
		var x mfad.Sealed
		if err := s.Scan(&x.Kind, &x.UserID, &x.RowID, &x.Value); err != nil {
			return err
		}
		ss = append(ss, x)
		return nil
	})
	return ss, err
}

// UpdateSealed writes s.Value back to the row s names. ErrNoRows: the row is
// gone.
func (t Tx) UpdateSealed(s mfad.Sealed) error {
	switch s.Kind {
	case mfad.SealFactorSecret:
		return t.execOne(`UPDATE factors SET secret = ? WHERE user_id = ?`, s.Value, s.UserID)
	case mfad.SealEnrollmentSecret:
		return t.execOne(`UPDATE enrollments SET secret = ? WHERE user_id = ?`, s.Value, s.UserID)
	case mfad.SealEnrollmentCodes:
		return t.execOne(`UPDATE enrollments SET scratch = ? WHERE user_id = ?`, s.Value, s.UserID)
	case mfad.SealScratchCode:
		return t.execOne(`UPDATE scratch_codes SET code = ? WHERE id = ? AND user_id = ?`, s.Value, s.RowID, s.UserID)
	}
	return fmt.Errorf("store: unknown sealed kind %q", s.Kind)
}
