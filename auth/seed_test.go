package auth_test

import (
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/otp"
)

// TestSeedUsers: seeded users log in with the one password, prove their
// codes (replays refused), and their sessions work; only the system actor
// may seed.
func TestSeedUsers(t *testing.T) {
	e := newEnv(t)
	admin := e.newUser("root", mfad.RoleAdmin)
	adminActor := e.actor(e.session(admin))
	if _, err := auth.NewSeeder(e.svc).HashPassword(e.ctx, adminActor, "a password"); mfad.ErrorCode(err) != mfad.EForbidden {
		t.Errorf("HashPassword by an admin through a session: %v; want forbidden", err)
	}
	hash, err := auth.NewSeeder(e.svc).HashPassword(e.ctx, e.sys, "seeded password")
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("0123456789abcdefghij")
	key := otp.Key{Secret: secret, Algorithm: otp.SHA1, Digits: 6, Period: 30}
	step := key.Step(e.clock.Now())
	seed := auth.Seed{PasswordHash: hash, Users: []auth.SeedUser{
		{Name: "s1", Secret: secret, LastStep: step - 1},
		{Name: "s2", Email: "s2@example.test"},
	}}
	if _, err := auth.NewSeeder(e.svc).SeedUsers(e.ctx, adminActor, seed); mfad.ErrorCode(err) != mfad.EForbidden {
		t.Errorf("SeedUsers by an admin through a session: %v; want forbidden", err)
	}
	out, err := auth.NewSeeder(e.svc).SeedUsers(e.ctx, e.sys, seed)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].UserID == 0 || out[0].AccessToken == "" {
		t.Fatalf("SeedUsers = %+v", out)
	}

	// s1: 2FA on, its session is full, the current step is fresh once.
	a, err := e.svc.Authenticate(e.ctx, remote, out[0].AccessToken)
	if err != nil || a.UserID() != out[0].UserID || a.Scope() != mfad.ScopeFull {
		t.Fatalf("Authenticate s1: %+v, %v", a, err)
	}
	if err := e.svc.StepUpActor(e.ctx, a, key.CodeAt(step-1)); mfad.ErrorCode(err) != mfad.EInvalidCode {
		t.Errorf("step-up with the seeded last step's code: %v; want invalid_code", err)
	}
	if err := e.svc.StepUpActor(e.ctx, a, key.CodeAt(step)); err != nil {
		t.Errorf("step-up with a fresh code: %v", err)
	}
	res, err := e.svc.Login(e.ctx, remote, auth.LoginRequest{Login: "s1", Password: "seeded password", Code: key.CodeAt(step + 1)})
	if err != nil || res.Tokens == nil {
		t.Errorf("login of s1 with password and code: %+v, %v", res, err)
	}

	// s2: no 2FA; the password logs in.
	res, err = e.svc.Login(e.ctx, remote, auth.LoginRequest{Login: "s2@example.test", Password: "seeded password"})
	if err != nil || res.Tokens == nil {
		t.Errorf("login of s2: %+v, %v", res, err)
	}
	st, err := e.svc.Status(e.ctx, e.sys, auth.ByID(out[1].UserID))
	if err != nil || st.Enabled {
		t.Errorf("s2 status %+v, %v; want 2FA off", st, err)
	}

	// Names stay unique, and a bad batch leaves nothing behind.
	_, err = auth.NewSeeder(e.svc).SeedUsers(e.ctx, e.sys, auth.Seed{PasswordHash: hash, Users: []auth.SeedUser{{Name: "s3"}, {Name: "S1"}}})
	checkCode(t, "a taken name", err, mfad.EConflict)
	if _, err := e.svc.GetUser(e.ctx, e.sys, auth.ByLogin("s3")); mfad.ErrorCode(err) != mfad.ENotFound {
		t.Errorf("s3 of a failed batch: %v; want not found", err)
	}
	_, err = auth.NewSeeder(e.svc).SeedUsers(e.ctx, e.sys, auth.Seed{PasswordHash: "not a hash", Users: []auth.SeedUser{{Name: "s4"}}})
	checkCode(t, "a bad hash", err, mfad.EInvalidInput)
	_, err = auth.NewSeeder(e.svc).SeedUsers(e.ctx, e.sys, auth.Seed{PasswordHash: hash, Users: []auth.SeedUser{{Name: "s5", Secret: []byte("short")}}})
	checkCode(t, "a short secret", err, mfad.EInvalidInput)

	// The session lives as long as asked.
	out, err = auth.NewSeeder(e.svc).SeedUsers(e.ctx, e.sys, auth.Seed{PasswordHash: hash, SessionTTL: 48 * time.Hour, Users: []auth.SeedUser{{Name: "s6"}}})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(47 * time.Hour)
	if _, err := e.svc.Authenticate(e.ctx, remote, out[0].AccessToken); err != nil {
		t.Errorf("a 48-h seeded session after 47 h: %v", err)
	}
}

// TestSeedTickets: a seeded ticket completes a login with a fresh code,
// once; only the system actor may seed; an unknown name seeds nothing.
func TestSeedTickets(t *testing.T) {
	e := newEnv(t)
	hash, err := auth.NewSeeder(e.svc).HashPassword(e.ctx, e.sys, "seeded password")
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("0123456789abcdefghij")
	key := otp.Key{Secret: secret, Algorithm: otp.SHA1, Digits: 6, Period: 30}
	step := key.Step(e.clock.Now())
	if _, err := auth.NewSeeder(e.svc).SeedUsers(e.ctx, e.sys, auth.Seed{PasswordHash: hash, Users: []auth.SeedUser{{Name: "s1", Secret: secret, LastStep: step - 1}}}); err != nil {
		t.Fatal(err)
	}
	admin := e.actor(e.session(e.newUser("root", mfad.RoleAdmin)))
	if _, err := auth.NewSeeder(e.svc).SeedTickets(e.ctx, admin, []string{"s1"}, 0); mfad.ErrorCode(err) != mfad.EForbidden {
		t.Errorf("SeedTickets by an admin through a session: %v; want forbidden", err)
	}
	_, err = auth.NewSeeder(e.svc).SeedTickets(e.ctx, e.sys, []string{"s1", "nobody"}, 0)
	checkCode(t, "an unknown name", err, mfad.ENotFound)
	tickets, err := auth.NewSeeder(e.svc).SeedTickets(e.ctx, e.sys, []string{"s1"}, time.Minute)
	if err != nil || len(tickets) != 1 {
		t.Fatalf("SeedTickets = %v, %v", tickets, err)
	}
	res, err := e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{Ticket: tickets[0], Code: key.CodeAt(step)})
	if err != nil || res.Tokens == nil || res.User.Name != "s1" || !res.User.MFAEnabled {
		t.Fatalf("CompleteLogin with a seeded ticket: %+v, %v", res, err)
	}
	_, err = e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{Ticket: tickets[0], Code: key.CodeAt(step + 1)})
	checkCode(t, "the ticket again", err, mfad.ENotFound)
}
