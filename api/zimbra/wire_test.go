package zimbra_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// The bodies of the wire goldens, as the clients send them.
const (
	soap12 = `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header><context xmlns="urn:zimbra"/></soap:Header><soap:Body>%s</soap:Body></soap:Envelope>`
	soap11 = `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><context xmlns="urn:zimbra"/></soap:Header><soap:Body>%s</soap:Body></soap:Envelope>`
)

func wrap(envelope, body string) string { return strings.Replace(envelope, "%s", body, 1) }

// TestGoldenWire holds the wire details that do not depend on the request
// (testdata/golden/wire/): the form of a request is found from its body
// whatever its Content-Type says (Zimbra's SoapEngine), SOAP 1.1 and 1.2
// are each answered in their own version, <format type> picks the form of
// the answer, and BatchRequest.
func TestGoldenWire(t *testing.T) {
	e := newEnv(t, "wire")
	u := e.user("carol", mfad.RoleUser)
	jsonAuth := `{"Header":{"context":{"_jsns":"urn:zimbra","userAgent":{"name":"ZimbraWebClient - FF120 (Linux)"},"session":{}}},` +
		`"Body":{"AuthRequest":{"_jsns":"urn:zimbraAccount","account":{"by":"name","_content":"carol"},"password":{"_content":"` + u.Password + `"}}}}`
	xmlAuth := `<AuthRequest xmlns="urn:zimbraAccount"><account by="name">carol</account><password>` + u.Password + `</password></AuthRequest>`
	xmlWrong := `<AuthRequest xmlns="urn:zimbraAccount"><account by="name">carol</account><password>wrong</password></AuthRequest>`

	// Each Content-Type label a real client sends, with the body it sends.
	for _, c := range []struct{ name, contentType, body string }{
		{"label-soap-xml-json", "application/soap+xml; charset=utf-8", jsonAuth},       // Zimbra's web client (ZmCsfeCommand)
		{"label-none-json", "none", jsonAuth},                                          // fetch without a Content-Type
		{"label-text-plain-json", "text/plain;charset=UTF-8", jsonAuth},                // fetch with a string body
		{"label-form-json", "application/x-www-form-urlencoded", jsonAuth},             // python-zimbra, request_type="json"
		{"label-form-xml", "application/x-www-form-urlencoded", wrap(soap12, xmlAuth)}, // python-zimbra's default XML
		{"label-text-xml-soap12", "text/xml", wrap(soap12, xmlAuth)},
		{"label-application-json-xml", "application/json", "\n  " + wrap(soap12, xmlAuth)},
	} {
		a := e.do(rq{raw: c.body, contentType: c.contentType})
		e.wantOK(c.name, a)
		e.golden(c.name, a)
	}

	// Older web clients (zm-ajax ZmCsfeCommand: context.authToken = token)
	// put the token in the context as a plain member.
	login := e.do(rq{raw: jsonAuth, contentType: "application/soap+xml; charset=utf-8"})
	e.golden("label-soap-xml-json-context-token", e.do(rq{contentType: "application/soap+xml; charset=utf-8",
		raw: `{"Header":{"context":{"_jsns":"urn:zimbra","userAgent":{"name":"ZimbraWebClient - FF120 (Linux)"},"session":{},"authToken":"` + login.get("authToken") + `"}},` +
			`"Body":{"GetTrustedDevicesRequest":{"_jsns":"urn:zimbraAccount"}}}`}))

	// SOAP 1.1 is answered in SOAP 1.1 (text/xml, faultcode/faultstring),
	// SOAP 1.2 in 1.2.
	soapAction := map[string]string{"SOAPAction": `"urn:zimbraAccount#AuthRequest"`}
	e.golden("soap11", e.do(rq{raw: wrap(soap11, xmlAuth), contentType: "text/xml; charset=utf-8", header: soapAction}))
	e.golden("soap11-fault", e.do(rq{raw: wrap(soap11, xmlWrong), contentType: "text/xml; charset=utf-8", header: soapAction}))
	e.golden("soap11-malformed", e.do(rq{raw: `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>`, contentType: "text/xml"}))
	e.golden("soap12", e.do(rq{raw: wrap(soap12, xmlAuth)}))
	e.golden("soap12-fault", e.do(rq{raw: wrap(soap12, xmlWrong)}))

	// <format type> in the context picks the form of the answer.
	e.golden("soap11-format-js", e.do(rq{raw: strings.Replace(wrap(soap11, xmlWrong), `<context xmlns="urn:zimbra"/>`,
		`<context xmlns="urn:zimbra"><format type="js"/></context>`, 1)}))
	e.golden("json-format-xml", e.do(rq{raw: `{"Header":{"context":{"_jsns":"urn:zimbra","format":{"type":"xml"}}},` +
		`"Body":{"AuthRequest":{"_jsns":"urn:zimbraAccount","account":{"_content":"carol"},"password":{"_content":"wrong"}}}}`}))

	// A BatchRequest answers each request in order, a fault in the place
	// of a failed one; onerror="stop" stops there.
	batch := `<BatchRequest xmlns="urn:zimbra"%s>` +
		`<AuthRequest xmlns="urn:zimbraAccount" requestId="1"><account>carol</account><password>` + u.Password + `</password></AuthRequest>` +
		`<GetScratchCodesRequest xmlns="urn:zimbraAccount" requestId="2"/>` +
		`<EnableTwoFactorAuthRequest xmlns="urn:zimbraAccount" requestId="3" method="email"><name>carol</name><password>` + u.Password + `</password></EnableTwoFactorAuthRequest>` +
		`<EndSessionRequest xmlns="urn:zimbraAccount" requestId="4"/>` +
		`</BatchRequest>`
	e.golden("batch-xml", e.do(rq{raw: wrap(soap12, strings.Replace(batch, "%s", "", 1))}))
	e.golden("batch-xml-stop", e.do(rq{raw: wrap(soap12, strings.Replace(batch, "%s", ` onerror="stop"`, 1))}))
	e.golden("batch-soap11", e.do(rq{raw: wrap(soap11, strings.Replace(batch, "%s", "", 1))}))
	e.golden("batch-json", e.do(rq{contentType: "application/soap+xml; charset=utf-8", raw: `{"Header":{"context":{"_jsns":"urn:zimbra"}},"Body":{"BatchRequest":{"_jsns":"urn:zimbra","onerror":"continue",` +
		`"AuthRequest":[{"_jsns":"urn:zimbraAccount","requestId":"1","account":{"_content":"carol"},"password":{"_content":"` + u.Password + `"}},` +
		`{"_jsns":"urn:zimbraAccount","requestId":"3","account":{"_content":"carol"},"password":{"_content":"wrong"}}],` +
		`"GetScratchCodesRequest":{"_jsns":"urn:zimbraAccount","requestId":"2"}}}}`}))
	e.golden("batch-too-many", e.do(rq{raw: wrap(soap12, `<BatchRequest xmlns="urn:zimbra">`+
		strings.Repeat(`<GetScratchCodesRequest xmlns="urn:zimbraAccount"/>`, 26)+`</BatchRequest>`)}))
	e.golden("batch-nested", e.do(rq{raw: wrap(soap12, `<BatchRequest xmlns="urn:zimbra"><BatchRequest xmlns="urn:zimbra"/></BatchRequest>`)}))

	// The email method of 2FA is not configured (mfad has none).
	e.golden("enable-method-email", e.do(rq{raw: wrap(soap12, `<EnableTwoFactorAuthRequest xmlns="urn:zimbraAccount"><method>email</method><name>carol</name><password>`+u.Password+`</password></EnableTwoFactorAuthRequest>`)}))
	e.golden("fault-method", e.do(rq{method: http.MethodGet}))
}

