package zimbra_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/zimbra"
)

// TestFaultTable holds the one table from domain codes to Zimbra faults,
// with the overrides of the login and enable steps. Every domain code must
// be here: a new one fails this test until it is mapped.
func TestFaultTable(t *testing.T) {
	tests := []struct {
		code     mfad.Code
		want     string
		receiver bool
		login    string // under the login steps' overrides
		enable   string // under EnableTwoFactorAuthRequest's overrides
	}{
		{mfad.EInvalidInput, "service.INVALID_REQUEST", false, "service.INVALID_REQUEST", "service.INVALID_REQUEST"},
		{mfad.EInvalidLogin, "account.AUTH_FAILED", false, "account.AUTH_FAILED", "account.AUTH_FAILED"},
		{mfad.EInvalidCode, "account.TWO_FACTOR_AUTH_FAILED", false, "account.TWO_FACTOR_AUTH_FAILED", "account.TWO_FACTOR_AUTH_FAILED"},
		{mfad.EUnauthenticated, "service.AUTH_REQUIRED", false, "account.AUTH_FAILED", "account.AUTH_FAILED"},
		{mfad.EForbidden, "service.PERM_DENIED", false, "service.PERM_DENIED", "account.CANNOT_ENABLE_TWO_FACTOR_AUTH"},
		{mfad.ENotFound, "service.NOT_FOUND", false, "account.AUTH_FAILED", "account.AUTH_FAILED"},
		{mfad.EConflict, "service.FAILURE", true, "service.FAILURE", "service.FAILURE"},
		{mfad.ELocked, "account.AUTH_FAILED", false, "account.AUTH_FAILED", "account.AUTH_FAILED"},
		{mfad.EThrottled, "account.AUTH_FAILED", false, "account.AUTH_FAILED", "account.AUTH_FAILED"},
		{mfad.EExpired, "account.AUTH_FAILED", false, "account.AUTH_FAILED", "account.AUTH_FAILED"},
		{mfad.EStepUp, "account.TWO_FACTOR_AUTH_REQUIRED", false, "account.TWO_FACTOR_AUTH_REQUIRED", "account.TWO_FACTOR_AUTH_REQUIRED"},
		{mfad.ENotEnrolled, "service.FAILURE", true, "service.FAILURE", "service.FAILURE"},
		{mfad.ENoPending, "account.AUTH_FAILED", false, "account.AUTH_FAILED", "account.AUTH_FAILED"},
		{mfad.ESetupRequired, "account.TWO_FACTOR_SETUP_REQUIRED", false, "account.TWO_FACTOR_SETUP_REQUIRED", "account.TWO_FACTOR_SETUP_REQUIRED"},
		{mfad.EPolicy, "account.CANNOT_DISABLE_TWO_FACTOR_AUTH", false, "account.CANNOT_DISABLE_TWO_FACTOR_AUTH", "account.CANNOT_ENABLE_TWO_FACTOR_AUTH"},
		{mfad.EAppIgnored, "account.TWO_FACTOR_AUTH_FAILED", false, "account.TWO_FACTOR_AUTH_FAILED", "account.TWO_FACTOR_AUTH_FAILED"},
		{mfad.EBusy, "service.TEMPORARILY_UNAVAILABLE", true, "service.TEMPORARILY_UNAVAILABLE", "service.TEMPORARILY_UNAVAILABLE"},
		{mfad.EUnavailable, "service.TEMPORARILY_UNAVAILABLE", true, "service.TEMPORARILY_UNAVAILABLE", "service.TEMPORARILY_UNAVAILABLE"},
		{mfad.EInternal, "service.FAILURE", true, "service.FAILURE", "service.FAILURE"},
	}
	for _, tt := range tests {
		t.Run(string(tt.code), func(t *testing.T) {
			err := mfad.Errorf(tt.code, "the message")
			code, receiver, reason := zimbra.FaultOf(err, false)
			if code != tt.want || receiver != tt.receiver {
				t.Errorf("fault %s (receiver %v), want %s (receiver %v)", code, receiver, tt.want, tt.receiver)
			}
			if tt.code != mfad.EInternal && !strings.HasSuffix(reason, "the message") {
				t.Errorf("reason %q does not carry the core's message", reason)
			}
			if code, _, _ := zimbra.FaultOf(err, true); code != tt.login {
				t.Errorf("in the login steps: %s, want %s", code, tt.login)
			}
			if code := zimbra.EnableFaultOf(err); code != tt.enable {
				t.Errorf("in EnableTwoFactorAuthRequest: %s, want %s", code, tt.enable)
			}
		})
	}
	t.Run("internal details stay out", func(t *testing.T) {
		for _, err := range []error{
			errors.New("database is on fire at /var/lib/mfad"),
			&mfad.Error{Code: mfad.EInternal, Message: "secret detail", Err: errors.New("cause")},
			mfad.Errorf("no_such_code", "secret detail"),
		} {
			code, receiver, reason := zimbra.FaultOf(err, false)
			if code != "service.FAILURE" || !receiver || reason != "system failure: internal error" {
				t.Errorf("%v: fault %s %v %q, want service.FAILURE, receiver, a fixed reason", err, code, receiver, reason)
			}
		}
	})
}

