package storetest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/mfad/mfad"
)

// A test is one case of the suite; it gets a fresh, empty store.
type test struct {
	name string
	fn   func(t *testing.T, s mfad.Store)
}

// Run runs the conformance suite. open must return a fresh, empty, migrated
// store for each subtest, and close it when the subtest ends (t.Cleanup).
// Subtests run in parallel, so open must be safe to call concurrently.
func Run(t *testing.T, open func(t *testing.T) mfad.Store) {
	groups := [][]test{
		userTests, lockoutTests, factorTests, enrollmentTests, scratchTests,
		sessionTests, ticketTests, deviceTests, appPasswordTests, throttleTests,
		eventTests, outboxTests, settingTests, sealedTests, expiryTests, txTests, raceTests, verifyTests,
	}
	for _, g := range groups {
		for _, tt := range g {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				tt.fn(t, open(t))
			})
		}
	}
}

// t0 is the suite's reference time: UTC, with nanoseconds.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 123456789, time.UTC)

// at returns t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// update runs fn in a committed transaction and fails the test on error.
func update(t *testing.T, s mfad.Store, fn func(mfad.Tx) error) {
	t.Helper()
	if err := s.Update(t.Context(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// view runs fn in a read-only transaction and fails the test on error.
func view(t *testing.T, s mfad.Store, fn func(mfad.Tx) error) {
	t.Helper()
	if err := s.View(t.Context(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// wantErr checks that err is (or wraps) want; want nil means no error.
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: error %v, want %v", what, err, want)
	}
}

// A call is one step in its own transaction and the error it must end with.
type call struct {
	name string
	fn   func(mfad.Tx) error
	want error
}

type calls []call

// run runs each call in its own Update and checks its error.
func (cs calls) run(t *testing.T, s mfad.Store) {
	t.Helper()
	for _, c := range cs {
		wantErr(t, c.name, s.Update(t.Context(), c.fn), c.want)
	}
}

// equal checks got against want with reflect.DeepEqual.
func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// hash returns the SHA-256 of s, as the core hashes tokens.
func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// newUser returns a user with every field but ID and the lockout set.
func newUser(name, email string) *mfad.User {
	return &mfad.User{
		Name:              name,
		Email:             email,
		Role:              mfad.RoleUser,
		PasswordHash:      "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
		CreatedAt:         t0,
		PasswordChangedAt: at(time.Minute),
	}
}

// createUser creates a user and returns it with its ID.
func createUser(t *testing.T, s mfad.Store, name, email string) *mfad.User {
	t.Helper()
	u := newUser(name, email)
	update(t, s, func(tx mfad.Tx) error { return tx.CreateUser(u) })
	if u.ID == 0 {
		t.Fatalf("CreateUser(%q) set no ID", name)
	}
	return u
}

// getUser reads a user back; nil if there is none.
func getUser(t *testing.T, s mfad.Store, id int64) *mfad.User {
	t.Helper()
	return find(t, s, func(tx mfad.Tx) (*mfad.User, error) { return tx.UserByID(id) })
}

// find runs one lookup in a View and returns its result: nil for
// ErrNoRows. Any other error fails the test.
func find[T any](t *testing.T, s mfad.Store, lookup func(mfad.Tx) (*T, error)) *T {
	t.Helper()
	var v *T
	err := s.View(t.Context(), func(tx mfad.Tx) (err error) {
		v, err = lookup(tx)
		return err
	})
	if errors.Is(err, mfad.ErrNoRows) {
		return nil
	}
	if err != nil || v == nil {
		t.Fatalf("lookup: %v, %v", v, err)
	}
	return v
}

// token returns a distinct token hash for name and user.
func token(name string, userID int64) []byte {
	return hash(fmt.Sprintf("%s-%d", name, userID))
}
