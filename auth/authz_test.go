package auth_test

import (
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// TestCrossUser: one user's actor can neither read nor change another
// user's 2FA, and the other user's state is unchanged afterwards.
func TestCrossUser(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	a, aTok := e.enrolledUser("alice")
	b, _ := e.enrolledUser("bob")
	hb := e.hold(b)
	pb, err := e.svc.Prepare(ctx, e.actor(hb.current), auth.PrepareRequest{UserID: b.ID}) // bob's pending re-enrollment
	if err != nil {
		t.Fatal(err)
	}
	bKey := keyOf(t, pb)
	alice := e.actor(aTok) // a recent second factor: only authorization stands in the way

	calls := []struct {
		name string
		call func() error
	}{
		{"Prepare", func() error {
			_, err := e.svc.Prepare(ctx, alice, auth.PrepareRequest{UserID: b.ID, Code: e.now(a)})
			return err
		}},
		{"ConfirmByUser", func() error {
			_, err := e.svc.Confirm(ctx, alice, auth.ConfirmRequest{UserID: b.ID, Code: bKey.Code(e.clock.Now())})
			return err
		}},
		{"ConfirmByToken", func() error {
			_, err := e.svc.Confirm(ctx, alice, auth.ConfirmRequest{Token: pb.Token, Code: bKey.Code(e.clock.Now())})
			return err
		}},
		{"Status", func() error { _, err := e.svc.Status(ctx, alice, auth.ByID(b.ID)); return err }},
		{"Disable", func() error {
			return e.svc.Disable(ctx, alice, auth.DisableRequest{UserID: b.ID, Code: e.now(b)})
		}},
		{"ScratchCodes", func() error { _, err := e.svc.ScratchCodes(ctx, alice, b.ID, e.now(b)); return err }},
		{"RegenerateScratchCodes", func() error {
			_, err := e.svc.RegenerateScratchCodes(ctx, alice, b.ID, e.now(b))
			return err
		}},
		{"CreateAppPassword", func() error {
			_, err := e.svc.CreateAppPassword(ctx, alice, b.ID, "evil", e.now(b))
			return err
		}},
		{"AppPasswords", func() error { _, err := e.svc.AppPasswords(ctx, alice, b.ID); return err }},
		{"RevokeAppPassword", func() error { return e.svc.RevokeAppPassword(ctx, alice, b.ID, "mail") }},
		{"TrustedDevices", func() error { _, _, err := e.svc.TrustedDevices(ctx, alice, b.ID, ""); return err }},
		{"RevokeTrustedDevice", func() error {
			return e.svc.RevokeTrustedDevice(ctx, alice, auth.DeviceRevocation{UserID: b.ID, DeviceID: "", Others: true})
		}},
		{"ChangePassword", func() error {
			return e.svc.ChangePassword(ctx, alice, auth.PasswordChange{UserID: b.ID, Current: b.Password, New: "taken over!"})
		}},
		{"GetUser", func() error { _, err := e.svc.GetUser(ctx, alice, auth.ByID(b.ID)); return err }},
	}
	for _, c := range calls {
		checkCode(t, c.name, c.call(), mfad.EForbidden)
	}
	// Looking another user up by name is "not found", not "forbidden", so
	// names cannot be probed.
	_, err = e.svc.GetUser(ctx, alice, auth.ByLogin(b.Name))
	checkCode(t, "LookupUser", err, mfad.ENotFound)

	// Nothing of bob's changed.
	st, err := e.svc.Status(ctx, e.sys, auth.ByID(b.ID))
	if err != nil || !st.Enabled || !st.Pending || st.ScratchRemaining != 10 || st.Locked {
		t.Errorf("bob's status after alice's attempts = %+v, %v", st, err)
	}
	if !e.alive(hb.other) || !e.deviceTrusted(b, hb.device) || !e.appPasswordWorks(b, hb.appPassword) {
		t.Error("alice's attempts revoked something of bob's")
	}
	e.session(b)
}

// TestAdminOnly: a non-admin cannot reach admin calls, whatever their
// second factor; an enroll-only admin cannot either.
func TestAdminOnly(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	u, tok := e.enrolledUser("mallory")
	victim := e.newUser("victim", mfad.RoleUser)
	mallory := e.actor(tok)

	calls := []struct {
		name string
		call func(a auth.Actor) error
	}{
		{"ListUsers", func(a auth.Actor) error { _, _, err := e.svc.ListUsers(ctx, a, auth.UserQuery{}); return err }},
		{"CreateUser", func(a auth.Actor) error {
			_, err := e.svc.CreateUser(ctx, a, auth.NewUser{Name: "sock", Password: "sock puppet pw", Role: mfad.RoleAdmin})
			return err
		}},
		{"DeleteUser", func(a auth.Actor) error { return e.svc.DeleteUser(ctx, a, victim.ID) }},
		{"Reset", func(a auth.Actor) error { _, err := e.svc.Reset(ctx, a, auth.ByID(victim.ID)); return err }},
		{"Unlock", func(a auth.Actor) error { return e.svc.Unlock(ctx, a, u.ID) }},
		{"SetPolicy", func(a auth.Actor) error { return e.svc.SetPolicy(ctx, a, auth.PolicyOff) }},
		{"Audit", func(a auth.Actor) error { _, err := e.svc.Audit(ctx, a, mfad.AuditFilter{}); return err }},
		{"ProtocolAuth", func(a auth.Actor) error {
			_, err := e.svc.ProtocolAuth(ctx, a, victim.Name, victim.Password)
			return err
		}},
	}
	for _, c := range calls {
		checkCode(t, c.name+" by a user", c.call(mallory), mfad.EForbidden)
		checkCode(t, c.name+" anonymously", c.call(auth.Anonymous(remote)), mfad.EUnauthenticated)
	}

	// The same calls work for an admin (so the refusals above are about
	// the role, not the calls).
	adm := e.newUser("root", mfad.RoleAdmin)
	admin := e.actor(e.session(adm))
	for _, c := range calls {
		if c.name == "DeleteUser" || c.name == "Reset" {
			continue // destructive; covered elsewhere
		}
		if err := c.call(admin); err != nil {
			t.Errorf("%s by an admin: %v", c.name, err)
		}
	}

	// An admin whose session may only enroll is no admin yet.
	if err := e.svc.SetPolicy(ctx, admin, auth.PolicyAdmins); err != nil {
		t.Fatal(err)
	}
	res := e.login(adm, remote)
	if !res.SetupRequired || res.Tokens == nil || res.Tokens.Scope != mfad.ScopeEnroll {
		t.Fatalf("admin login under policy admins: %+v", res)
	}
	enrolling := e.actor(res.Tokens)
	for _, c := range calls {
		checkCode(t, c.name+" by an enroll-only admin", c.call(enrolling), mfad.ESetupRequired)
	}
	// Nor may an enroll-only admin prepare for another user.
	_, err := e.svc.Prepare(ctx, enrolling, auth.PrepareRequest{UserID: victim.ID})
	checkCode(t, "Prepare for another user by an enroll-only admin", err, mfad.EForbidden)
}

// TestAdminOnBehalf: an admin prepares 2FA for a user (Veeam), the audit
// says so, and the user confirms it.
func TestAdminOnBehalf(t *testing.T) {
	e := newEnv(t)
	adm := e.newUser("root", mfad.RoleAdmin)
	admin := e.actor(e.session(adm))
	u := e.newUser("u", mfad.RoleUser)
	ut := e.session(u)

	e.svc.RegisterProfile("test", auth.Profile{Scratch: &mfad.ScratchForm{Count: 5, Length: 8, Alphabet: mfad.Digits}})
	p, err := e.svc.Prepare(e.ctx, admin, auth.PrepareRequest{UserID: u.ID})
	e.svc.RegisterProfile("test", auth.Profile{})
	if err != nil {
		t.Fatalf("Prepare by an admin: %v", err)
	}
	if p.UserID != u.ID || len(p.ScratchCodes) != 5 {
		t.Fatalf("Prepared = %+v", p)
	}
	found := false
	for _, ev := range e.events(u.ID) {
		if ev.Action == "2fa.prepare" {
			found = true
			if ev.ActorID != adm.ID || ev.UserID != u.ID || ev.Result != "ok" || ev.Detail != "on behalf of the user" {
				t.Errorf("prepare event = %+v, want actor %d on behalf of user %d", ev, adm.ID, u.ID)
			}
		}
	}
	if !found {
		t.Fatal("no 2fa.prepare event")
	}

	key := keyOf(t, p)
	if _, err := e.svc.Confirm(e.ctx, e.actor(ut), auth.ConfirmRequest{Token: p.Token, Code: key.Code(e.clock.Now())}); err != nil {
		t.Fatalf("the user confirms: %v", err)
	}
	u.Key = key
	e.session(u)
	// Regenerating keeps the form the admin chose.
	codes, err := e.svc.RegenerateScratchCodes(e.ctx, admin, u.ID, "")
	if err != nil {
		t.Fatalf("RegenerateScratchCodes by an admin: %v", err)
	}
	checkForm(t, codes, mfad.ScratchForm{Count: 5, Length: 8, Alphabet: mfad.Digits})

	// An admin may also prepare again for an enrolled user without the
	// user's code.
	if _, err := e.svc.Prepare(e.ctx, admin, auth.PrepareRequest{UserID: u.ID}); err != nil {
		t.Fatalf("Prepare by an admin for an enrolled user: %v", err)
	}
}

// TestEnrollOnly: under policy "all" a user without 2FA gets a session that
// may only enroll; Confirm makes it full.
func TestEnrollOnly(t *testing.T) {
	e := newEnv(t)
	ctx := e.ctx
	if err := e.svc.SetPolicy(ctx, e.sys, auth.PolicyAll); err != nil {
		t.Fatal(err)
	}
	u := e.newUser("u", mfad.RoleUser)
	res := e.login(u, remote)
	if !res.SetupRequired || res.Tokens == nil || res.Tokens.Scope != mfad.ScopeEnroll || res.Ticket != "" {
		t.Fatalf("login under policy all without 2FA: %+v", res)
	}
	a := e.actor(res.Tokens)
	if a.Scope() != mfad.ScopeEnroll {
		t.Fatalf("actor scope %q, want enroll", a.Scope())
	}

	others := []struct {
		name string
		call func(a auth.Actor) error
	}{
		{"ScratchCodes", func(a auth.Actor) error { _, err := e.svc.ScratchCodes(ctx, a, u.ID, ""); return err }},
		{"RegenerateScratchCodes", func(a auth.Actor) error { _, err := e.svc.RegenerateScratchCodes(ctx, a, u.ID, ""); return err }},
		{"Disable", func(a auth.Actor) error { return e.svc.Disable(ctx, a, auth.DisableRequest{UserID: u.ID}) }},
		{"CreateAppPassword", func(a auth.Actor) error { _, err := e.svc.CreateAppPassword(ctx, a, u.ID, "mail", ""); return err }},
		{"AppPasswords", func(a auth.Actor) error { _, err := e.svc.AppPasswords(ctx, a, u.ID); return err }},
		{"TrustedDevices", func(a auth.Actor) error { _, _, err := e.svc.TrustedDevices(ctx, a, u.ID, ""); return err }},
		{"StepUp", func(a auth.Actor) error { return e.svc.StepUpActor(ctx, a, "123456") }},
		{"ChangePassword", func(a auth.Actor) error {
			return e.svc.ChangePassword(ctx, a, auth.PasswordChange{UserID: u.ID, Current: u.Password, New: "another password"})
		}},
		{"ListUsers", func(a auth.Actor) error { _, _, err := e.svc.ListUsers(ctx, a, auth.UserQuery{}); return err }},
	}
	for _, c := range others {
		checkCode(t, c.name+" on an enroll-only session", c.call(a), mfad.ESetupRequired)
	}

	// It can see its status and enroll.
	st, err := e.svc.Status(ctx, a, auth.ByID(u.ID))
	if err != nil || !st.Required || st.Enabled {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	p, err := e.svc.Prepare(ctx, a, auth.PrepareRequest{UserID: u.ID})
	if err != nil {
		t.Fatalf("Prepare on an enroll-only session: %v", err)
	}
	key := keyOf(t, p)
	if _, err := e.svc.Confirm(ctx, a, auth.ConfirmRequest{UserID: u.ID, Code: key.Code(e.clock.Now())}); err != nil {
		t.Fatalf("Confirm on an enroll-only session: %v", err)
	}
	u.Key = key

	// The same session is now full, with a recent second factor.
	a = e.actor(res.Tokens)
	if a.Scope() != mfad.ScopeFull {
		t.Fatalf("after Confirm the session's scope is %q, want full", a.Scope())
	}
	for _, c := range others {
		if c.name == "ListUsers" || c.name == "Disable" || c.name == "StepUp" || c.name == "ChangePassword" {
			continue // admin only, refused by policy, needs a fresh code, or revokes
		}
		if err := c.call(a); err != nil {
			t.Errorf("%s after Confirm: %v", c.name, err)
		}
	}
	checkCode(t, "Disable under policy all", others[2].call(a), mfad.EPolicy)
	// And the next login asks for the code.
	e.ticket(u)
}
