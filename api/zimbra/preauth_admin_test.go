package zimbra_test

import (
	"fmt"
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// TestPreauthMakesNoAdmin (issue 26, item 1): a domain's preauth key logs a
// user in, never an administrator's rights. An account-namespace
// AuthRequest with <preauth> for an administrator answers a token that the
// admin namespace refuses, with and without a second factor proven in the
// login, and the core's actor of that token is no administrator (so the
// token is refused at /v1 and every other front alike). The login is
// audited as a preauth login.
func TestPreauthMakesNoAdmin(t *testing.T) {
	e := newEnv(t, "xml")
	root := e.user("root", mfad.RoleAdmin) // root@example.test
	carol := e.user("carol", mfad.RoleUser)
	if _, err := e.svc.SetPreauthKey(e.ctx, auth.System("test"), "example.test", preauthKey); err != nil {
		t.Fatal(err)
	}
	preauth := func(account string) *answer {
		now := e.clock.Now().UnixMilli()
		return e.do(rq{raw: wrap(soap12, fmt.Sprintf(`<AuthRequest xmlns="urn:zimbraAccount"><account by="name">%s</account>`+
			`<preauth timestamp="%d" expires="0">%s</preauth></AuthRequest>`, account, now, preauthOf(account, now)))})
	}
	// carol has 2FA, the target of the admin's ClearTwoFactorAuthData.
	a := e.do(rq{body: Account("EnableTwoFactorAuthRequest", E("name", carol.Name), E("password", carol.Password))})
	var err error
	if carol.Key, err = keyOf(a); err != nil {
		t.Fatal(err)
	}
	e.wantOK("enable carol", e.do(rq{body: Account("EnableTwoFactorAuthRequest", E("name", carol.Name), E("password", carol.Password), E("twoFactorCode", e.code(carol)))}))

	refused := func(what, token string) {
		t.Helper()
		a := e.do(rq{body: Admin("ClearTwoFactorAuthDataRequest", E("account", at{"by", "name"}, carol.Name)), token: token})
		// Another user's account is not found for a non-admin (LookupUser).
		if f := a.fault(); f != "service.PERM_DENIED" && f != "service.NOT_FOUND" {
			t.Errorf("%s: ClearTwoFactorAuthData answered %q, want a refusal: %s", what, f, a.body)
		}
		st, err := e.svc.Status(e.ctx, auth.System("test"), auth.ByID(carol.ID))
		if err != nil || !st.Enabled {
			t.Fatalf("%s: carol's 2FA after the refused clear: %+v, %v", what, st, err)
		}
		actor, err := e.svc.Authenticate(e.ctx, auth.Client{Addr: "192.0.2.1", Dialect: "rest"}, token)
		if err != nil || actor.IsAdmin() || actor.Role() != mfad.RoleUser {
			t.Errorf("%s: the token's actor: admin %v, role %q, %v", what, actor.IsAdmin(), actor.Role(), err)
		}
		if root.Key.Secret == nil {
			return
		}
		if err := e.svc.StepUp(e.ctx, auth.Client{Addr: "192.0.2.1", Dialect: "rest"}, token, e.code(root)); err != nil {
			t.Errorf("%s: step-up: %v", what, err)
		} else {
			if again, _ := e.svc.Authenticate(e.ctx, auth.Client{Addr: "192.0.2.1", Dialect: "rest"}, token); again.IsAdmin() {
				t.Errorf("%s: a step-up made the preauth session an administrator's", what)
			}
		}
	}

	// Without 2FA: the preauth login answers a session at once.
	a = preauth("root@example.test")
	e.wantOK("preauth of the admin", a)
	refused("preauth session", a.get("authToken"))

	// The admin turns 2FA on (with the password): preauth then asks for the
	// code, and the session the code completes is still no admin's.
	a = e.do(rq{body: Account("EnableTwoFactorAuthRequest", E("name", root.Name), E("password", root.Password))})
	if root.Key, err = keyOf(a); err != nil {
		t.Fatal(err)
	}
	e.wantOK("enable root", e.do(rq{body: Account("EnableTwoFactorAuthRequest", E("name", root.Name), E("password", root.Password), E("twoFactorCode", e.code(root)))}))
	a = preauth("root@example.test")
	if a.get("twoFactorAuthRequired") != "true" {
		t.Fatalf("preauth of an admin with 2FA: %s", a.body)
	}
	ticket := a.get("authToken")
	// The admin namespace does not take a preauth login's ticket.
	adm := e.do(rq{body: Admin("AuthRequest", E("name", root.Name), E("authToken", ticket), E("twoFactorCode", e.code(root)))})
	if adm.fault() == "" {
		t.Errorf("the admin AuthRequest took a preauth ticket: %s", adm.body)
	}
	a = e.do(rq{body: Account("AuthRequest", E("account", "root@example.test"), E("authToken", ticket), E("twoFactorCode", e.code(root)))})
	e.wantOK("preauth + code", a)
	refused("preauth + code session", a.get("authToken"))
	// The same code in one request.
	a = preauth("root@example.test")
	a = e.do(rq{body: Account("AuthRequest", E("account", "root@example.test"), E("authToken", a.get("authToken")), E("twoFactorCode", e.code(root)))})
	refused("preauth + code, again", a.get("authToken"))

	// An admin's own password login is still an admin's.
	a = e.do(rq{body: Admin("AuthRequest", E("name", root.Name), E("password", root.Password), E("twoFactorCode", e.code(root)))})
	e.wantOK("admin password login", a)

	events, err := e.svc.Audit(e.ctx, auth.System("test"), mfad.AuditFilter{UserID: root.ID})
	if err != nil {
		t.Fatal(err)
	}
	var preauthOK, preauthTicket int
	for _, ev := range events {
		switch {
		case ev.Action == "login" && ev.Result == "ok" && ev.Detail == "preauth" && ev.Dialect == "zimbra":
			preauthOK++
		case ev.Action == "login.preauth" && ev.Result == "ok":
			preauthTicket++
		}
	}
	if preauthOK != 1 || preauthTicket != 2 {
		t.Errorf("audit: %d `login ok preauth`, %d `login.preauth ok` events; want 1 and 2: %+v", preauthOK, preauthTicket, events)
	}
}
