package storetest

import (
	"testing"
	"time"

	"github.com/mfad/mfad"
)

var factorTests = []test{
	{"Factors/PutGetDelete", testFactor},
	{"Factors/AdvanceStep", testAdvanceStep},
}

// newFactor returns a factor for the user.
func newFactor(userID int64) *mfad.Factor {
	return &mfad.Factor{
		UserID:    userID,
		Secret:    "v1.k1.sealed-secret",
		Algorithm: "SHA1",
		Digits:    6,
		Period:    30,
		LastStep:  100,
		Scratch:   mfad.DefaultScratchForm,
		EnabledAt: t0,
		Dialect:   "rest",
	}
}

// putFactor gives the user a factor.
func putFactor(t *testing.T, s mfad.Store, userID int64) *mfad.Factor {
	t.Helper()
	f := newFactor(userID)
	update(t, s, func(tx mfad.Tx) error { return tx.PutFactor(f) })
	return f
}

// getFactor reads a factor; nil if there is none.
func getFactor(t *testing.T, s mfad.Store, userID int64) *mfad.Factor {
	t.Helper()
	return find(t, s, func(tx mfad.Tx) (*mfad.Factor, error) { return tx.Factor(userID) })
}

func testFactor(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	other := createUser(t, s, "bob", "")
	if f := getFactor(t, s, u.ID); f != nil {
		t.Fatalf("new user has a factor: %+v", f)
	}
	f := putFactor(t, s, u.ID)
	putFactor(t, s, other.ID)
	equal(t, "Factor", getFactor(t, s, u.ID), f)

	replaced := &mfad.Factor{UserID: u.ID, Secret: "v1.k1.other", Algorithm: "SHA256", Digits: 8, Period: 60,
		LastStep: 7, Scratch: mfad.ScratchForm{Count: 5, Length: 8, Alphabet: mfad.Base32Alphabet},
		EnabledAt: at(time.Hour), Dialect: "zimbra"}
	update(t, s, func(tx mfad.Tx) error { return tx.PutFactor(replaced) })
	equal(t, "replaced Factor", getFactor(t, s, u.ID), replaced)

	err := s.Update(t.Context(), func(tx mfad.Tx) error { return tx.PutFactor(newFactor(999)) })
	wantErr(t, "PutFactor(unknown user)", err, mfad.ErrNoRows)
	countFactors(t, s, 2)
	update(t, s, func(tx mfad.Tx) error { return tx.DeleteFactor(u.ID) })
	if f := getFactor(t, s, u.ID); f != nil {
		t.Errorf("deleted factor still there: %+v", f)
	}
	err = s.Update(t.Context(), func(tx mfad.Tx) error { return tx.DeleteFactor(u.ID) })
	wantErr(t, "DeleteFactor again", err, mfad.ErrNoRows)
	countFactors(t, s, 1)
}

func countFactors(t *testing.T, s mfad.Store, want int) {
	t.Helper()
	view(t, s, func(tx mfad.Tx) error {
		n, err := tx.CountFactors()
		if err != nil || n != want {
			t.Errorf("CountFactors = %d, %v; want %d", n, err, want)
		}
		return nil
	})
}

func testAdvanceStep(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	none := createUser(t, s, "bob", "")
	putFactor(t, s, u.ID) // LastStep 100
	tests := []struct {
		user   int64
		step   int64
		offset int
		want   bool
	}{
		{u.ID, 100, 0, false}, // the last step again: a replay
		{u.ID, 99, 0, false},
		{u.ID, 101, 1, true},
		{u.ID, 101, 0, false},
		{u.ID, 105, -1, true},
		{u.ID, 103, 1, false},    // a replay changes no offset either
		{none.ID, 200, 0, false}, // no factor
		{999, 200, 0, false},     // no user
	}
	for _, tt := range tests {
		update(t, s, func(tx mfad.Tx) error {
			ok, err := tx.AdvanceStep(tt.user, tt.step, tt.offset)
			if err != nil || ok != tt.want {
				t.Errorf("AdvanceStep(%d, %d) = %v, %v; want %v", tt.user, tt.step, ok, err, tt.want)
			}
			return nil
		})
	}
	if f := getFactor(t, s, u.ID); f == nil || f.LastStep != 105 || f.ClockOffset != -1 {
		t.Errorf("factor = %+v; want LastStep 105, ClockOffset -1 (the last accepted code's)", f)
	}
}
