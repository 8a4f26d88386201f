package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/mfad/mfad"
)

var scratchTests = []test{
	{"ScratchCodes/ReplaceAndUse", testScratchCodes},
	{"ScratchCodes/Errors", testScratchErrors},
}

// replaceCodes gives the user n fresh codes and returns them with their IDs.
func replaceCodes(t *testing.T, s mfad.Store, userID int64, n int, prefix string) []mfad.ScratchCode {
	t.Helper()
	codes := make([]mfad.ScratchCode, n)
	for i := range codes {
		codes[i].Code = fmt.Sprintf("v1.k1.%s%d", prefix, i)
	}
	update(t, s, func(tx mfad.Tx) error { return tx.ReplaceScratchCodes(userID, codes) })
	return codes
}

func scratchCodes(t *testing.T, s mfad.Store, userID int64) []mfad.ScratchCode {
	t.Helper()
	var codes []mfad.ScratchCode
	view(t, s, func(tx mfad.Tx) (err error) {
		codes, err = tx.ScratchCodes(userID)
		return err
	})
	return codes
}

func useCode(t *testing.T, s mfad.Store, id int64) bool {
	t.Helper()
	var ok bool
	update(t, s, func(tx mfad.Tx) (err error) {
		ok, err = tx.UseScratchCode(id, at(time.Minute))
		return err
	})
	return ok
}

func testScratchCodes(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	other := createUser(t, s, "bob", "")
	codes := replaceCodes(t, s, u.ID, 5, "a")
	otherCodes := replaceCodes(t, s, other.ID, 3, "b")
	seen := map[int64]bool{}
	for i, c := range codes {
		if c.ID == 0 || seen[c.ID] || c.UserID != u.ID || i > 0 && c.ID <= codes[i-1].ID {
			t.Fatalf("codes not given distinct rising IDs and the user: %+v", codes)
		}
		seen[c.ID] = true
	}
	equal(t, "ScratchCodes", scratchCodes(t, s, u.ID), codes)

	if !useCode(t, s, codes[2].ID) {
		t.Errorf("UseScratchCode: first use refused")
	}
	if useCode(t, s, codes[2].ID) {
		t.Errorf("UseScratchCode: second use accepted")
	}
	want := append(append([]mfad.ScratchCode{}, codes[:2]...), codes[3:]...)
	equal(t, "unused codes", scratchCodes(t, s, u.ID), want)

	// Replacing deletes used and unused codes alike.
	fresh := replaceCodes(t, s, u.ID, 2, "c")
	equal(t, "replaced codes", scratchCodes(t, s, u.ID), fresh)
	for _, c := range codes {
		if useCode(t, s, c.ID) {
			t.Errorf("old code %d usable after ReplaceScratchCodes", c.ID)
		}
	}
	update(t, s, func(tx mfad.Tx) error { return tx.DeleteScratchCodes(u.ID) })
	if got := scratchCodes(t, s, u.ID); len(got) != 0 {
		t.Errorf("codes left after DeleteScratchCodes: %+v", got)
	}
	equal(t, "other user's codes", scratchCodes(t, s, other.ID), otherCodes)
}

func testScratchErrors(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	codes := replaceCodes(t, s, u.ID, 1, "a")
	if useCode(t, s, 999999) {
		t.Errorf("UseScratchCode(unknown id) = true")
	}
	err := s.Update(t.Context(), func(tx mfad.Tx) error {
		_, err := tx.UseScratchCode(codes[0].ID, time.Time{})
		return err
	})
	if err == nil {
		t.Errorf("UseScratchCode(zero time) accepted")
	}
	equal(t, "code after refused use", scratchCodes(t, s, u.ID), codes)
	err = s.Update(t.Context(), func(tx mfad.Tx) error {
		return tx.ReplaceScratchCodes(999, []mfad.ScratchCode{{Code: "x"}})
	})
	wantErr(t, "ReplaceScratchCodes(unknown user)", err, mfad.ErrNoRows)
	update(t, s, func(tx mfad.Tx) error { return tx.DeleteScratchCodes(999) })
	if got := scratchCodes(t, s, 999); len(got) != 0 {
		t.Errorf("ScratchCodes(unknown user) = %+v", got)
	}
}
