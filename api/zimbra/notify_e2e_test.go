package zimbra_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad/internal/e2e"
	"github.com/mfad/mfad/internal/notifytest"
	"github.com/mfad/mfad/otp"
)

// TestNotifyReplay: a replayed code through the Zimbra front (AuthRequest
// with twoFactorCode, twice with one code) produces exactly one webhook and
// one email (ASVS 2.8.5; docs/notifications.md).
func TestNotifyReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs mfad")
	}
	r := notifytest.Start(t)
	srv := e2e.Start(t, e2e.Options{Env: r.Env("code.replayed")})
	c := &live{t: t, srv: srv, form: "json"}
	const name, email, pw = "u1001", "u1001@example.org", "u1001-password-e2e"
	srv.AddUser(name, pw, "--email", email, "--id", "1001")
	acct := E("account", at{"by", "name"}, email)
	login := func(parts ...any) *answer {
		return c.do(rq{body: Account("AuthRequest", append([]any{acct}, parts...)...)})
	}
	ticket := func() string { return c.ok("AuthRequest with the password", login(E("password", pw))).get("authToken") }
	key, token := c.enableStart(email, pw)
	c.ok("enable step 2", c.do(rq{body: Account("EnableTwoFactorAuthRequest", at{"csrfTokenSecured", "1"},
		E("name", email), E("authToken", at{"verifyAccount", "1"}, token), E("twoFactorCode", key.Code(srv.Now())))}))
	srv.Advance(30 * time.Second)
	right := key.Code(srv.Now())
	c.ok("right code", login(E("authToken", at{"verifyAccount", "1"}, ticket()), E("twoFactorCode", right)))
	c.fault("replayed code", login(E("authToken", ticket()), E("twoFactorCode", right)), "account.TWO_FACTOR_AUTH_FAILED")
	r.WantOneReplay(t, "zimbra", email)
}

// TestNotifyPersistence (issue 26, item 5): what gives an attacker with a
// stolen session a way to stay in is mailed to the user, through the
// Zimbra front against a real `mfad serve` and a real SMTP server:
// turning 2FA on, new scratch codes and a new app password (its name in
// the mail), one mail each to the one address.
func TestNotifyPersistence(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs mfad")
	}
	r := notifytest.Start(t)
	srv := e2e.Start(t, e2e.Options{Env: r.Env("code.replayed")})
	c := &live{t: t, srv: srv, form: "json"}
	const name, email, pw = "u1002", "u1002@example.org", "u1002-password-e2e"
	srv.AddUser(name, pw, "--email", email, "--id", "1002")
	key, token := c.enableStart(email, pw)
	a := c.ok("enable step 2", c.do(rq{body: Account("EnableTwoFactorAuthRequest",
		E("name", email), E("authToken", token), E("twoFactorCode", key.Code(srv.Now())))}))
	session := a.get("authToken")
	c.ok("generate scratch codes", c.do(rq{body: Account("GenerateScratchCodesRequest"), token: session}))
	c.ok("create app password", c.do(rq{body: Account("CreateAppSpecificPasswordRequest", at{"appName", "Thunderbird"}), token: session}))
	for _, want := range []struct{ subject, detail string }{
		{"Subject: Two-factor authentication was turned on", ""},
		{"Subject: New scratch codes were made", ""},
		{"Subject: A new app password", "Name: Thunderbird"},
	} {
		notifytest.WaitFor(t, want.subject, func() bool { return len(r.MailsWith(want.subject)) >= 1 })
		m := r.MailsWith(want.subject)
		if len(m) != 1 || len(m[0].To) != 1 || m[0].To[0] != email || !strings.Contains(string(m[0].Data), want.detail) {
			t.Errorf("%s: %d mails: %+v", want.subject, len(m), m)
		}
	}
}

// enableStart is the first step of turning 2FA on with the password: the
// app's key and the enablement token for the second step.
func (c *live) enableStart(email, pw string) (otp.Key, string) {
	c.t.Helper()
	a := c.ok("enable step 1", c.do(rq{body: Account("EnableTwoFactorAuthRequest", E("name", email), E("password", pw))}))
	secret, err := otp.DecodeSecret(a.get("secret"))
	if err != nil {
		c.t.Fatal(err)
	}
	return otp.Key{Secret: secret}, a.get("authToken")
}
