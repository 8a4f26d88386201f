package storetest

import (
	"cmp"
	"slices"
	"strings"
	"testing"

	"github.com/mfad/mfad"
)

var sealedTests = []test{
	{"Sealed/ListAndUpdate", testSealed},
}

// bySealedRow orders sealed values by kind, user and row.
func bySealedRow(x, y mfad.Sealed) int {
	return cmp.Or(strings.Compare(x.Kind, y.Kind), cmp.Compare(x.UserID, y.UserID), cmp.Compare(x.RowID, y.RowID))
}

// sealedValues lists the sealed values, in bySealedRow order.
func sealedValues(t *testing.T, s mfad.Store) []mfad.Sealed {
	t.Helper()
	var ss []mfad.Sealed
	view(t, s, func(tx mfad.Tx) (err error) {
		ss, err = tx.SealedValues()
		return err
	})
	slices.SortFunc(ss, bySealedRow)
	return ss
}

func testSealed(t *testing.T, s mfad.Store) {
	a := createUser(t, s, "alice", "")
	b := createUser(t, s, "bob", "")
	putFactor(t, s, a.ID) // secret "v1.k1.sealed-secret"
	codes := replaceCodes(t, s, a.ID, 2, "code")
	putEnrollment(t, s, newEnrollment(b.ID, "tok")) // a secret and codes
	noCodes := newEnrollment(a.ID, "tok-a")
	noCodes.Scratch = "" // nothing sealed: not listed
	putEnrollment(t, s, noCodes)

	want := []mfad.Sealed{
		{Kind: mfad.SealFactorSecret, UserID: a.ID, Value: "v1.k1.sealed-secret"},
		{Kind: mfad.SealEnrollmentSecret, UserID: a.ID, Value: "v1.k1.pending-secret"},
		{Kind: mfad.SealEnrollmentSecret, UserID: b.ID, Value: "v1.k1.pending-secret"},
		{Kind: mfad.SealEnrollmentCodes, UserID: b.ID, Value: "v1.k1.pending-codes"},
		{Kind: mfad.SealScratchCode, UserID: a.ID, RowID: codes[0].ID, Value: "v1.k1.code0"},
		{Kind: mfad.SealScratchCode, UserID: a.ID, RowID: codes[1].ID, Value: "v1.k1.code1"},
	}
	slices.SortFunc(want, bySealedRow)
	equal(t, "SealedValues", sealedValues(t, s), want)

	for i := range want { // re-seal each value under "k2"
		want[i].Value = strings.Replace(want[i].Value, ".k1.", ".k2.", 1)
		update(t, s, func(tx mfad.Tx) error { return tx.UpdateSealed(want[i]) })
	}
	equal(t, "SealedValues after UpdateSealed", sealedValues(t, s), want)
	if f := getFactor(t, s, a.ID); f.Secret != "v1.k2.sealed-secret" {
		t.Errorf("factor secret not re-sealed: %+v", f)
	}
	if cs := scratchCodes(t, s, a.ID); len(cs) != 2 || cs[0].Code != "v1.k2.code0" {
		t.Errorf("scratch codes not re-sealed: %+v", cs)
	}

	calls([]call{
		{"UpdateSealed(no factor)", func(tx mfad.Tx) error {
			return tx.UpdateSealed(mfad.Sealed{Kind: mfad.SealFactorSecret, UserID: b.ID, Value: "x"})
		}, mfad.ErrNoRows},
		{"UpdateSealed(another user's code)", func(tx mfad.Tx) error {
			return tx.UpdateSealed(mfad.Sealed{Kind: mfad.SealScratchCode, UserID: b.ID, RowID: codes[0].ID, Value: "x"})
		}, mfad.ErrNoRows},
	}).run(t, s)
	err := s.Update(t.Context(), func(tx mfad.Tx) error {
		return tx.UpdateSealed(mfad.Sealed{Kind: "bogus", UserID: a.ID, Value: "x"})
	})
	if err == nil {
		t.Errorf("UpdateSealed(unknown kind) accepted")
	}
}
