package auth_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// TestLifecycle walks the whole 2FA lifecycle of docs/architecture.md §1 through direct
// core calls.
func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	u := e.newUser("alice", mfad.RoleUser)

	// Without 2FA a password gives a full session.
	res := e.login(u, remote)
	if res.Ticket != "" || res.Tokens == nil || res.Tokens.Scope != mfad.ScopeFull || res.SetupRequired {
		t.Fatalf("login without 2FA: want a full session, got %+v", res)
	}
	a := e.actor(res.Tokens)
	if a.UserID() != u.ID || a.Role() != mfad.RoleUser {
		t.Fatalf("actor = %+v, want user %d", a, u.ID)
	}

	// Prepare, then confirm with the current code.
	p, err := e.svc.Prepare(ctx, a, auth.PrepareRequest{UserID: u.ID})
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if p.Token == "" || p.Enrolled || len(p.ScratchCodes) != mfad.DefaultScratchForm.Count {
		t.Fatalf("Prepare = %+v", p)
	}
	if !strings.HasPrefix(p.URI, "otpauth://totp/") {
		t.Errorf("URI = %q", p.URI)
	}
	key := keyOf(t, p)
	if len(key.Secret) != 20 {
		t.Errorf("generated secret has %d bytes, want 20", len(key.Secret))
	}
	if st, err := e.svc.Status(ctx, a, auth.ByID(u.ID)); err != nil || st.Enabled || !st.Pending {
		t.Fatalf("Status after Prepare = %+v, %v; want pending, not enabled", st, err)
	}
	confirming := key.Code(e.clock.Now())
	c, err := e.svc.Confirm(ctx, a, auth.ConfirmRequest{UserID: u.ID, Token: p.Token, Code: confirming})
	if err != nil {
		t.Fatalf("Confirm: %v", err)
	}
	if !slices.Equal(c.ScratchCodes, p.ScratchCodes) {
		t.Errorf("Confirm shows scratch codes %v, Prepare showed %v", c.ScratchCodes, p.ScratchCodes)
	}
	u.Key, u.Scratch = key, c.ScratchCodes
	st, err := e.svc.Status(ctx, a, auth.ByID(u.ID))
	if err != nil || !st.Enabled || st.Pending || st.ScratchRemaining != 10 {
		t.Fatalf("Status after Confirm = %+v, %v", st, err)
	}
	if !e.alive(res.Tokens) {
		t.Fatal("the confirming session was revoked")
	}

	// Now a password alone gives a ticket, not a session.
	ticket := e.ticket(u)

	// The confirming code's step counts as used.
	_, err = e.svc.CompleteLogin(ctx, remote, auth.TicketRequest{Ticket: ticket, Code: confirming})
	wantCode(t, err, mfad.EInvalidCode)
	// A wrong code is refused.
	_, err = e.svc.CompleteLogin(ctx, remote, auth.TicketRequest{Ticket: ticket, Code: wrongCode(e.now(u))})
	wantCode(t, err, mfad.EInvalidCode)
	// A fresh code works (the ticket survived two failures).
	fresh := e.code(u)
	done, err := e.svc.CompleteLogin(ctx, remote, auth.TicketRequest{Ticket: ticket, Code: fresh})
	if err != nil {
		t.Fatalf("CompleteLogin with a fresh code: %v", err)
	}
	if done.Tokens == nil || done.Tokens.Scope != mfad.ScopeFull || !e.alive(done.Tokens) {
		t.Fatalf("CompleteLogin = %+v, want a full live session", done)
	}
	// The ticket is spent.
	_, err = e.svc.CompleteLogin(ctx, remote, auth.TicketRequest{Ticket: ticket, Code: fresh})
	wantCode(t, err, mfad.ENotFound)
	// The same code, on a new ticket, in the same step: refused.
	_, err = e.svc.CompleteLogin(ctx, remote, auth.TicketRequest{Ticket: e.ticket(u), Code: fresh})
	wantCode(t, err, mfad.EInvalidCode)

	// A scratch code works once, written as a user might (spaces, dash).
	scratch := u.Scratch[3]
	typed := " " + scratch[:4] + "-" + scratch[4:] + " "
	if _, err := e.svc.CompleteLogin(ctx, remote, auth.TicketRequest{Ticket: e.ticket(u), Code: typed}); err != nil {
		t.Fatalf("CompleteLogin with a scratch code: %v", err)
	}
	_, err = e.svc.CompleteLogin(ctx, remote, auth.TicketRequest{Ticket: e.ticket(u), Code: scratch})
	wantCode(t, err, mfad.EInvalidCode)
	a = e.actor(done.Tokens)
	if st, err := e.svc.Status(ctx, a, auth.ByID(u.ID)); err != nil || st.ScratchRemaining != 9 {
		t.Fatalf("Status after one scratch code = %+v, %v; want 9 left", st, err)
	}

	// Regenerate: the old codes are void, the new ones have the same form.
	fresh = e.code(u)
	regen, err := e.svc.RegenerateScratchCodes(ctx, a, u.ID, fresh)
	if err != nil {
		t.Fatalf("RegenerateScratchCodes: %v", err)
	}
	checkForm(t, regen, mfad.DefaultScratchForm)
	_, err = e.svc.CompleteLogin(ctx, remote, auth.TicketRequest{Ticket: e.ticket(u), Code: u.Scratch[5]})
	wantCode(t, err, mfad.EInvalidCode)
	shown, err := e.svc.ScratchCodes(ctx, e.actor(done.Tokens), u.ID, "")
	if err != nil {
		t.Fatalf("ScratchCodes: %v", err)
	}
	if !sameSet(shown, regen) {
		t.Errorf("ScratchCodes = %v, want the regenerated %v", shown, regen)
	}
	if _, err := e.svc.CompleteLogin(ctx, remote, auth.TicketRequest{Ticket: e.ticket(u), Code: regen[0]}); err != nil {
		t.Fatalf("CompleteLogin with a regenerated scratch code: %v", err)
	}

	// Disable with a code; a password alone logs in again.
	if err := e.svc.Disable(ctx, e.actor(done.Tokens), auth.DisableRequest{UserID: u.ID, Code: e.code(u)}); err != nil {
		t.Fatalf("Disable: %v", err)
	}
	res = e.login(u, remote)
	if res.Ticket != "" || res.Tokens == nil || res.Tokens.Scope != mfad.ScopeFull {
		t.Fatalf("login after Disable: want a full session, got %+v", res)
	}
	if st, err := e.svc.Status(ctx, e.actor(res.Tokens), auth.ByID(u.ID)); err != nil || st.Enabled || st.ScratchRemaining != 0 {
		t.Fatalf("Status after Disable = %+v, %v", st, err)
	}
	// The scratch codes died with the factor: re-enrolling starts afresh.
	e.enroll(u)
	_, err = e.svc.CompleteLogin(ctx, remote, auth.TicketRequest{Ticket: e.ticket(u), Code: regen[1]})
	wantCode(t, err, mfad.EInvalidCode)
}