// TestMalformed: whatever arrives, the answer is a service.INVALID_REQUEST
// fault in the form of the request, never a crash or a bare 500; no DTD or
// entity is ever processed.
func TestMalformed(t *testing.T) {
	outer := `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">%s</soap:Envelope>`
	body := fmt.Sprintf(outer, `<soap:Body>%s</soap:Body>`)
	deep := strings.Repeat("<a>", 40) + strings.Repeat("</a>", 40)
	tests := []struct {
		form, name, body string
	}{
		{"json", "white space", "  \n "},
		{"json", "text", `hello`},
		{"xml", "unclosed", `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>`},
		{"xml", "mismatched", fmt.Sprintf(body, `<AuthRequest xmlns="urn:zimbraAccount"></Auth>`)},
		{"xml", "no namespace", `<Envelope><Body><AuthRequest/></Body></Envelope>`},
		{"xml", "no body", fmt.Sprintf(outer, `<soap:Header/>`)},
		{"xml", "empty body", fmt.Sprintf(body, ``)},
		{"xml", "two requests", fmt.Sprintf(body, `<AuthRequest xmlns="urn:zimbraAccount"/><AuthRequest xmlns="urn:zimbraAccount"/>`)},
		{"xml", "two bodies", fmt.Sprintf(outer, `<soap:Body/><soap:Body/>`)},
		{"xml", "stray element", fmt.Sprintf(outer, `<x/><soap:Body/>`)},
		{"xml", "two roots", fmt.Sprintf(body, `<AuthRequest xmlns="urn:zimbraAccount"/>`) + `<x/>`},
		{"xml", "trailing text", fmt.Sprintf(body, `<AuthRequest xmlns="urn:zimbraAccount"/>`) + `junk`},
		{"xml", "DTD", `<!DOCTYPE soap:Envelope>` + fmt.Sprintf(body, `<AuthRequest xmlns="urn:zimbraAccount"/>`)},
		{"xml", "external entity", `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>` + fmt.Sprintf(body, `<AuthRequest xmlns="urn:zimbraAccount"><account>&x;</account></AuthRequest>`)},
		{"xml", "billion laughs", `<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>` + fmt.Sprintf(body, `<AuthRequest xmlns="urn:zimbraAccount"><account>&b;</account></AuthRequest>`)},
		{"xml", "undeclared entity", fmt.Sprintf(body, `<AuthRequest xmlns="urn:zimbraAccount"><account>&x;</account></AuthRequest>`)},
		{"xml", "processing instruction", fmt.Sprintf(body, `<?php evil() ?><AuthRequest xmlns="urn:zimbraAccount"/>`)},
		{"xml", "other encoding", `<?xml version="1.0" encoding="ISO-8859-1"?>` + fmt.Sprintf(body, `<AuthRequest xmlns="urn:zimbraAccount"/>`)},
		{"xml", "not UTF-8", fmt.Sprintf(body, "<AuthRequest xmlns=\"urn:zimbraAccount\"><account>\xff</account></AuthRequest>")},
		{"xml", "too deep", fmt.Sprintf(body, deep)},
		{"xml", "SOAP 1.1 empty body", `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body/></soap:Envelope>`},
		{"xml", "bad flag", fmt.Sprintf(body, `<AuthRequest xmlns="urn:zimbraAccount" deviceTrusted="maybe"><account>a</account><password>b</password></AuthRequest>`)},
		{"xml", "bad format", fmt.Sprintf(outer, `<soap:Header><context xmlns="urn:zimbra"><format type="html"/></context></soap:Header><soap:Body><AuthRequest xmlns="urn:zimbraAccount"/></soap:Body>`)},
		{"xml", "too large", fmt.Sprintf(body, `<AuthRequest xmlns="urn:zimbraAccount"><account>`+strings.Repeat("a", 70<<10)+`</account></AuthRequest>`)},
		{"json", "empty", ``},
		{"json", "not an object", `[1,2]`},
		{"json", "string", `"Body"`},
		{"json", "unclosed", `{"Body":{"AuthRequest":{`},
		{"json", "trailing data", `{"Body":{"AuthRequest":{}}} {}`},
		{"json", "no body", `{"Header":{}}`},
		{"json", "body not an object", `{"Body":"AuthRequest"}`},
		{"json", "empty body", `{"Body":{}}`},
		{"json", "two requests", `{"Body":{"AuthRequest":{},"EndSessionRequest":{}}}`},
		{"json", "two bodies", `{"Body":{"AuthRequest":{}},"Body":{"AuthRequest":{}}}`},
		{"json", "unknown member", `{"Body":{"AuthRequest":{}},"Evil":1}`},
		{"json", "duplicate member", `{"Body":{"AuthRequest":{"account":"a","account":"b"}}}`},
		{"json", "array of arrays", `{"Body":{"AuthRequest":{"account":[["a"]]}}}`},
		{"json", "too deep", `{"Body":{"AuthRequest":` + strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 42)},
		{"json", "too deep in arrays", `{"Body":{"AuthRequest":{"a":` + strings.Repeat(`[{"a":`, 40) + `1` + strings.Repeat(`}]`, 40) + `}}}`},
		{"json", "not UTF-8", "{\"Body\":{\"AuthRequest\":{\"account\":\"\xff\"}}}"},
		{"json", "bad flag", `{"Body":{"AuthRequest":{"_jsns":"urn:zimbraAccount","account":"a","password":"b","csrfTokenSecured":"yes"}}}`},
		{"json", "bad format", `{"Header":{"context":{"format":{"type":"html"}}},"Body":{"AuthRequest":{}}}`},
		{"json", "too large", `{"Body":{"AuthRequest":{"account":"` + strings.Repeat("a", 70<<10) + `"}}}`},
	}
	forms := map[string]*env{"xml": newEnv(t, "xml"), "json": newEnv(t, "json")}
	for _, tt := range tests {
		t.Run(tt.form+"/"+tt.name, func(t *testing.T) {
			e := forms[tt.form]
			a := e.do(rq{raw: tt.body})
			if a.status != http.StatusInternalServerError || a.form != tt.form {
				t.Fatalf("HTTP %d in form %s, want 500 in %s: %s", a.status, a.form, tt.form, a.body)
			}
			if got := a.fault(); got != "service.INVALID_REQUEST" {
				t.Fatalf("fault %q, want service.INVALID_REQUEST: %s", got, a.body)
			}
			if strings.Contains(string(a.body), "/etc/passwd") || strings.Contains(string(a.body), "root:") {
				t.Fatalf("the answer shows an entity: %s", a.body)
			}
		})
	}
}

