package zimbra_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/mfad/mfad"
)

// TestRenew: an AuthRequest with an auth token (clients check their token
// at start-up) validates it and renews it: the same token, Zimbra's 2 days
// again; an unknown token is service.AUTH_REQUIRED, another account's name
// too, the temporary token of a login without its code account.AUTH_FAILED.
func TestRenew(t *testing.T) {
	e := newEnv(t, "wire")
	u := e.user("dora", mfad.RoleUser)
	other := e.user("eve", mfad.RoleUser)
	a := e.do(rq{raw: wrap(soap12, `<AuthRequest xmlns="urn:zimbraAccount"><account>dora</account><password>`+u.Password+`</password></AuthRequest>`)})
	e.wantOK("login", a)
	tok := a.get("authToken")
	e.clock.Add(36 * time.Hour)
	renew := func(attrs, acct, token string) *answer {
		verify := "0"
		if acct != "" {
			verify = "1"
		}
		return e.do(rq{raw: wrap(soap12, `<AuthRequest xmlns="urn:zimbraAccount"`+attrs+`>`+acct+
			`<authToken verifyAccount="`+verify+`">`+token+`</authToken></AuthRequest>`)})
	}
	a = renew("", `<account by="name">dora</account>`, tok)
	e.wantOK("renew", a)
	e.golden("auth-renew", a)
	if a.get("authToken") != tok || a.get("lifetime") != strconv.Itoa(48*3600*1000) {
		t.Fatalf("renewed: %s", a.body)
	}
	e.golden("auth-renew-csrf", renew(` csrfTokenSecured="1"`, "", tok))
	e.golden("auth-renew-other-account", renew("", `<account by="name">`+other.Name+`</account>`, tok))
	e.golden("auth-renew-unknown", renew("", "", "no-such-token"))
	e.clock.Add(49 * time.Hour)
	e.wantFault("renew an expired token", renew("", "", tok), "service.AUTH_REQUIRED")

	// The temporary token of a login awaiting its code.
	a = e.do(rq{raw: wrap(soap12, `<EnableTwoFactorAuthRequest xmlns="urn:zimbraAccount"><name>eve</name><password>`+other.Password+`</password></EnableTwoFactorAuthRequest>`)})
	if other.Key, _ = keyOf(a); other.Key.Secret == nil {
		t.Fatalf("enable: %s", a.body)
	}
	e.wantOK("confirm", e.do(rq{raw: wrap(soap12, `<EnableTwoFactorAuthRequest xmlns="urn:zimbraAccount"><name>eve</name><authToken>`+
		a.get("authToken")+`</authToken><twoFactorCode>`+e.code(other)+`</twoFactorCode></EnableTwoFactorAuthRequest>`)}))
	a = e.do(rq{raw: wrap(soap12, `<AuthRequest xmlns="urn:zimbraAccount"><account>eve</account><password>`+other.Password+`</password></AuthRequest>`)})
	e.golden("auth-renew-ticket", renew("", "", a.get("authToken")))
}

// TestCSRFTokenSecured: a cookie issued with csrfTokenSecured="1" counts
// only with its CSRF token; one issued without counts alone (Zimbra's
// rule); renewing without the flag keeps a cookie's CSRF check, renewing
// with it adds one; a token in the header context never needs it.
func TestCSRFTokenSecured(t *testing.T) {
	e := newEnv(t, "xml")
	u := e.user("fred", mfad.RoleUser)
	login := func(csrf bool) *answer {
		parts := []any{E("account", u.Name), E("password", u.Password)}
		if csrf {
			parts = append(parts, at{"csrfTokenSecured", "1"})
		}
		a := e.do(rq{body: Account("AuthRequest", parts...)})
		e.wantOK("login", a)
		return a
	}
	ask := func(ck *http.Cookie, header map[string]string) string {
		return e.do(rq{body: Account("GetTrustedDevicesRequest"), cookies: []*http.Cookie{ck}, header: header}).fault()
	}

	plain := login(false)
	ck := plain.cookie("ZM_AUTH_TOKEN")
	if got := ask(ck, nil); got != "" {
		t.Errorf("a cookie issued without csrfTokenSecured, alone: %s", got)
	}
	if got := e.do(rq{body: Account("GetTrustedDevicesRequest"), token: plain.get("authToken")}).fault(); got != "" {
		t.Errorf("the token in the header context: %s", got)
	}

	secured := login(true)
	sck := secured.cookie("ZM_AUTH_TOKEN")
	if got := ask(sck, nil); got != "service.AUTH_REQUIRED" {
		t.Errorf("a csrfTokenSecured cookie without its CSRF token: %q, want service.AUTH_REQUIRED", got)
	}
	if got := ask(sck, map[string]string{"X-Zimbra-Csrf-Token": plain.get("authToken")}); got != "service.AUTH_REQUIRED" {
		t.Errorf("a csrfTokenSecured cookie with a wrong CSRF token: %q", got)
	}
	if got := ask(sck, map[string]string{"X-Zimbra-Csrf-Token": secured.get("csrfToken")}); got != "" {
		t.Errorf("a csrfTokenSecured cookie with its CSRF token: %s", got)
	}
	if got := e.do(rq{body: Account("GetTrustedDevicesRequest"), token: secured.get("authToken")}).fault(); got != "" {
		t.Errorf("a csrfTokenSecured token in the header context: %s", got)
	}

	// Renewing keeps the check of a secured cookie, and adds one on request.
	a := e.do(rq{body: Account("AuthRequest", E("authToken", secured.get("authToken"))), cookies: []*http.Cookie{sck}})
	e.wantOK("renew a secured token", a)
	if c := a.cookie("ZM_AUTH_TOKEN"); c == nil || ask(c, nil) != "service.AUTH_REQUIRED" {
		t.Errorf("renewing without csrfTokenSecured dropped the CSRF check: %v", c)
	}
	a = e.do(rq{body: Account("AuthRequest", at{"csrfTokenSecured", "1"}, E("authToken", plain.get("authToken")))})
	e.wantOK("renew with csrfTokenSecured", a)
	if c := a.cookie("ZM_AUTH_TOKEN"); c == nil || ask(c, nil) != "service.AUTH_REQUIRED" ||
		ask(c, map[string]string{"X-Zimbra-Csrf-Token": a.get("csrfToken")}) != "" {
		t.Errorf("renewing with csrfTokenSecured: cookie %v, csrf %q", c, a.get("csrfToken"))
	}
}
