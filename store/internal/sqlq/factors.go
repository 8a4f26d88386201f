package sqlq

import (
	"github.com/mfad/mfad"
	"github.com/mfad/mfad/store/internal/column"
)

const factorColumns = `user_id, secret, algorithm, digits, period, last_step,
	scratch_count, scratch_length, scratch_alphabet, enabled_at, dialect, clock_offset`

func (t Tx) Factor(userID int64) (*mfad.Factor, error) {
	f := &mfad.Factor{}
	err := t.row(`SELECT `+factorColumns+` FROM factors WHERE user_id = ?`, userID).Scan(
		&f.UserID, &f.Secret, &f.Algorithm, &f.Digits, &f.Period, &f.LastStep,
		&f.Scratch.Count, &f.Scratch.Length, &f.Scratch.Alphabet, column.Time{T: &f.EnabledAt}, &f.Dialect, &f.ClockOffset)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// PutFactor inserts the user's factor or replaces it. ErrNoRows: no such
// user.
func (t Tx) PutFactor(f *mfad.Factor) error {
	_, err := t.exec(`INSERT INTO factors (`+factorColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, algorithm = excluded.algorithm,
		digits = excluded.digits, period = excluded.period, last_step = excluded.last_step,
		scratch_count = excluded.scratch_count, scratch_length = excluded.scratch_length,
		scratch_alphabet = excluded.scratch_alphabet, enabled_at = excluded.enabled_at,
		dialect = excluded.dialect, clock_offset = excluded.clock_offset`,
		f.UserID, f.Secret, f.Algorithm, f.Digits, f.Period, f.LastStep,
		f.Scratch.Count, f.Scratch.Length, f.Scratch.Alphabet, column.Nanos(f.EnabledAt), f.Dialect, f.ClockOffset)
	return err
}

func (t Tx) DeleteFactor(userID int64) error {
	return t.execOne(`DELETE FROM factors WHERE user_id = ?`, userID)
}

// AdvanceStep is one conditional update, so that of two transactions
// racing on one step exactly one changes the row. A user without a factor
// gets false. The code's clock offset is written by the same statement, so
// recording the drift costs no round trip.
func (t Tx) AdvanceStep(userID, step int64, offset int) (bool, error) {
	n, err := t.exec(`UPDATE factors SET last_step = ?, clock_offset = ? WHERE user_id = ? AND last_step < ?`, step, offset, userID, step)
	return n == 1, err
}

func (t Tx) CountFactors() (int, error) {
	return t.count(`SELECT COUNT(*) FROM factors`)
}
