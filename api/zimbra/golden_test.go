package zimbra_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// TestGolden walks every answer and fault of the dialect, once in each form,
// and holds their exact wire form against testdata/golden/<form>/.
func TestGolden(t *testing.T) {
	for _, form := range []string{"xml", "json"} {
		t.Run(form, func(t *testing.T) {
			e := newEnv(t, form)
			goldenEnvelope(e)
			goldenLifecycle(e)
			goldenAdmin(e)
			goldenPolicy(e)
		})
	}
}

// goldenEnvelope: what the front refuses before any request is served.
func goldenEnvelope(e *env) {
	malformed := map[string]string{
		"xml":  `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>`,
		"json": `{"Body":{"AuthRequest":`,
	}
	e.golden("fault-malformed", e.do(rq{raw: malformed[e.form]}))
	notEnvelope := map[string]string{
		"xml":  `<AuthRequest xmlns="urn:zimbraAccount"/>`,
		"json": `{"AuthRequest":{"_jsns":"urn:zimbraAccount"}}`,
	}
	e.golden("fault-not-an-envelope", e.do(rq{raw: notEnvelope[e.form]}))
	if e.form == "xml" {
		e.golden("fault-doctype", e.do(rq{raw: `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>` +
			`<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><AuthRequest xmlns="urn:zimbraAccount"><account>&e;</account></AuthRequest></soap:Body></soap:Envelope>`}))
		e.golden("fault-entity", e.do(rq{raw: `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><AuthRequest xmlns="urn:zimbraAccount"><account>&e;</account></AuthRequest></soap:Body></soap:Envelope>`}))
	} else {
		e.golden("fault-duplicate-member", e.do(rq{raw: `{"Body":{"AuthRequest":{"_jsns":"urn:zimbraAccount","password":"a","password":"b"}}}`}))
	}
	e.golden("fault-unknown-document", e.do(rq{body: Account("NoSuchRequest")}))
	e.golden("fault-admin-request-at-account-path", e.do(rq{path: "/service/soap", body: Admin("ClearTwoFactorAuthDataRequest")}))
	e.golden("fault-method", e.do(rq{method: http.MethodGet}))
}