// wrongCode returns a code of the same shape as right that differs from it.
func wrongCode(right string) string {
	b := []byte(right)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func checkForm(t *testing.T, codes []string, f mfad.ScratchForm) {
	t.Helper()
	if len(codes) != f.Count {
		t.Errorf("%d scratch codes, want %d", len(codes), f.Count)
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != f.Length || strings.Trim(c, f.Alphabet) != "" {
			t.Errorf("scratch code %q: want %d characters from %q", c, f.Length, f.Alphabet)
		}
		if seen[c] {
			t.Errorf("scratch code %q appears twice", c)
		}
		seen[c] = true
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestConcurrentCode submits one valid code 100 times at once: exactly one
// submission succeeds, through separate login tickets and through step-ups
// of one session.
func TestConcurrentCode(t *testing.T) {
	const n = 100
	race := func(t *testing.T, try func(i int) error) {
		t.Helper()
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				<-start
				errs[i] = try(i)
			})
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch mfad.ErrorCode(err) {
			case "":
				ok++
			case mfad.EInvalidCode, mfad.ELocked:
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d of %d concurrent submissions of one code succeeded, want exactly 1", ok, n)
		}
	}

	t.Run("CompleteLogin", func(t *testing.T) {
		e := newEnv(t)
		u, _ := e.enrolledUser("bob")
		tickets := make([]string, n)
		for i := range tickets {
			tickets[i] = e.ticket(u)
		}
		code := e.code(u)
		race(t, func(i int) error {
			_, err := e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{Ticket: tickets[i], Code: code})
			return err
		})
	})

	t.Run("StepUp", func(t *testing.T) {
		e := newEnv(t)
		u, tok := e.enrolledUser("carol")
		a := e.actor(tok)
		code := e.code(u)
		race(t, func(int) error { return e.svc.StepUpActor(e.ctx, a, code) })
	})

	t.Run("ScratchCode", func(t *testing.T) {
		e := newEnv(t)
		u, _ := e.enrolledUser("dave")
		tickets := make([]string, n)
		for i := range tickets {
			tickets[i] = e.ticket(u)
		}
		race(t, func(i int) error {
			_, err := e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{Ticket: tickets[i], Code: u.Scratch[0]})
			return err
		})
	})
}
