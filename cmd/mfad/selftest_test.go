package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad"
)

// TestSelftestCommand: on SQLite every check passes and the clock is
// skipped with a note; the report ends in one verdict line.
func TestSelftestCommand(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	if _, errs, err := opsRun(t, dir, "", 1, "init"); err != nil {
		t.Fatal(err, errs)
	}
	out, errs, err := opsRun(t, dir, "", 1, "selftest")
	if err != nil {
		t.Fatalf("selftest: %v\n%s\n%s", err, out, errs)
	}
	want := regexp.MustCompile(`^otp:   ok \(RFC 4226 and RFC 6238 vectors, SHA1/SHA256/SHA512\)
keys:  ok \(the key ring opens the database's key check values\)
clock: skipped \(SQLite has no server clock to compare with\)
users: ok \(every email is one address\)
mfad selftest: PASS \(\S+, \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)
$`)
	if !want.MatchString(out) {
		t.Errorf("report:\n%s", out)
	}
	// Issue 30, item 4: another master key fails the keys check, in the
	// report, with every other line and the FAIL verdict.
	var other bytes.Buffer
	if err := run(t.Context(), []string{"keys", "generate"}, strings.NewReader(""), &other, io.Discard); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MFAD_MASTER_KEY", other.String())
	out, _, err = opsRun(t, dir, "", 1, "selftest")
	wrongKey := regexp.MustCompile(`^otp:   ok \(.*\)
keys:  FAIL: the master key \(MFAD_MASTER_KEY\) is not the one this database was sealed with: .*
clock: skipped .*
users: ok .*
mfad selftest: FAIL \(.*\)
$`)
	if err == nil || !wrongKey.MatchString(out) {
		t.Errorf("selftest with another master key: %v, report:\n%s", err, out)
	}
	// A key ring that does not even parse: a store line, and the verdict.
	t.Setenv("MFAD_MASTER_KEY", "k9:"+strings.Repeat("A", 43)+"=")
	out, _, err = opsRun(t, dir, "", 1, "selftest")
	if err == nil || !strings.HasPrefix(out, "otp:   ok") || !strings.Contains(out, "\nstore: FAIL: MFAD_MASTER_KEY") || !strings.Contains(out, "mfad selftest: FAIL") {
		t.Errorf("selftest with a ring that does not parse: %v, report:\n%s", err, out)
	}
}

// clockStore is a store whose server clock is off by skew (or fails).
type clockStore struct {
	mfad.Store
	skew time.Duration
	err  error
}

func (c clockStore) ServerTime(context.Context) (time.Time, error) {
	return time.Now().Add(c.skew), c.err
}

// TestSelftestClock: a database server clock within 10 s passes, beyond
// fails with the skew named, and an unreachable server fails.
func TestSelftestClock(t *testing.T) {
	a, _ := opsApp(t)
	real := a.store
	tests := []struct {
		name string
		st   clockStore
		ok   bool
		text string
	}{
		{"in step", clockStore{skew: time.Second}, true, "clock: ok ("},
		{"45 s ahead", clockStore{skew: 45 * time.Second}, false, "clock: FAIL: this machine's clock is 45s behind the database server's"},
		{"a minute behind", clockStore{skew: -time.Minute}, false, "clock: FAIL: this machine's clock is 1m0s ahead of the database server's"},
		{"no server", clockStore{err: errors.New("connection refused")}, false, "clock: FAIL: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.st.Store = real
			a.store = tt.st
			checks, ok := a.selftest(t.Context())
			var b bytes.Buffer
			writeSelftest(&b, checks, ok, time.Now())
			if ok != tt.ok || !strings.Contains(b.String(), tt.text) {
				t.Errorf("ok %v, report:\n%s", ok, b.String())
			}
			verdict := "mfad selftest: PASS"
			if !tt.ok {
				verdict = "mfad selftest: FAIL"
			}
			if !strings.Contains(b.String(), verdict) {
				t.Errorf("no %q in:\n%s", verdict, b.String())
			}
		})
	}
	a.store = real
}

// TestSelftestEmails (issue 26, item 4): a user row whose email is not one
// address (written before the core refused such) fails selftest, which
// names the user and never the address.
func TestSelftestEmails(t *testing.T) {
	a, _ := opsApp(t)
	err := a.store.Update(t.Context(), func(tx mfad.Tx) error {
		return tx.CreateUser(&mfad.User{Name: "victim", Email: "v@example.org,attacker@evil.com", Role: mfad.RoleUser,
			PasswordHash: "x", CreatedAt: time.Now(), PasswordChangedAt: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	checks, ok := a.selftest(t.Context())
	var b bytes.Buffer
	writeSelftest(&b, checks, ok, time.Now())
	report := b.String()
	if ok || !strings.Contains(report, `users: FAIL: 1 users have an email that is not one address`) ||
		!strings.Contains(report, `"victim"`) || strings.Contains(report, "evil.com") || !strings.Contains(report, "mfad selftest: FAIL") {
		t.Errorf("report:\n%s", report)
	}
}