// goldenLifecycle: a user's whole life through urn:zimbraAccount.
func goldenLifecycle(e *env) {
	alice := e.user("alice", mfad.RoleUser)
	bob := e.user("bob", mfad.RoleUser)
	enable := func(parts ...any) rq { return rq{body: Account("EnableTwoFactorAuthRequest", parts...)} }
	name := E("name", alice.Name)

	e.golden("enable-start-wrong-password", e.do(enable(name, E("password", "wrong"))))
	a := e.do(enable(name, E("password", alice.Password)))
	e.wantOK("enable start", a)
	e.golden("enable-start", a)
	key, err := keyOf(a)
	if err != nil {
		e.t.Fatal(err)
	}
	alice.Key = key
	enableToken := a.get("authToken")

	e.golden("enable-confirm-no-credentials", e.do(enable(name, E("twoFactorCode", "123456"))))
	e.golden("enable-confirm-bad-token", e.do(enable(name, E("authToken", "no-such-token"), E("twoFactorCode", e.wrongCode(alice)))))
	e.golden("enable-confirm-wrong-code", e.do(enable(name, E("authToken", enableToken), E("twoFactorCode", e.wrongCode(alice)))))
	e.golden("enable-confirm-other-account", e.do(enable(E("name", bob.Name), E("authToken", enableToken), E("twoFactorCode", e.code(alice)))))
	a = e.do(enable(at{"csrfTokenSecured", "1"}, name, E("authToken", at{"verifyAccount", "1"}, enableToken), E("twoFactorCode", e.code(alice))))
	e.wantOK("enable confirm", a)
	e.golden("enable-confirm", a)
	scratch := a.values("scratchCode")
	if len(scratch) != 10 {
		e.t.Fatalf("enable confirm: %d scratch codes, want 10", len(scratch))
	}
	e.golden("enable-start-already-enabled", e.do(enable(name, E("password", alice.Password))))

	login := func(parts ...any) rq { return rq{body: Account("AuthRequest", parts...)} }
	acct := E("account", at{"by", "name"}, alice.Name)
	ticket := func() string {
		e.t.Helper()
		a := e.do(login(acct, E("password", alice.Password)))
		e.wantOK("login", a)
		return a.get("authToken")
	}
	e.golden("auth-wrong-password", e.do(login(acct, E("password", "wrong"))))
	a = e.do(login(acct, E("password", alice.Password)))
	e.golden("auth-two-factor-required", a)
	tk := a.get("authToken")
	e.golden("auth-no-code", e.do(login(acct, E("authToken", tk))))
	e.golden("auth-wrong-code", e.do(login(acct, E("authToken", at{"verifyAccount", "1"}, tk), E("twoFactorCode", e.wrongCode(alice)))))
	code := e.code(alice)
	e.golden("auth-code", e.do(login(acct, E("authToken", at{"verifyAccount", "1"}, tk), E("twoFactorCode", code))))
	e.golden("auth-used-ticket", e.do(login(acct, E("authToken", tk), E("twoFactorCode", e.code(alice)))))
	e.golden("auth-replayed-code", e.do(login(acct, E("authToken", ticket()), E("twoFactorCode", code))))
	e.golden("auth-scratch-code", e.do(login(acct, E("authToken", ticket()), E("twoFactorCode", scratch[0]))))
	e.golden("auth-scratch-code-again", e.do(login(acct, E("authToken", ticket()), E("twoFactorCode", scratch[0]))))
	a = e.do(login(at{"csrfTokenSecured", "1"}, at{"deviceTrusted", "1"}, at{"persistAuthTokenCookie", "1"},
		acct, E("password", alice.Password), E("twoFactorCode", e.code(alice))))
	e.wantOK("trust device", a)
	e.golden("auth-trust-device", a)
	trusted, session, csrf := a.get("trustedToken"), a.get("authToken"), a.get("csrfToken")
	e.golden("auth-trusted-device", e.do(login(acct, E("password", alice.Password), E("trustedToken", trusted))))
	e.golden("auth-password-and-code", e.do(login(acct, E("password", alice.Password), E("twoFactorCode", e.code(alice)))))
	e.golden("auth-no-password", e.do(login(acct)))
	e.golden("auth-no-account", e.do(login(E("password", alice.Password))))
	e.golden("auth-account-by-id", e.do(login(E("account", at{"by", "id"}, "1"), E("password", alice.Password))))

	authed := func(name string, parts ...any) rq { return rq{body: Account(name, parts...), token: session} }
	trustCookie := &http.Cookie{Name: "ZM_TRUST_TOKEN", Value: trusted}
	e.golden("fault-no-auth-token", e.do(rq{body: Account("GetScratchCodesRequest")}))
	e.golden("fault-bad-auth-token", e.do(rq{body: Account("GetScratchCodesRequest"), token: "no-such-token"}))
	e.golden("fault-cookie-without-csrf", e.do(rq{body: Account("GetTrustedDevicesRequest"),
		cookies: []*http.Cookie{{Name: "ZM_AUTH_TOKEN", Value: session}}}))
	e.golden("fault-cookie-with-wrong-csrf", e.do(rq{body: Account("GetTrustedDevicesRequest"),
		cookies: []*http.Cookie{{Name: "ZM_AUTH_TOKEN", Value: session}}, header: map[string]string{"X-Zimbra-Csrf-Token": session}}))
	e.golden("get-trusted-devices-by-cookie", e.do(rq{body: Account("GetTrustedDevicesRequest"),
		cookies: []*http.Cookie{{Name: "ZM_AUTH_TOKEN", Value: session}, trustCookie}, header: map[string]string{"X-Zimbra-Csrf-Token": csrf}}))
	e.golden("get-trusted-devices", e.do(authed("GetTrustedDevicesRequest")))
	e.golden("get-scratch-codes", e.do(authed("GetScratchCodesRequest")))
	e.golden("generate-scratch-codes", e.do(authed("GenerateScratchCodesRequest")))
	e.golden("create-app-password", e.do(authed("CreateAppSpecificPasswordRequest", at{"appName", "Thunderbird"})))
	e.golden("create-app-password-no-name", e.do(authed("CreateAppSpecificPasswordRequest")))
	e.golden("create-app-password-taken", e.do(authed("CreateAppSpecificPasswordRequest", at{"appName", "Thunderbird"})))
	e.golden("get-app-passwords", e.do(authed("GetAppSpecificPasswordsRequest")))
	e.golden("revoke-app-password", e.do(authed("RevokeAppSpecificPasswordRequest", at{"appName", "Thunderbird"})))
	e.golden("revoke-app-password-unknown", e.do(authed("RevokeAppSpecificPasswordRequest", at{"appName", "Thunderbird"})))
	e.golden("get-app-passwords-none", e.do(authed("GetAppSpecificPasswordsRequest")))
	e.golden("revoke-other-trusted-devices", e.do(rq{body: Account("RevokeOtherTrustedDevicesRequest"), token: session, cookies: []*http.Cookie{trustCookie}}))
	e.golden("revoke-trusted-device", e.do(rq{body: Account("RevokeTrustedDeviceRequest"), token: session, cookies: []*http.Cookie{trustCookie}}))
	e.golden("auth-revoked-device", e.do(login(acct, E("password", alice.Password), E("trustedToken", trusted))))

	e.clock.Add(11 * time.Minute) // the session's second factor is no longer recent
	e.golden("get-scratch-codes-stale", e.do(authed("GetScratchCodesRequest")))
	e.golden("disable-stale", e.do(authed("DisableTwoFactorAuthRequest")))

	// A fresh session for the last steps; its code makes it recent.
	a = e.do(login(acct, E("password", alice.Password), E("twoFactorCode", e.code(alice))))
	e.wantOK("fresh login", a)
	session = a.get("authToken")
	e.golden("disable", e.do(authed("DisableTwoFactorAuthRequest")))
	e.golden("disable-again", e.do(authed("DisableTwoFactorAuthRequest")))
	e.golden("get-scratch-codes-disabled", e.do(authed("GetScratchCodesRequest")))
	e.golden("auth-without-two-factor", e.do(login(acct, E("password", alice.Password))))
	e.golden("end-session", e.do(authed("EndSessionRequest", at{"logoff", "1"})))
	e.golden("fault-ended-session", e.do(authed("GetTrustedDevicesRequest")))

	// Five wrong codes in a row lock the second factor for 30 s.
	bobEnable := e.do(enable(E("name", bob.Name), E("password", bob.Password)))
	if bob.Key, err = keyOf(bobEnable); err != nil {
		e.t.Fatal(err)
	}
	e.wantOK("enable bob", e.do(enable(E("name", bob.Name), E("password", bob.Password), E("twoFactorCode", e.code(bob)))))
	bobAcct := E("account", bob.Name)
	var last *answer
	for range 5 {
		a := e.do(login(bobAcct, E("password", bob.Password)))
		last = e.do(login(bobAcct, E("authToken", a.get("authToken")), E("twoFactorCode", e.wrongCode(bob))))
	}
	e.golden("auth-locked", last)
}

