package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// outbox returns the outbox rows written since the row after, oldest first,
// as "kind target detail", and the newest id.
func (e *env) outbox(after int64) ([]string, int64) {
	e.t.Helper()
	rows, err := e.svc.Notifications(e.ctx, e.sys, mfad.NotificationFilter{Limit: 1000})
	if err != nil {
		e.t.Fatalf("Notifications: %v", err)
	}
	var out []string
	last := after
	for i := len(rows) - 1; i >= 0; i-- {
		n := rows[i]
		if n.ID <= after {
			continue
		}
		if n.Kind == mfad.NotifyTrusted && len(n.Detail) == 22 {
			n.Detail = "<device id>" // random
		}
		out = append(out, n.Kind+" "+n.Target+" "+n.Detail)
		last = max(last, n.ID)
		if n.RemoteAddr == "" || n.Dialect == "" || n.Time.IsZero() || n.UserID == 0 {
			e.t.Errorf("%s: missing who, when, where or front: %+v", n.Kind, n)
		}
	}
	return out, last
}

// TestNotifyOutbox: each change the issue names writes its notification to
// the outbox in its own transaction, for every target that wants it, and
// nothing else does.
func TestNotifyOutbox(t *testing.T) {
	e := newEnv(t)
	e.svc.Notify = func(kind string) []string {
		if kind == mfad.NotifyAppPassword { // a webhook filtered to one kind
			return []string{mfad.TargetEmail, "webhook:ops"}
		}
		return []string{mfad.TargetEmail}
	}
	u := e.newUser("alice", mfad.RoleUser)
	var last int64
	step := func(name string, want []string, fn func()) {
		t.Helper()
		fn()
		var got []string
		got, last = e.outbox(last)
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s: outbox %q, want %q", name, got, want)
		}
	}
	var tok *auth.Tokens
	step("enable", []string{"2fa.enabled email "}, func() { tok = e.enroll(u) })
	step("a login with a code", nil, func() { tok = e.session(u) })
	step("replay", []string{"code.replayed email login.2fa"}, func() {
		code := e.now(u) // used by the login just now
		checkCode(t, "replay", e.complete(e.ticket(u), code), mfad.EInvalidCode)
	})
	step("scratch used", []string{"scratch.used email remaining=9"}, func() {
		if err := e.complete(e.ticket(u), u.Scratch[0]); err != nil {
			t.Fatal(err)
		}
	})
	step("new trusted device", []string{"device.trusted email <device id>"}, func() {
		res, err := e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{Ticket: e.ticket(u), Code: e.code(u), TrustDevice: true})
		if err != nil || res.Trusted == nil {
			t.Fatalf("trusted login: %v %+v", err, res)
		}
	})
	tok = e.session(u)
	a := e.actor(tok)
	step("app password", []string{"apppassword.created email mail", "apppassword.created webhook:ops mail"}, func() {
		if _, err := e.svc.CreateAppPassword(e.ctx, a, u.ID, "mail", ""); err != nil {
			t.Fatal(err)
		}
	})
	step("scratch regenerated", []string{"scratch.regenerated email "}, func() {
		if _, err := e.svc.RegenerateScratchCodes(e.ctx, a, u.ID, ""); err != nil {
			t.Fatal(err)
		}
	})
	step("password changed", []string{"password.changed email "}, func() {
		err := e.svc.ChangePassword(e.ctx, a, auth.PasswordChange{UserID: u.ID, Current: u.Password, New: "a new password, long enough"})
		if err != nil {
			t.Fatal(err)
		}
		u.Password = "a new password, long enough"
	})
	step("lockout", []string{"2fa.locked email "}, func() {
		wantCode(t, e.failCodes(u, e.ticket(u), 5), mfad.ELocked)
	})
	step("reset by an admin", []string{"2fa.reset email "}, func() {
		if _, err := e.svc.Reset(e.ctx, e.sys, auth.ByID(u.ID)); err != nil {
			t.Fatal(err)
		}
	})
	tok = e.enroll(u)
	last = lastID(e)
	step("disable", []string{"2fa.disabled email in a session that had just proven its second factor"}, func() {
		if err := e.svc.Disable(e.ctx, e.actor(tok), auth.DisableRequest{UserID: u.ID}); err != nil {
			t.Fatal(err)
		}
	})
	// Issue 26, item 5: a scratch code that turns 2FA off is told as
	// that, not as a sign-in with a scratch code.
	tok = e.enroll(u)
	last = lastID(e)
	e.clock.Add(11 * time.Minute) // the session's second factor is no longer recent
	step("disable with a scratch code", []string{"2fa.disabled email with a scratch code"}, func() {
		if err := e.svc.Disable(e.ctx, e.actor(tok), auth.DisableRequest{UserID: u.ID, Code: u.Scratch[0]}); err != nil {
			t.Fatal(err)
		}
	})
}

func lastID(e *env) int64 {
	_, id := e.outbox(0)
	return id
}

