package storetest

import (
	"testing"
	"time"

	"github.com/mfad/mfad"
)

var enrollmentTests = []test{
	{"Enrollments/PutGetDelete", testEnrollment},
	{"Enrollments/Errors", testEnrollmentErrors},
	{"Enrollments/Failures", testEnrollmentFailures},
}

func newEnrollment(userID int64, tok string) *mfad.Enrollment {
	return &mfad.Enrollment{
		UserID:    userID,
		TokenHash: hash(tok),
		Secret:    "v1.k1.pending-secret",
		Algorithm: "SHA1",
		Digits:    6,
		Period:    30,
		Scratch:   "v1.k1.pending-codes",
		Form:      mfad.ScratchForm{Count: 5, Length: 8, Alphabet: mfad.Digits},
		CreatedBy: userID,
		Dialect:   "veeam",
		CreatedAt: t0,
		ExpiresAt: at(10 * time.Minute),
		SessionID: 7,
	}
}

func putEnrollment(t *testing.T, s mfad.Store, e *mfad.Enrollment) {
	t.Helper()
	update(t, s, func(tx mfad.Tx) error { return tx.PutEnrollment(e) })
}

func enrollmentByToken(t *testing.T, s mfad.Store, tok string) *mfad.Enrollment {
	t.Helper()
	return find(t, s, func(tx mfad.Tx) (*mfad.Enrollment, error) { return tx.EnrollmentByToken(hash(tok)) })
}

func testEnrollment(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	e := newEnrollment(u.ID, "tok1")
	putEnrollment(t, s, e)
	equal(t, "Enrollment", find(t, s, func(tx mfad.Tx) (*mfad.Enrollment, error) { return tx.Enrollment(u.ID) }), e)
	equal(t, "EnrollmentByToken", enrollmentByToken(t, s, "tok1"), e)

	// Preparing again replaces, token and all; an admin may prepare.
	e2 := newEnrollment(u.ID, "tok2")
	e2.Secret, e2.Scratch, e2.CreatedBy, e2.Form = "v1.k1.second", "", 42, mfad.DefaultScratchForm
	e2.SessionID, e2.PasswordProof = 0, true
	putEnrollment(t, s, e2)
	if got := enrollmentByToken(t, s, "tok1"); got != nil {
		t.Errorf("replaced token still finds %+v", got)
	}
	equal(t, "replaced enrollment", enrollmentByToken(t, s, "tok2"), e2)

	// An enrollment without a token hash (confirmed by its secret).
	e3 := newEnrollment(u.ID, "")
	e3.TokenHash = nil
	putEnrollment(t, s, e3)
	equal(t, "enrollment without token",
		find(t, s, func(tx mfad.Tx) (*mfad.Enrollment, error) { return tx.Enrollment(u.ID) }), e3)

	update(t, s, func(tx mfad.Tx) error { return tx.DeleteEnrollment(u.ID) })
	if got := find(t, s, func(tx mfad.Tx) (*mfad.Enrollment, error) { return tx.Enrollment(u.ID) }); got != nil {
		t.Errorf("deleted enrollment still there: %+v", got)
	}
	err := s.Update(t.Context(), func(tx mfad.Tx) error { return tx.DeleteEnrollment(u.ID) })
	wantErr(t, "DeleteEnrollment again", err, mfad.ErrNoRows)
}

func testEnrollmentErrors(t *testing.T, s mfad.Store) {
	a := createUser(t, s, "alice", "")
	b := createUser(t, s, "bob", "")
	putEnrollment(t, s, newEnrollment(a.ID, "tok"))
	err := s.Update(t.Context(), func(tx mfad.Tx) error { return tx.PutEnrollment(newEnrollment(b.ID, "tok")) })
	wantErr(t, "PutEnrollment(taken token)", err, mfad.ErrDuplicate)
	err = s.Update(t.Context(), func(tx mfad.Tx) error { return tx.PutEnrollment(newEnrollment(999, "x")) })
	wantErr(t, "PutEnrollment(unknown user)", err, mfad.ErrNoRows)
	view(t, s, func(tx mfad.Tx) error {
		_, err := tx.Enrollment(b.ID)
		wantErr(t, "Enrollment(none)", err, mfad.ErrNoRows)
		_, err = tx.EnrollmentByToken(hash("unknown"))
		wantErr(t, "EnrollmentByToken(unknown)", err, mfad.ErrNoRows)
		_, err = tx.EnrollmentByToken(nil)
		wantErr(t, "EnrollmentByToken(nil)", err, mfad.ErrNoRows)
		return nil
	})
}

// testEnrollmentFailures: wrong codes are counted on the enrollment, racing
// ones all count, and preparing again starts from 0.
func testEnrollmentFailures(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	e := newEnrollment(u.ID, "tok")
	e.Failures = 3 // ignored: a new enrollment has none
	putEnrollment(t, s, e)
	stored := func() *mfad.Enrollment {
		return find(t, s, func(tx mfad.Tx) (*mfad.Enrollment, error) { return tx.Enrollment(u.ID) })
	}
	if got := stored().Failures; got != 0 {
		t.Errorf("Failures of a new enrollment = %d", got)
	}
	var n int
	update(t, s, func(tx mfad.Tx) (err error) { n, err = tx.AddEnrollmentFailure(u.ID); return err })
	if n != 1 || stored().Failures != 1 {
		t.Errorf("AddEnrollmentFailure = %d, stored %d; want 1", n, stored().Failures)
	}
	errs := race(t, s, 20, func(_ int, tx mfad.Tx) error { _, err := tx.AddEnrollmentFailure(u.ID); return err })
	tally(t, errs)
	if got := stored().Failures; got != 21 {
		t.Errorf("after 20 racing failures: %d; want 21", got)
	}
	putEnrollment(t, s, newEnrollment(u.ID, "tok2"))
	if got := stored().Failures; got != 0 {
		t.Errorf("Failures after preparing again = %d", got)
	}
	b := createUser(t, s, "bob", "")
	err := s.Update(t.Context(), func(tx mfad.Tx) error { _, err := tx.AddEnrollmentFailure(b.ID); return err })
	wantErr(t, "AddEnrollmentFailure(no enrollment)", err, mfad.ErrNoRows)
}
