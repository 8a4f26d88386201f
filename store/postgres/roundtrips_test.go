package postgres_test

import (
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/internal/coretest"
	"github.com/mfad/mfad/otp"
	"github.com/mfad/mfad/store/postgres"
	"github.com/mfad/mfad/store/postgres/pgtest"
)

// TestVerifyRoundTrips holds the verify path to its budget on PostgreSQL
// (issue 17): a step-up is one transaction of at most 3 round trips, a
// login's second step at most 4, each reading session (or ticket), user
// and factor once. A wrong code costs no more than a right one. It counts
// what the store sends (StoreCounts), so it fails if a statement is added,
// a read is repeated or the pipelining stops.
func TestVerifyRoundTrips(t *testing.T) {
	pgtest.URL(t)
	db, _ := mustOpen(t)
	clock := coretest.NewClock(time.Date(2030, 1, 1, 0, 0, 5, 0, time.UTC))
	cfg := auth.DefaultConfig()
	cfg.Password = coretest.PasswordParams
	svc := auth.New(db, coretest.NewRing(t, "k1"), cfg, auth.WithClock(clock.Now))
	ctx := t.Context()
	if err := svc.CheckKeys(ctx); err != nil {
		t.Fatal(err)
	}
	sys := auth.System("test")
	phc, err := auth.NewSeeder(svc).HashPassword(ctx, sys, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("12345678901234567890")
	seeded, err := auth.NewSeeder(svc).SeedUsers(ctx, sys, auth.Seed{PasswordHash: phc, Users: []auth.SeedUser{{Name: "alice", Secret: secret}}})
	if err != nil {
		t.Fatal(err)
	}
	key := otp.Key{Secret: secret, Algorithm: otp.SHA1, Digits: 6, Period: 30}
	c := auth.Client{Dialect: "rest", Addr: "192.0.2.1"}
	code := func() string { clock.Add(30 * time.Second); return key.Code(clock.Now()) }

	cases := []struct {
		name                  string
		run                   func() error
		wantErr               mfad.Code
		maxTrips, wantSelects uint64
	}{
		{"step-up", func() error { return svc.StepUp(ctx, c, seeded[0].AccessToken, code()) }, "", 3, 1},
		{"second factor", func() error {
			res, err := svc.Login(ctx, c, auth.LoginRequest{Login: "alice", Password: "correct horse battery"})
			if err != nil || res.Ticket == "" {
				t.Fatalf("Login = %+v, %v; want a ticket", res, err)
			}
			before := db.StoreCounts()
			res, err = svc.CompleteLogin(ctx, c, auth.TicketRequest{Ticket: res.Ticket, Code: code()})
			if err == nil && (res.Tokens == nil || !res.User.MFAEnabled) {
				t.Errorf("CompleteLogin = %+v; want a session and the user with 2FA", res)
			}
			lastDiff = diff(before, db.StoreCounts())
			return err
		}, "", 4, 1},
		{"step-up, wrong code (last: a later success would reset the count, one statement more)", func() error { return svc.StepUp(ctx, c, seeded[0].AccessToken, "000000") }, mfad.EInvalidCode, 3, 1},
	}
	for _, tc := range cases {
		before := db.StoreCounts()
		lastDiff = nil
		err := tc.run()
		d := diff(before, db.StoreCounts())
		if lastDiff != nil {
			d = lastDiff
		}
		if mfad.ErrorCode(err) != tc.wantErr {
			t.Fatalf("%s: error %v, want %q", tc.name, err, tc.wantErr)
		}
		if d.RoundTrips > tc.maxTrips || d.Transactions["update"] != 1 || d.Transactions["view"] != 0 {
			t.Errorf("%s: %d round trips in %v transactions; want at most %d in one update", tc.name, d.RoundTrips, d.Transactions, tc.maxTrips)
		}
		if d.Statements["select"] != tc.wantSelects {
			t.Errorf("%s: %d SELECTs; want %d (one joined read)", tc.name, d.Statements["select"], tc.wantSelects)
		}
		t.Logf("%s: %d round trips, statements %v", tc.name, d.RoundTrips, d.Statements)
	}
}

var lastDiff *mfad.StoreCounts

// diff returns b - a.
func diff(a, b mfad.StoreCounts) *mfad.StoreCounts {
	d := &mfad.StoreCounts{RoundTrips: b.RoundTrips - a.RoundTrips, Statements: map[string]uint64{}, Transactions: map[string]uint64{}}
	for k, v := range b.Statements {
		if v != a.Statements[k] {
			d.Statements[k] = v - a.Statements[k]
		}
	}
	for k, v := range b.Transactions {
		d.Transactions[k] = v - a.Transactions[k]
	}
	return d
}

var _ = postgres.Open
