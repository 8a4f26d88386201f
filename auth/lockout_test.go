package auth_test

import (
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// complete submits a code on a ticket.
func (e *env) complete(ticket, code string) error {
	_, err := e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{Ticket: ticket, Code: code})
	return err
}

// failCodes submits n wrong codes on one ticket; all but the last must be
// refused as invalid, and the last error is returned.
func (e *env) failCodes(u *user, ticket string, n int) error {
	e.t.Helper()
	var err error
	for i := range n {
		err = e.complete(ticket, wrongCode(e.now(u)))
		if i < n-1 {
			checkCode(e.t, "wrong code", err, mfad.EInvalidCode)
		}
	}
	return err
}

// wantLocked checks that err is ELocked with a retry time of about want.
func wantLocked(t *testing.T, err error, want time.Duration) {
	t.Helper()
	wantCode(t, err, mfad.ELocked)
	if got := mfad.RetryAfter(err); got < want || got > want+time.Second {
		t.Fatalf("RetryAfter = %v, want about %v", got, want)
	}
}

func TestLockout(t *testing.T) {
	t.Run("FiveWrongCodesLock", func(t *testing.T) {
		e := newEnv(t)
		u, _ := e.enrolledUser("u")
		ticket := e.ticket(u)
		err := e.failCodes(u, ticket, 5)
		wantLocked(t, err, 30*time.Second)
		wait := mfad.RetryAfter(err)

		// The ticket died with its fifth failure: the password is asked again.
		wantCode(t, e.complete(ticket, e.next(u)), mfad.ENotFound)

		// While locked even the right code is refused, and the attempt
		// does not count.
		ticket = e.ticket(u)
		wantLocked(t, e.complete(ticket, e.next(u)), 30*time.Second)
		if st, err := e.svc.Status(e.ctx, e.sys, auth.ByID(u.ID)); err != nil || !st.Locked || st.HardLocked {
			t.Fatalf("Status while locked = %+v, %v", st, err)
		}

		// After the retry time the lock is gone. Four more wrong codes do
		// not lock (the attempt while locked was not counted), the fifth
		// locks for twice as long.
		e.clock.Add(wait)
		ticket = e.ticket(u)
		wantLocked(t, e.failCodes(u, ticket, 5), 60*time.Second)

		// The doubling goes on.
		e.clock.Add(time.Minute)
		wantLocked(t, e.failCodes(u, e.ticket(u), 5), 120*time.Second)

		// Once the lock is over, the right code works and resets the count:
		// 2 failures, the right code, then 4 failures do not lock (they
		// would without the reset: 15+2+3 = 20).
		e.clock.Add(2 * time.Minute)
		ticket = e.ticket(u)
		e.failCodes(u, ticket, 2)
		if err := e.complete(ticket, e.code(u)); err != nil {
			t.Fatalf("right code after the lock: %v", err)
		}
		ticket = e.ticket(u)
		for range 4 {
			wantCode(t, e.complete(ticket, "000000x"), mfad.EInvalidCode)
		}
		if err := e.complete(ticket, e.code(u)); err != nil {
			t.Fatalf("right code after 4 failures: %v", err)
		}
	})

	t.Run("StepUpLocksToo", func(t *testing.T) {
		e := newEnv(t)
		u, tok := e.enrolledUser("u")
		a := e.actor(tok)
		var err error
		for range 5 {
			err = e.svc.StepUpActor(e.ctx, a, wrongCode(e.now(u)))
		}
		wantLocked(t, err, 30*time.Second)
		wantLocked(t, e.svc.StepUpActor(e.ctx, a, e.next(u)), 30*time.Second)
		_, err = e.svc.ScratchCodes(e.ctx, a, u.ID, u.Scratch[0])
		wantCode(t, err, mfad.ELocked)
	})

	t.Run("ReplayCounts", func(t *testing.T) {
		e := newEnv(t)
		u, _ := e.enrolledUser("u")
		code := e.code(u)
		if err := e.complete(e.ticket(u), code); err != nil {
			t.Fatal(err)
		}
		ticket := e.ticket(u)
		var err error
		for range 5 {
			err = e.complete(ticket, code)
		}
		wantLocked(t, err, 30*time.Second)
		// A used scratch code replayed counts too.
		e.clock.Add(time.Minute)
		if err := e.complete(e.ticket(u), u.Scratch[0]); err != nil {
			t.Fatal(err)
		}
		ticket = e.ticket(u)
		for range 5 {
			err = e.complete(ticket, u.Scratch[0])
		}
		wantLocked(t, err, 30*time.Second)
		// The TOTP replays are audited as such. (A used scratch code is
		// audited as invalid: the store lists unused codes only.)
		var replays int
		for _, ev := range e.events(u.ID) {
			if ev.Result == "replay" {
				replays++
			}
		}
		if replays < 5 {
			t.Errorf("%d replays audited, want at least 5", replays)
		}
	})

	t.Run("WrongPasswordsThrottleButNeverLock", func(t *testing.T) {
		e := newEnv(t)
		u, _ := e.enrolledUser("u")
		bad := auth.LoginRequest{Login: u.Name, Password: "not the password"}
		// Five free attempts are judged; then the account waits.
		for range 5 {
			_, err := e.svc.Login(e.ctx, remote, bad)
			checkCode(t, "wrong password", err, mfad.EInvalidLogin)
		}
		_, err := e.svc.Login(e.ctx, remote, bad)
		wantCode(t, err, mfad.EThrottled)
		wait := mfad.RetryAfter(err)
		if wait <= 0 {
			t.Fatalf("throttled without a retry time: %v", err)
		}
		// While throttled even the right password is refused before any
		// hash, from this address and from one she never logged in from.
		_, err = e.svc.Login(e.ctx, remote, auth.LoginRequest{Login: u.Name, Password: u.Password})
		wantCode(t, err, mfad.EThrottled)
		_, err = e.svc.Login(e.ctx, auth.Client{Addr: "198.51.100.7"}, auth.LoginRequest{Login: u.Name, Password: u.Password})
		wantCode(t, err, mfad.EThrottled)

		// Many more wrong passwords, each after its wait: never a lockout
		// of the second factor.
		for range 20 {
			e.clock.Add(mfad.RetryAfter(err))
			_, err = e.svc.Login(e.ctx, remote, bad)
			wantCode(t, err, mfad.EInvalidLogin)
			_, err = e.svc.Login(e.ctx, remote, bad)
			wantCode(t, err, mfad.EThrottled)
			if mfad.RetryAfter(err) <= 0 {
				t.Fatalf("throttled without a retry time: %v", err)
			}
		}
		st, serr := e.svc.Status(e.ctx, e.sys, auth.ByID(u.ID))
		if serr != nil || st.Locked || st.HardLocked {
			t.Fatalf("Status after wrong passwords = %+v, %v; want not locked", st, serr)
		}
		e.clock.Add(time.Hour)
		if err := e.complete(e.ticket(u), e.code(u)); err != nil {
			t.Fatalf("login after wrong passwords: %v", err)
		}
	})

	t.Run("UnknownUserThrottledLikeKnown", func(t *testing.T) {
		e := newEnv(t)
		var err error
		for range 7 {
			_, err = e.svc.Login(e.ctx, remote, auth.LoginRequest{Login: "nobody", Password: "whatever pw"})
		}
		wantCode(t, err, mfad.EThrottled)
	})

	t.Run("UnlockResets", func(t *testing.T) {
		e := newEnv(t)
		u, _ := e.enrolledUser("u")
		wantLocked(t, e.failCodes(u, e.ticket(u), 5), 30*time.Second)
		if err := e.svc.Unlock(e.ctx, e.sys, u.ID); err != nil {
			t.Fatalf("Unlock: %v", err)
		}
		if err := e.complete(e.ticket(u), e.next(u)); err != nil {
			t.Fatalf("right code after Unlock: %v", err)
		}
		// Unlock resets the count: 3 failures, unlock, 2 failures do not lock.
		ticket := e.ticket(u)
		e.failCodes(u, ticket, 3)
		if err := e.svc.Unlock(e.ctx, e.sys, u.ID); err != nil {
			t.Fatalf("Unlock: %v", err)
		}
		wantCode(t, e.failCodes(u, e.ticket(u), 2), mfad.EInvalidCode)
		if err := e.complete(e.ticket(u), e.code(u)); err != nil {
			t.Fatalf("right code: %v", err)
		}
		// It resets the password throttle of the account too.
		var err error
		for range 7 {
			_, err = e.svc.Login(e.ctx, remote, auth.LoginRequest{Login: u.Email, Password: "wrong password"})
		}
		wantCode(t, err, mfad.EThrottled)
		if err := e.svc.Unlock(e.ctx, e.sys, u.ID); err != nil {
			t.Fatalf("Unlock: %v", err)
		}
		res, err := e.svc.Login(e.ctx, remote, auth.LoginRequest{Login: u.Email, Password: u.Password})
		if err != nil || res.Ticket == "" {
			t.Fatalf("login by email after Unlock: %+v, %v", res, err)
		}
	})

	t.Run("HardLockAt100", func(t *testing.T) {
		e := newEnv(t)
		u, _ := e.enrolledUser("u")
		var err error
		for round := range 20 {
			err = e.failCodes(u, e.ticket(u), 5)
			if round < 19 {
				wantCode(t, err, mfad.ELocked)
				if mfad.RetryAfter(err) <= 0 {
					t.Fatalf("lock %d has no retry time: %v", round+1, err)
				}
				if mfad.RetryAfter(err) > 15*time.Minute+time.Second {
					t.Fatalf("lock %d: RetryAfter %v exceeds 15 min", round+1, mfad.RetryAfter(err))
				}
				e.clock.Add(mfad.RetryAfter(err))
			}
		}
		wantCode(t, err, mfad.ELocked)
		if d := mfad.RetryAfter(err); d != 0 {
			t.Fatalf("the 100th failure: RetryAfter %v, want 0 (until an admin unlocks)", d)
		}
		e.clock.Add(30 * 24 * time.Hour)
		err = e.complete(e.ticket(u), e.code(u))
		wantCode(t, err, mfad.ELocked)
		if d := mfad.RetryAfter(err); d != 0 {
			t.Fatalf("hard lock: RetryAfter %v, want 0", d)
		}
		if st, err := e.svc.Status(e.ctx, e.sys, auth.ByID(u.ID)); err != nil || !st.HardLocked {
			t.Fatalf("Status = %+v, %v; want hard locked", st, err)
		}
		if err := e.svc.Unlock(e.ctx, e.sys, u.ID); err != nil {
			t.Fatalf("Unlock: %v", err)
		}
		if err := e.complete(e.ticket(u), e.code(u)); err != nil {
			t.Fatalf("right code after Unlock: %v", err)
		}
	})
}

