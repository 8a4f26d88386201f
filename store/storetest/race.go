package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mfad/mfad"
)

var raceTests = []test{
	{"Race/AdvanceStep", testRaceAdvanceStep},
	{"Race/RecordMFAFailure", testRaceMFAFailures},
	{"Race/UseScratchCode", testRaceScratchCode},
	{"Race/RotateRefresh", testRaceRotateRefresh},
	{"Race/Ticket", testRaceTicket},
	{"Race/Enrollment", testRaceEnrollment},
	{"Race/Namespace", testRaceNamespace},
}

// race runs fn(i) for i in [0, n) in n goroutines, each in its own Update,
// released at once, and returns the errors Update returned.
func race(t *testing.T, s mfad.Store, n int, fn func(i int, tx mfad.Tx) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.Update(t.Context(), func(tx mfad.Tx) error { return fn(i, tx) })
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// tally counts the errors that are nil and fails on any not in allowed.
func tally(t *testing.T, errs []error, allowed ...error) (ok int) {
	t.Helper()
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !slices.ContainsFunc(allowed, func(a error) bool { return errors.Is(err, a) }):
			t.Errorf("unexpected error: %v", err)
		}
	}
	return ok
}

// won records true results of a racing call.
type won struct {
	mu sync.Mutex
	n  int
}

func (w *won) add(ok bool) {
	if ok {
		w.mu.Lock()
		w.n++
		w.mu.Unlock()
	}
}

// testRaceAdvanceStep: 100 transactions accept one TOTP step; one wins.
func testRaceAdvanceStep(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	putFactor(t, s, u.ID) // LastStep 100
	var w won
	errs := race(t, s, 100, func(_ int, tx mfad.Tx) error {
		ok, err := tx.AdvanceStep(u.ID, 101, 0)
		w.add(ok)
		return err
	})
	tally(t, errs)
	if w.n != 1 {
		t.Errorf("%d of 100 AdvanceStep(101) won; want exactly 1", w.n)
	}
}

// testRaceMFAFailures: 50 concurrent failures lose no increment.
func testRaceMFAFailures(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	counts := make([]int, 50)
	errs := race(t, s, 50, func(i int, tx mfad.Tx) error {
		got, err := tx.RecordMFAFailure(u.ID, func(n int) (time.Time, bool) {
			return at(time.Duration(n) * time.Second), n == 25
		})
		if err == nil {
			counts[i] = got.MFAFailures
		}
		return err
	})
	tally(t, errs)
	slices.Sort(counts)
	for i, c := range counts {
		if c != i+1 {
			t.Fatalf("returned counts are not 1..50: %v", counts)
		}
	}
	got := getUser(t, s, u.ID)
	if got.MFAFailures != 50 || !got.MFALockedUntil.Equal(at(50*time.Second)) || !got.MFAHardLocked {
		t.Errorf("after 50 failures: %d, until %v, hard %v; want 50, %v, true",
			got.MFAFailures, got.MFALockedUntil, got.MFAHardLocked, at(50*time.Second))
	}
}

// testRaceScratchCode: 20 transactions use one scratch code; one wins.
func testRaceScratchCode(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	codes := replaceCodes(t, s, u.ID, 2, "a")
	var w won
	errs := race(t, s, 20, func(_ int, tx mfad.Tx) error {
		ok, err := tx.UseScratchCode(codes[0].ID, t0)
		w.add(ok)
		return err
	})
	tally(t, errs)
	if w.n != 1 {
		t.Errorf("%d of 20 UseScratchCode won; want exactly 1", w.n)
	}
	equal(t, "unused codes", scratchCodes(t, s, u.ID), codes[1:])
}

// testRaceRotateRefresh: 20 transactions rotate one refresh token; one
// wins, and every other finds nothing to rotate but, in its own
// transaction, the winner's record of the used token.
func testRaceRotateRefresh(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	x := createSession(t, s, u.ID, "a")
	var mu sync.Mutex
	var winner []byte
	var seen [][]byte
	errs := race(t, s, 20, func(i int, tx mfad.Tx) error {
		next := tokens(fmt.Sprint("a", i))
		_, err := tx.RotateRefresh(hash("refresh-a"), t0, next, keyOf(next))
		mu.Lock()
		defer mu.Unlock()
		if err == nil {
			winner = keyOf(next)
			return nil
		}
		if !errors.Is(err, mfad.ErrNoRows) {
			return err
		}
		used, err := tx.UsedRefresh(hash("refresh-a"), t0)
		if err != nil {
			return err
		}
		if used.SessionID != x.ID {
			t.Errorf("UsedRefresh names session %d; want %d", used.SessionID, x.ID)
		}
		seen = append(seen, used.Key)
		return nil
	})
	if ok := tally(t, errs); ok != 20 || winner == nil {
		t.Fatalf("%d of 20 transactions ended well, winner %q", ok, winner)
	}
	for _, k := range seen {
		if string(k) != string(winner) {
			t.Errorf("a loser saw key %q; want the winner's %q", k, winner)
		}
	}
	if len(seen) != 19 {
		t.Errorf("%d losers; want 19", len(seen))
	}
	if sessionByID(t, s, x.ID) == nil {
		t.Errorf("the store revoked the session itself")
	}
}

// testRaceTicket: failures on one ticket lose no increment, and of 20
// transactions using it, one deletes it.
func testRaceTicket(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	k := createTicket(t, s, u.ID, "a")
	counts := make([]int, 20)
	errs := race(t, s, 20, func(i int, tx mfad.Tx) (err error) {
		counts[i], err = tx.AddTicketFailure(k.ID)
		return err
	})
	tally(t, errs)
	slices.Sort(counts)
	for i, c := range counts {
		if c != i+1 {
			t.Fatalf("AddTicketFailure counts are not 1..20: %v", counts)
		}
	}
	errs = race(t, s, 20, func(_ int, tx mfad.Tx) error { return tx.DeleteTicket(k.ID) })
	if ok := tally(t, errs, mfad.ErrNoRows); ok != 1 {
		t.Errorf("%d of 20 DeleteTicket succeeded; want exactly 1", ok)
	}
}

// testRaceEnrollment: of 20 confirmations of one enrollment, one deletes it.
func testRaceEnrollment(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "")
	putEnrollment(t, s, newEnrollment(u.ID, "tok"))
	errs := race(t, s, 20, func(_ int, tx mfad.Tx) error {
		e, err := tx.EnrollmentByToken(hash("tok"))
		if err != nil {
			return err
		}
		if err := tx.DeleteEnrollment(e.UserID); err != nil {
			return err
		}
		return tx.PutFactor(newFactor(e.UserID))
	})
	if ok := tally(t, errs, mfad.ErrNoRows); ok != 1 {
		t.Errorf("%d of 20 confirmations succeeded; want exactly 1", ok)
	}
}

// testRaceNamespace: 20 users created at once, half with the name "shared",
// half with the email "SHARED": one gets it.
func testRaceNamespace(t *testing.T, s mfad.Store) {
	errs := race(t, s, 20, func(i int, tx mfad.Tx) error {
		u := newUser("shared", "")
		if i%2 == 1 {
			u = newUser(fmt.Sprint("user", i), "SHARED")
		}
		return tx.CreateUser(u)
	})
	if ok := tally(t, errs, mfad.ErrDuplicate); ok != 1 {
		t.Errorf("%d of 20 CreateUser won the name; want exactly 1", ok)
	}
}