// TestLenientJSON: Zimbra's JSON writes an element's text as a plain member,
// as {"_content":...} or as an array of those; all are read alike.
func TestLenientJSON(t *testing.T) {
	e := newEnv(t, "json")
	u := e.user("lenient", mfad.RoleUser)
	for _, body := range []string{
		`{"Body":{"AuthRequest":{"_jsns":"urn:zimbraAccount","account":"lenient","password":"%s"}}}`,
		`{"Body":{"AuthRequest":{"_jsns":"urn:zimbraAccount","account":{"by":"name","_content":"lenient"},"password":{"_content":"%s"}}}}`,
		`{"Body":{"AuthRequest":{"_jsns":"urn:zimbraAccount","account":[{"by":"name","_content":"lenient"}],"password":[{"_content":"%s"}]}}}`,
		`{"Body":{"AuthRequest":{"account":"lenient","password":["%s"]}},"_jsns":"urn:zimbraSoap"}`,
	} {
		a := e.do(rq{raw: fmt.Sprintf(body, u.Password)})
		e.wantOK(body, a)
		if a.get("authToken") == "" {
			t.Errorf("%s: no auth token: %s", body, a.body)
		}
	}
}

// TestAnswerForm: <format type="js"/> in the header context asks for a
// JSON answer to an XML request, and type="xml" the other way round.
func TestAnswerForm(t *testing.T) {
	e := newEnv(t, "xml")
	a := e.do(rq{raw: `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header><context xmlns="urn:zimbra"><format type="js"/></context></soap:Header>` +
		`<soap:Body><NoSuchRequest xmlns="urn:zimbraAccount"/></soap:Body></soap:Envelope>`})
	if a.form != "json" || a.fault() != "service.UNKNOWN_DOCUMENT" {
		t.Errorf("XML request asking for JSON: form %s, fault %q", a.form, a.fault())
	}
	j := newEnv(t, "json")
	a = j.do(rq{raw: `{"Header":{"context":{"_jsns":"urn:zimbra","format":{"type":"xml"}}},"Body":{"NoSuchRequest":{"_jsns":"urn:zimbraAccount"}}}`})
	if a.form != "xml" || a.fault() != "service.UNKNOWN_DOCUMENT" {
		t.Errorf("JSON request asking for XML: form %s, fault %q", a.form, a.fault())
	}
}

// TestCookies: the auth token cookie is HttpOnly and SameSite=Strict, and
// Secure over TLS; it holds the token marked "0_" (issued without
// csrfTokenSecured).
func TestCookies(t *testing.T) {
	e := newEnv(t, "xml")
	u := e.user("cookie", mfad.RoleUser)
	body := envelope("xml", Account("AuthRequest", E("account", u.Name), E("password", u.Password)), "")
	for _, tls := range []bool{false, true} {
		req := newRequest(body, "application/soap+xml", tls)
		w := newRecorder()
		e.h.ServeHTTP(w, req)
		a := &answer{form: "xml", status: w.Code, header: w.Header(), body: w.Body.Bytes()}
		c := a.cookie("ZM_AUTH_TOKEN")
		if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure != tls || c.Value != "0_"+a.get("authToken") {
			t.Errorf("TLS %v: cookie %+v", tls, c)
		}
	}
}
