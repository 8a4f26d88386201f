package zimbra_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/mfad/mfad/api/zimbra"
)

// FuzzXMLEnvelope feeds arbitrary bytes to the SOAP XML decoder and to the
// whole dialect: the decoder refuses with service.INVALID_REQUEST or names
// a request, and the handler answers 200 or a well-formed XML fault with a
// code, never a crash or a bare 500.
func FuzzXMLEnvelope(f *testing.F) {
	for _, s := range []string{
		`<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Header><context xmlns="urn:zimbra"><authToken>x</authToken></context></soap:Header><soap:Body><AuthRequest xmlns="urn:zimbraAccount"><account by="name">fuzz</account><password>pw</password></AuthRequest></soap:Body></soap:Envelope>`,
		`<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><EnableTwoFactorAuthRequest xmlns="urn:zimbraAccount" csrfTokenSecured="1"><name>fuzz</name><authToken verifyAccount="1">t</authToken><twoFactorCode>123456</twoFactorCode></EnableTwoFactorAuthRequest></soap:Body></soap:Envelope>`,
		`<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><ClearTwoFactorAuthDataRequest xmlns="urn:zimbraAdmin"><account by="id">1</account></ClearTwoFactorAuthDataRequest></soap:Body></soap:Envelope>`,
		`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>`,
		`<a><b>&amp;&lt;&#x41;</b></a>`,
		`<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><AuthRequest xmlns="urn:zimbraAccount"><account>fuzz</account><preauth timestamp="1" expires="0">00</preauth></AuthRequest></soap:Body></soap:Envelope>`,
		`<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><BatchRequest xmlns="urn:zimbra" onerror="stop"><AuthRequest xmlns="urn:zimbraAccount" requestId="1"><account>fuzz</account><password>pw</password></AuthRequest><GetScratchCodesRequest xmlns="urn:zimbraAccount" requestId="2"/></BatchRequest></soap:Body></soap:Envelope>`,
		``,
	} {
		f.Add([]byte(s))
	}
	e := newEnv(f, "xml")
	e.user("fuzz", "user")
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := zimbra.Decode(body); err != nil {
			if code, _, _ := zimbra.FaultOf(err, false); code != "service.INVALID_REQUEST" {
				t.Fatalf("decoder refused with %s: %v", code, err)
			}
		}
		te := *e // the env of this input, failing t
		te.t = t
		checkAnswer(t, te.do(rq{raw: string(body)}), body)
	})
}

// FuzzJSONEnvelope is FuzzXMLEnvelope for Zimbra's JSON form.
func FuzzJSONEnvelope(f *testing.F) {
	for _, s := range []string{
		`{"Header":{"context":{"_jsns":"urn:zimbra","authToken":{"_content":"x"}}},"Body":{"AuthRequest":{"_jsns":"urn:zimbraAccount","account":{"by":"name","_content":"fuzz"},"password":{"_content":"pw"}}}}`,
		`{"Body":{"EnableTwoFactorAuthRequest":{"_jsns":"urn:zimbraAccount","csrfTokenSecured":1,"name":"fuzz","authToken":[{"verifyAccount":true,"_content":"t"}],"twoFactorCode":123456}}}`,
		`{"Body":{"GetScratchCodesRequest":{"_jsns":"urn:zimbraAccount"}},"_jsns":"urn:zimbraSoap"}`,
		`{"Body":{"AuthRequest":{"a":[{"b":[{"c":null}]}]}}}`,
		`[]`,
		`{"Header":{"context":{"_jsns":"urn:zimbra","format":{"type":"xml"}}},"Body":{"BatchRequest":{"_jsns":"urn:zimbra","onerror":"continue","AuthRequest":[{"requestId":1,"account":{"by":"name","_content":"fuzz"},"preauth":{"timestamp":1,"expires":0,"_content":"00"}}]}}}`,
		``,
	} {
		f.Add([]byte(s))
	}
	e := newEnv(f, "json")
	e.user("fuzz", "user")
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := zimbra.Decode(body); err != nil {
			if code, _, _ := zimbra.FaultOf(err, false); code != "service.INVALID_REQUEST" {
				t.Fatalf("decoder refused with %s: %v", code, err)
			}
		}
		te := *e
		te.t = t
		checkAnswer(t, te.do(rq{raw: string(body)}), body)
	})
}

// checkAnswer fails unless a is HTTP 200 or 500, well formed, and a 500
// carries a fault code. A request that does not decode is answered in the
// form its body looks like (the first non-blank character '<': XML), as
// Zimbra's SoapEngine decides it; one that does may ask for either form.
func checkAnswer(t *testing.T, a *answer, body []byte) {
	t.Helper()
	if a.status != http.StatusOK && a.status != http.StatusInternalServerError {
		t.Fatalf("HTTP %d: %s", a.status, a.body)
	}
	if _, err := zimbra.Decode(body); err != nil {
		form := "json"
		if b := bytes.TrimLeft(body, " \t\r\n"); len(b) > 0 && b[0] == '<' {
			form = "xml"
		}
		if a.form != form {
			t.Fatalf("answered in %s, want %s: %s", a.form, form, a.body)
		}
	}
	if a.form == "json" {
		if !json.Valid(a.body) {
			t.Fatalf("invalid JSON answer: %s", a.body)
		}
	} else {
		d := xml.NewDecoder(bytes.NewReader(a.body))
		for {
			_, err := d.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("malformed XML answer (%v): %s", err, a.body)
			}
		}
	}
	if a.status == http.StatusInternalServerError && a.fault() == "" {
		t.Fatalf("a 500 without a fault code: %s", a.body)
	}
}