// TestNotifyRolledBack: a change that fails writes no notification, and
// without targets nothing is queued at all.
func TestNotifyRolledBack(t *testing.T) {
	e := newEnv(t)
	u, tok := e.enrolledUser("bob")
	if got, _ := e.outbox(0); len(got) != 0 {
		t.Fatalf("no targets: outbox %q, want empty", got)
	}
	e.svc.Notify = func(string) []string { return []string{mfad.TargetEmail} }
	err := e.svc.ChangePassword(e.ctx, e.actor(tok), auth.PasswordChange{UserID: u.ID, Current: "wrong", New: "a new password, long enough"})
	if err == nil {
		t.Fatalf("ChangePassword with a wrong current password: %v", err)
	}
	if got, _ := e.outbox(0); len(got) != 0 {
		t.Fatalf("after a refused change: outbox %q, want empty", got)
	}
	// Others may not read the delivery log.
	_, err = e.svc.Notifications(e.ctx, e.actor(tok), mfad.NotificationFilter{})
	wantCode(t, err, mfad.EForbidden)
}

// TestNotifyPrune: pruning the audit log prunes delivered and failed
// notifications of the same age; pending ones stay whatever their age.
func TestNotifyPrune(t *testing.T) {
	e := newEnv(t)
	e.svc.Notify = func(string) []string { return []string{mfad.TargetEmail} }
	u := e.newUser("carol", mfad.RoleUser)
	for range 2 {
		if _, err := e.svc.Reset(e.ctx, e.sys, auth.ByID(u.ID)); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := e.svc.Notifications(e.ctx, e.sys, mfad.NotificationFilter{})
	if err != nil || len(rows) != 2 {
		t.Fatalf("rows %v %v", rows, err)
	}
	if err := e.store.Update(e.ctx, func(tx mfad.Tx) error {
		return tx.FinishNotification(rows[0].ID, mfad.NotifySent, "", time.Time{}, e.clock.Now())
	}); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(48 * time.Hour)
	if _, err := e.svc.PruneAudit(e.ctx, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	left, _ := e.svc.Notifications(e.ctx, e.sys, mfad.NotificationFilter{})
	if len(left) != 1 || left[0].ID != rows[1].ID || left[0].State != mfad.NotifyPending {
		t.Fatalf("after pruning: %+v", left)
	}
}

// TestNotifyLowRiskOptOut: a user who turns low-risk mail off gets no mail
// for a used scratch code (webhooks still hear of it), but still gets one
// for a replay; another user may not change her choice, an admin may.
func TestNotifyLowRiskOptOut(t *testing.T) {
	e := newEnv(t)
	e.svc.Notify = func(string) []string { return []string{mfad.TargetEmail, "webhook:ops"} }
	u, tok := e.enrolledUser("dave")
	_, otherTok := e.enrolledUser("erin")
	_, err := e.svc.LowRiskEmail(e.ctx, e.actor(otherTok), u.ID, new(false))
	wantCode(t, err, mfad.EForbidden)
	if _, err := e.svc.LowRiskEmail(e.ctx, e.actor(tok), u.ID, new(false)); err != nil {
		t.Fatal(err)
	}
	if on, err := e.svc.LowRiskEmail(e.ctx, e.actor(tok), u.ID, nil); err != nil || on {
		t.Fatalf("LowRiskEmail after opting out: %v %v", on, err)
	}
	last := lastID(e)
	if err := e.complete(e.ticket(u), u.Scratch[0]); err != nil {
		t.Fatal(err)
	}
	got, last := e.outbox(last)
	if strings.Join(got, "|") != "scratch.used webhook:ops remaining=9" {
		t.Errorf("scratch code used, opted out: %q", got)
	}
	code := e.code(u)
	if err := e.complete(e.ticket(u), code); err != nil {
		t.Fatal(err)
	}
	checkCode(t, "replay", e.complete(e.ticket(u), code), mfad.EInvalidCode)
	got, _ = e.outbox(last)
	if strings.Join(got, "|") != "code.replayed email login.2fa|code.replayed webhook:ops login.2fa" {
		t.Errorf("replay, opted out of low-risk mail: %q", got)
	}
	if _, err := e.svc.LowRiskEmail(e.ctx, e.sys, u.ID, new(true)); err != nil {
		t.Fatal(err)
	}
}

// TestNotifyHardLock: every lockout is notified, and the hundredth failure
// in a row, which locks until an admin unlocks, as a hard lock.
func TestNotifyHardLock(t *testing.T) {
	e := newEnv(t)
	e.svc.Notify = func(string) []string { return []string{mfad.TargetEmail} }
	u, _ := e.enrolledUser("frank")
	last := lastID(e)
	for range 20 {
		e.failCodes(u, e.ticket(u), 5)
		e.clock.Add(16 * time.Minute) // past the longest timed lock
	}
	got, _ := e.outbox(last)
	want := strings.Repeat("2fa.locked email |", 19) + "2fa.hard_locked email "
	if strings.Join(got, "|") != want {
		t.Errorf("outbox %q\nwant %q", got, want)
	}
}
