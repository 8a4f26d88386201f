package zimbra_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mfad/mfad"
)

// batchCodes sends a BatchRequest of reqs (XML request elements) and
// returns the fault code (or "" for an answer) of each, in order.
func batchCodes(e *env, path, token string, reqs ...string) ([]string, *answer) {
	e.t.Helper()
	var b strings.Builder
	for i, r := range reqs {
		b.WriteString(strings.Replace(r, ">", fmt.Sprintf(` requestId="%d">`, i+1), 1))
	}
	ctx := `<context xmlns="urn:zimbra"/>`
	if token != "" {
		ctx = `<context xmlns="urn:zimbra"><authToken>` + token + `</authToken></context>`
	}
	a := e.do(rq{path: path, raw: `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header>` + ctx +
		`</soap:Header><soap:Body><BatchRequest xmlns="urn:zimbra">` + b.String() + `</BatchRequest></soap:Body></soap:Envelope>`})
	e.wantOK("batch", a)
	out := make([]string, 0, len(reqs))
	for _, part := range strings.Split(string(a.body), `requestId="`)[1:] {
		code := ""
		if i := strings.Index(part, "<Code>"); i >= 0 && (strings.Index(part, "Response") < 0 || strings.Index(part, "Response") > i) {
			code = part[i+6 : i+6+strings.Index(part[i+6:], "<")]
		}
		out = append(out, code)
	}
	if len(out) != len(reqs) {
		e.t.Fatalf("batch of %d answered %d: %s", len(reqs), len(out), a.body)
	}
	return out, a
}

// TestBatchGoesThroughTheCore: the requests of a BatchRequest meet the same
// authentication, lockout, throttles and rights as lone requests.
func TestBatchGoesThroughTheCore(t *testing.T) {
	e := newEnv(t, "xml")
	alice := e.user("alice", mfad.RoleUser)
	bob := e.user("bob", mfad.RoleUser)
	e.user("root", mfad.RoleAdmin)
	a := e.do(rq{body: Account("EnableTwoFactorAuthRequest", E("name", alice.Name), E("password", alice.Password))})
	key, err := keyOf(a)
	if err != nil {
		t.Fatal(err)
	}
	alice.Key = key
	e.wantOK("enable", e.do(rq{body: Account("EnableTwoFactorAuthRequest", E("name", alice.Name), E("authToken", a.get("authToken")), E("twoFactorCode", e.code(alice)))}))

	// Five wrong codes in one batch lock the second factor (the fifth
	// failure answers the lockout): the right code after them is refused.
	withCode := func(code string) string {
		return `<AuthRequest xmlns="urn:zimbraAccount"><account>alice</account><password>` + alice.Password + `</password><twoFactorCode>` + code + `</twoFactorCode></AuthRequest>`
	}
	wrong := withCode(e.wrongCode(alice))
	right := withCode(e.code(alice))
	got, ans := batchCodes(e, "", "", wrong, wrong, wrong, wrong, wrong, right)
	want := []string{"account.TWO_FACTOR_AUTH_FAILED", "account.TWO_FACTOR_AUTH_FAILED", "account.TWO_FACTOR_AUTH_FAILED",
		"account.TWO_FACTOR_AUTH_FAILED", "account.AUTH_FAILED", "account.AUTH_FAILED"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("lockout in a batch: got %v, want %v", got, want)
	}
	if ans.header.Get("Retry-After") == "" {
		t.Errorf("a locked request in a batch: no Retry-After")
	}

	// Wrong passwords in one batch are throttled: after 5 free failures
	// even the right password waits.
	pw := func(p string) string {
		return `<AuthRequest xmlns="urn:zimbraAccount"><account>bob</account><password>` + p + `</password></AuthRequest>`
	}
	bad := pw("wrong")
	got, _ = batchCodes(e, "", "", bad, bad, bad, bad, bad, bad, pw(bob.Password))
	if got[6] != "account.AUTH_FAILED" {
		t.Errorf("password throttle in a batch: the right password after 6 failures answered %q", got[6])
	}

	// A user's session cannot run admin requests in a batch, and admin
	// requests are not served at /service/soap at all.
	e.clock.Add(20 * 60e9) // the throttles of bob are over
	s := e.do(rq{body: Account("AuthRequest", E("account", bob.Name), E("password", bob.Password))})
	e.wantOK("bob logs in", s)
	clear := `<ClearTwoFactorAuthDataRequest xmlns="urn:zimbraAdmin"><account>alice</account></ClearTwoFactorAuthDataRequest>`
	// An admin-only call refuses a user before it looks anyone up (as
	// Zimbra's admin namespace does): no name can be probed.
	if got, _ := batchCodes(e, "/service/admin/soap", s.get("authToken"), clear); got[0] != "service.PERM_DENIED" {
		t.Errorf("a user's admin request in a batch: %q, want service.PERM_DENIED", got[0])
	}
	if got, _ := batchCodes(e, "/service/soap", s.get("authToken"), clear); got[0] != "service.UNKNOWN_DOCUMENT" {
		t.Errorf("an admin request in a batch at /service/soap: %q, want service.UNKNOWN_DOCUMENT", got[0])
	}
	// Without a token, a request that needs one faults even when an
	// earlier request of the batch logged in.
	login := `<AuthRequest xmlns="urn:zimbraAccount"><account>bob</account><password>` + bob.Password + `</password></AuthRequest>`
	if got, _ := batchCodes(e, "", "", login, `<GetTrustedDevicesRequest xmlns="urn:zimbraAccount"></GetTrustedDevicesRequest>`); fmt.Sprint(got) != "[ service.AUTH_REQUIRED]" {
		t.Errorf("a batch that logs in and then asks: %v", got)
	}
	// alice's second factor is still asked for: nothing of the batches
	// above cleared it.
	e.clock.Add(20 * 60e9) // the lockout is over
	if a := e.do(rq{body: Account("AuthRequest", E("account", alice.Name), E("password", alice.Password))}); a.get("twoFactorAuthRequired") != "true" {
		t.Errorf("alice after the batches: %s", a.body)
	}
}