// preauthKey is the domain key of the preauth goldens (Zimbra's keys are
// 64 hex digits).
const preauthKey = "4e2816f16c44fab20ecdee39fb850c3b0bb54d03f1d8e073aaea376a4f407f0c"

// preauthOf is python-zimbra's create_preauth: the hex HMAC-SHA1, keyed
// with the key's text, of "account|by|expires|timestamp".
func preauthOf(account string, ts int64) string {
	m := hmac.New(sha1.New, []byte(preauthKey))
	fmt.Fprintf(m, "%s|name|0|%d", account, ts)
	return hex.EncodeToString(m.Sum(nil))
}

// TestGoldenPreauth: AuthRequest with <preauth>, in python-zimbra's two
// forms (XML by default, JSON with format js, both labelled
// application/x-www-form-urlencoded as urllib labels them): it logs in a
// user without 2FA and asks a user with 2FA for the code.
func TestGoldenPreauth(t *testing.T) {
	e := newEnv(t, "wire")
	e.user("gil", mfad.RoleUser) // gil@example.test
	hal := e.user("hal", mfad.RoleUser)
	if _, err := e.svc.SetPreauthKey(e.ctx, auth.System("test"), "example.test", preauthKey); err != nil {
		t.Fatal(err)
	}
	form := "application/x-www-form-urlencoded"
	xmlReq := func(account, value string, ts int64) string {
		return wrap(soap12, fmt.Sprintf(`<AuthRequest xmlns="urn:zimbraAccount"><account by="name">%s</account>`+
			`<preauth timestamp="%d" expires="0">%s</preauth></AuthRequest>`, account, ts, value))
	}
	now := e.clock.Now().UnixMilli()
	a := e.do(rq{raw: xmlReq("gil@example.test", preauthOf("gil@example.test", now), now), contentType: form})
	e.wantOK("preauth", a)
	e.golden("preauth-xml", a)
	jsonReq := fmt.Sprintf(`{"Header": {"context": {"_jsns": "urn:zimbra", "format": {"type": "js"}}}, "Body": {"AuthRequest": `+
		`{"account": {"by": "name", "_content": "gil@example.test"}, "preauth": {"timestamp": %d, "expires": 0, "_content": "%s"}, "_jsns": "urn:zimbraAccount"}}}`,
		now, preauthOf("gil@example.test", now))
	e.golden("preauth-json", e.do(rq{raw: jsonReq, contentType: form}))
	e.golden("preauth-wrong", e.do(rq{raw: xmlReq("gil@example.test", preauthOf("gil@example.test", now+1), now), contentType: form}))
	e.golden("preauth-stale", e.do(rq{raw: xmlReq("gil@example.test", preauthOf("gil@example.test", now-600000), now-600000), contentType: form}))
	e.golden("preauth-bad-timestamp", e.do(rq{raw: wrap(soap12, `<AuthRequest xmlns="urn:zimbraAccount"><account>gil</account><preauth timestamp="soon">00</preauth></AuthRequest>`)}))

	// hal turns 2FA on: preauth is then only the first factor.
	a = e.do(rq{raw: wrap(soap12, `<EnableTwoFactorAuthRequest xmlns="urn:zimbraAccount"><name>hal</name><password>`+hal.Password+`</password></EnableTwoFactorAuthRequest>`)})
	if hal.Key, _ = keyOf(a); hal.Key.Secret == nil {
		t.Fatalf("enable: %s", a.body)
	}
	e.wantOK("confirm", e.do(rq{raw: wrap(soap12, `<EnableTwoFactorAuthRequest xmlns="urn:zimbraAccount"><name>hal</name><authToken>`+
		a.get("authToken")+`</authToken><twoFactorCode>`+e.code(hal)+`</twoFactorCode></EnableTwoFactorAuthRequest>`)}))
	now = e.clock.Now().UnixMilli()
	a = e.do(rq{raw: xmlReq("hal@example.test", preauthOf("hal@example.test", now), now), contentType: form})
	e.golden("preauth-two-factor-required", a)
	if a.get("twoFactorAuthRequired") != "true" {
		t.Fatalf("preauth of a 2FA user: %s", a.body)
	}
	e.wantOK("the code", e.do(rq{body: Account("AuthRequest", E("account", "hal@example.test"),
		E("authToken", a.get("authToken")), E("twoFactorCode", e.code(hal)))}))
}
