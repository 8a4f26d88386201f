package postgres

import (
	"fmt"

	"github.com/mfad/mfad"
)

// sealedQuery selects every non-empty sealed value as (kind, user_id,
// row_id, value).
const sealedQuery = `
	SELECT $1::TEXT, user_id, 0::BIGINT, secret FROM factors WHERE secret <> ''
	UNION ALL SELECT $2::TEXT, user_id, 0::BIGINT, secret FROM enrollments WHERE secret <> ''
	UNION ALL SELECT $3::TEXT, user_id, 0::BIGINT, scratch FROM enrollments WHERE scratch <> ''
	UNION ALL SELECT $4::TEXT, user_id, id, code FROM scratch_codes WHERE code <> ''
	ORDER BY 1, 2, 3`

// SealedValues returns every sealed value in the store (empty ones, such as
// an enrollment without scratch codes, left out), for key rotation.
func (t *tx) SealedValues() ([]mfad.Sealed, error) {
	var ss []mfad.Sealed
	args := []any{mfad.SealFactorSecret, mfad.SealEnrollmentSecret, mfad.SealEnrollmentCodes, mfad.SealScratchCode}
	err := t.each(sealedQuery, args, func(s scanner) error {
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
func (t *tx) UpdateSealed(s mfad.Sealed) error {
	switch s.Kind {
	case mfad.SealFactorSecret:
		return t.execOne(`UPDATE factors SET secret = $1 WHERE user_id = $2`, s.Value, s.UserID)
	case mfad.SealEnrollmentSecret:
		return t.execOne(`UPDATE enrollments SET secret = $1 WHERE user_id = $2`, s.Value, s.UserID)
	case mfad.SealEnrollmentCodes:
		return t.execOne(`UPDATE enrollments SET scratch = $1 WHERE user_id = $2`, s.Value, s.UserID)
	case mfad.SealScratchCode:
		return t.execOne(`UPDATE scratch_codes SET code = $1 WHERE id = $2 AND user_id = $3`, s.Value, s.RowID, s.UserID)
	}
	return fmt.Errorf("postgres: unknown sealed kind %q", s.Kind)
}