// TestOwnerNotLockedOutByGuessers is issue 14 item 3 in the core: failures
// from elsewhere throttle the account for new clients, but not the owner's
// correct password from an address she logged in from, nor from a device
// she trusted (its token), wherever it now is.
func TestOwnerNotLockedOutByGuessers(t *testing.T) {
	e := newEnv(t)
	u, _ := e.enrolledUser("u")
	home := auth.Client{Addr: "203.0.113.77", Dialect: "test"}
	res := e.login(u, home) // her address is known from now on
	if res.Ticket == "" {
		t.Fatalf("login: %+v", res)
	}
	dev, err := e.svc.CompleteLogin(e.ctx, home, auth.TicketRequest{Ticket: res.Ticket, Code: e.code(u), TrustDevice: true, DeviceName: "laptop"})
	if err != nil {
		t.Fatal(err)
	}
	evil := auth.Client{Addr: "198.51.100.66", Dialect: "test"}
	guess := func() { // by name and by email alike: one budget
		t.Helper()
		for i := range 12 {
			login := u.Name
			if i%2 == 1 {
				login = u.Email
			}
			_, err := e.svc.Login(e.ctx, evil, auth.LoginRequest{Login: login, Password: "a wrong guess"})
			if i < 5 {
				checkCode(t, "guess", err, mfad.EInvalidLogin)
			} else {
				checkCode(t, "guess", err, mfad.EThrottled)
			}
		}
	}
	guess()
	// A correct password forgets the failures, so each success below is
	// tried after a fresh round of guesses.
	right := auth.LoginRequest{Login: u.Name, Password: u.Password}
	for _, tc := range []struct {
		name   string
		c      auth.Client
		device string
		want   mfad.Code
	}{
		{"a new address", auth.Client{Addr: "192.0.2.200", Dialect: "test"}, "", mfad.EThrottled},
		{"the guesser's address", evil, "", mfad.EThrottled},
		{"a token that is no device's", auth.Client{Addr: "192.0.2.202", Dialect: "test"}, "not-a-token", mfad.EThrottled},
		{"her trusted device from a new address", auth.Client{Addr: "192.0.2.201", Dialect: "test"}, dev.Trusted.Token, ""},
		{"her address", home, "", ""},
	} {
		req := right
		req.TrustedToken = tc.device
		_, err := e.svc.Login(e.ctx, tc.c, req)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			guess()
		} else {
			checkCode(t, tc.name, err, tc.want)
		}
	}
}