// goldenAdmin: urn:zimbraAdmin at /service/admin/soap.
func goldenAdmin(e *env) {
	root := e.user("root", mfad.RoleAdmin)
	carol := e.user("carol", mfad.RoleUser)
	adminAuth := func(parts ...any) rq { return rq{body: Admin("AuthRequest", parts...)} }

	e.golden("admin-auth-not-admin", e.do(adminAuth(E("name", carol.Name), E("password", carol.Password))))
	e.golden("admin-auth-wrong-password", e.do(adminAuth(E("name", root.Name), E("password", "wrong"))))
	e.golden("admin-auth-no-password", e.do(adminAuth(E("name", root.Name))))
	a := e.do(adminAuth(at{"csrfTokenSecured", "1"}, E("account", at{"by", "name"}, root.Name), E("password", root.Password)))
	e.wantOK("admin auth", a)
	e.golden("admin-auth", a)
	admin := a.get("authToken")

	// carol enables 2FA; the admin clears it.
	a = e.do(rq{body: Account("EnableTwoFactorAuthRequest", E("name", carol.Name), E("password", carol.Password))})
	key, err := keyOf(a)
	if err != nil {
		e.t.Fatal(err)
	}
	carol.Key = key
	a = e.do(rq{body: Account("EnableTwoFactorAuthRequest", E("name", carol.Name), E("password", carol.Password), E("twoFactorCode", e.code(carol)))})
	e.wantOK("enable carol", a)
	carolSession := a.get("authToken")

	clear := func(token string, parts ...any) rq {
		return rq{body: Admin("ClearTwoFactorAuthDataRequest", parts...), token: token}
	}
	e.golden("admin-clear-not-admin", e.do(clear(carolSession, E("account", carol.Name))))
	e.golden("admin-clear-unknown", e.do(clear(admin, E("account", at{"by", "name"}, "nobody"))))
	e.golden("admin-clear-cos", e.do(clear(admin, E("cos", at{"by", "name"}, "default"))))
	e.golden("admin-clear", e.do(clear(admin, E("account", at{"by", "name"}, carol.Name))))
	e.golden("fault-cleared-session", e.do(rq{body: Account("GetTrustedDevicesRequest"), token: carolSession}))
	e.golden("admin-disable-by-id", e.do(rq{body: Admin("DisableTwoFactorAuthRequest", E("account", at{"by", "id"}, strconv.FormatInt(carol.ID, 10))), token: admin}))

	// The administrator turns 2FA on: the admin login asks for the code.
	a = e.do(rq{body: Account("EnableTwoFactorAuthRequest", E("name", root.Name), E("password", root.Password))})
	if root.Key, err = keyOf(a); err != nil {
		e.t.Fatal(err)
	}
	e.wantOK("enable root", e.do(rq{body: Account("EnableTwoFactorAuthRequest", E("name", root.Name), E("authToken", a.get("authToken")), E("twoFactorCode", e.code(root)))}))
	a = e.do(adminAuth(E("name", root.Name), E("password", root.Password)))
	e.golden("admin-auth-two-factor-required", a)
	tk := a.get("authToken")
	e.golden("admin-auth-wrong-code", e.do(adminAuth(E("authToken", tk), E("twoFactorCode", e.wrongCode(root)))))
	e.golden("admin-auth-code", e.do(adminAuth(E("authToken", tk), E("twoFactorCode", e.code(root)))))
	e.golden("admin-auth-password-and-code", e.do(adminAuth(E("name", root.Name), E("password", root.Password), E("twoFactorCode", e.code(root)))))

	// A ticket of the account AuthRequest of a user is no admin ticket.
	a = e.do(rq{body: Account("EnableTwoFactorAuthRequest", E("name", carol.Name), E("password", carol.Password))})
	if carol.Key, err = keyOf(a); err != nil {
		e.t.Fatal(err)
	}
	e.wantOK("enable carol again", e.do(rq{body: Account("EnableTwoFactorAuthRequest", E("name", carol.Name), E("authToken", a.get("authToken")), E("twoFactorCode", e.code(carol)))}))
	a = e.do(rq{body: Account("AuthRequest", E("account", carol.Name), E("password", carol.Password))})
	e.golden("admin-auth-user-ticket", e.do(adminAuth(E("authToken", a.get("authToken")), E("twoFactorCode", e.code(carol)))))
}

// goldenPolicy: what a policy that requires 2FA changes.
func goldenPolicy(e *env) {
	if err := e.svc.SetPolicy(e.ctx, auth.System("test"), auth.PolicyAll); err != nil {
		e.t.Fatal(err)
	}
	dave := e.user("dave", mfad.RoleUser)
	acct := E("account", dave.Name)
	e.golden("auth-setup-required", e.do(rq{body: Account("AuthRequest", acct, E("password", dave.Password))}))
	a := e.do(rq{body: Account("EnableTwoFactorAuthRequest", E("name", dave.Name), E("password", dave.Password))})
	e.wantOK("enable under policy", a)
	key, err := keyOf(a)
	if err != nil {
		e.t.Fatal(err)
	}
	dave.Key = key
	a = e.do(rq{body: Account("EnableTwoFactorAuthRequest", E("name", dave.Name), E("authToken", a.get("authToken")), E("twoFactorCode", e.code(dave)))})
	e.wantOK("confirm under policy", a)
	e.golden("disable-required-by-policy", e.do(rq{body: Account("DisableTwoFactorAuthRequest"), token: a.get("authToken")}))
}
