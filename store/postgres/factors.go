package postgres

import "github.com/mfad/mfad"

const factorColumns = `user_id, secret, algorithm, digits, period, last_step,
	scratch_count, scratch_length, scratch_alphabet, enabled_at, dialect`

func (t *tx) Factor(userID int64) (*mfad.Factor, error) {
	f := &mfad.Factor{}
	err := t.row(`SELECT `+factorColumns+` FROM factors WHERE user_id = $1`, userID).Scan(
		&f.UserID, &f.Secret, &f.Algorithm, &f.Digits, &f.Period, &f.LastStep,
		&f.Scratch.Count, &f.Scratch.Length, &f.Scratch.Alphabet, timeDest{T: &f.EnabledAt}, &f.Dialect)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// PutFactor inserts the user's factor or replaces it. ErrNoRows: no such
// user.
func (t *tx) PutFactor(f *mfad.Factor) error {
	_, err := t.exec(`INSERT INTO factors (`+factorColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, algorithm = excluded.algorithm,
		digits = excluded.digits, period = excluded.period, last_step = excluded.last_step,
		scratch_count = excluded.scratch_count, scratch_length = excluded.scratch_length,
		scratch_alphabet = excluded.scratch_alphabet, enabled_at = excluded.enabled_at,
		dialect = excluded.dialect`,
		f.UserID, f.Secret, f.Algorithm, f.Digits, f.Period, f.LastStep,
		f.Scratch.Count, f.Scratch.Length, f.Scratch.Alphabet, nanos(f.EnabledAt), f.Dialect)
	return err
}

func (t *tx) DeleteFactor(userID int64) error {
	return t.execOne(`DELETE FROM factors WHERE user_id = $1`, userID)
}

// AdvanceStep is one conditional update. Of transactions racing on one
// step, the first takes the row lock; the others wait for its commit, then
// PostgreSQL re-checks last_step < step on the committed row (READ
// COMMITTED), finds it false and changes nothing. A user without a factor
// gets false.
func (t *tx) AdvanceStep(userID, step int64) (bool, error) {
	n, err := t.exec(`UPDATE factors SET last_step = $1 WHERE user_id = $2 AND last_step < $1`, step, userID)
	return n == 1, err
}

func (t *tx) CountFactors() (int, error) {
	return t.count(`SELECT COUNT(*) FROM factors`)
}
