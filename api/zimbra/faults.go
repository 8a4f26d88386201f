package zimbra

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/httpx"
)

// Zimbra's fault codes.
const (
	codeAuthFailed          = "account.AUTH_FAILED"
	codeTwoFactorFailed     = "account.TWO_FACTOR_AUTH_FAILED"
	codeTwoFactorRequired   = "account.TWO_FACTOR_AUTH_REQUIRED"
	codeSetupRequired       = "account.TWO_FACTOR_SETUP_REQUIRED"
	codeCannotEnable        = "account.CANNOT_ENABLE_TWO_FACTOR_AUTH"
	codeCannotDisable       = "account.CANNOT_DISABLE_TWO_FACTOR_AUTH"
	codeMethodNotAllowed    = "account.TWO_FACTOR_AUTH_METHOD_NOT_ALLOWED"
	codeAuthRequired        = "service.AUTH_REQUIRED"
	codeInvalidRequest      = "service.INVALID_REQUEST"
	codeUnknownDocument     = "service.UNKNOWN_DOCUMENT"
	codePermDenied          = "service.PERM_DENIED"
	codeNotFound            = "service.NOT_FOUND"
	codeFailure             = "service.FAILURE"
	codeTempUnavailable     = "service.TEMPORARILY_UNAVAILABLE"
	soapSender, soapReceive = false, true
)

// wire is a fault as Zimbra writes it: a code and whose fault it is
// (soap:Sender or soap:Receiver).
type wire struct {
	Code     string
	Receiver bool
}

// faults maps every domain error code to its fault. A code missing here
// answers service.FAILURE, so a new code in package mfad must be added.
var faults = map[mfad.Code]wire{
	mfad.EInvalidInput:    {codeInvalidRequest, soapSender},
	mfad.EInvalidLogin:    {codeAuthFailed, soapSender},
	mfad.EInvalidCode:     {codeTwoFactorFailed, soapSender},
	mfad.EUnauthenticated: {codeAuthRequired, soapSender},
	mfad.EForbidden:       {codePermDenied, soapSender},
	mfad.ENotFound:        {codeNotFound, soapSender},
	mfad.EConflict:        {codeFailure, soapReceive},
	mfad.ELocked:          {codeAuthFailed, soapSender},
	mfad.EThrottled:       {codeAuthFailed, soapSender},
	mfad.EBusy:            {codeTempUnavailable, soapReceive}, // too many logins at once: come back in a moment
	mfad.EExpired:         {codeAuthFailed, soapSender},
	mfad.EStepUp:          {codeTwoFactorRequired, soapSender},
	mfad.ENotEnrolled:     {codeFailure, soapReceive},
	mfad.ENoPending:       {codeAuthFailed, soapSender},
	mfad.ESetupRequired:   {codeSetupRequired, soapSender},
	mfad.EPolicy:          {codeCannotDisable, soapSender},
	mfad.EAppIgnored:      {codeTwoFactorFailed, soapSender},
	mfad.EUnavailable:     {codeTempUnavailable, soapReceive}, // zm-ajax ZmCsfeException.SVC_TEMPORARILY_UNAVAILABLE
	mfad.EInternal:        {codeFailure, soapReceive},
}

// loginFaults overrides faults in the steps that log in or enable 2FA
// with a token (AuthRequest, EnableTwoFactorAuthRequest): Zimbra answers
// account.AUTH_FAILED to any unknown, expired or foreign token there.
var loginFaults = map[mfad.Code]wire{
	mfad.EUnauthenticated: {codeAuthFailed, soapSender},
	mfad.ENotFound:        {codeAuthFailed, soapSender},
}

// enableFaults overrides faults in EnableTwoFactorAuthRequest: what the
// core refuses there by policy or right is "cannot enable".
var enableFaults = map[mfad.Code]wire{
	mfad.EUnauthenticated: {codeAuthFailed, soapSender},
	mfad.ENotFound:        {codeAuthFailed, soapSender},
	mfad.EForbidden:       {codeCannotEnable, soapSender},
	mfad.EPolicy:          {codeCannotEnable, soapSender},
}

// fault is an error the front itself raises (a malformed envelope, an
// unknown request), already in Zimbra's terms.
type fault struct {
	wire
	msg string
}

func (f *fault) Error() string { return f.Code + ": " + f.msg }

func invalidRequest(format string, args ...any) error {
	return &fault{wire{codeInvalidRequest, soapSender}, "invalid request: " + fmt.Sprintf(format, args...)}
}

func unknownDocument(name string) error {
	return &fault{wire{codeUnknownDocument, soapSender}, "unknown document: " + name}
}

// faultOf returns the fault of err and its client-safe reason, with
// overrides (nil for none) taking precedence over faults.
func faultOf(err error, overrides map[mfad.Code]wire) (wire, string) {
	var f *fault
	if errors.As(err, &f) {
		return f.wire, f.msg
	}
	code := mfad.ErrorCode(err)
	w, ok := overrides[code]
	if !ok {
		w, ok = faults[code]
	}
	if !ok || code == mfad.EInternal {
		return faults[mfad.EInternal], "system failure: internal error"
	}
	return w, prefixes[w.Code] + mfad.ErrorMessage(err)
}

// prefixes start the reasons of Zimbra's generic service faults.
var prefixes = map[string]string{
	codeInvalidRequest: "invalid request: ",
	codePermDenied:     "permission denied: ",
	codeFailure:        "system failure: ",
}

// writeFault answers err as a SOAP fault in form f with HTTP status 500
// (Zimbra's status for every fault), Retry-After for a lockout or
// throttle that ends.
func writeFault(w http.ResponseWriter, r *http.Request, f form, err error, overrides map[mfad.Code]wire) {
	writeFaultStatus(w, r, f, err, overrides, http.StatusInternalServerError)
}

func writeFaultStatus(w http.ResponseWriter, r *http.Request, f form, err error, overrides map[mfad.Code]wire, status int) {
	wr, msg := describeFault(w, r, err, overrides)
	trace := traceOf(r)
	body := writeEnvelope(f, func(b *bytes.Buffer) {
		if f == formJSON {
			b.WriteString(`{"Fault":`)
			faultBody(b, f, wr, msg, trace, "")
			b.WriteString(`}`)
			return
		}
		faultBody(b, f, wr, msg, trace, "")
	})
	write(w, f, status, body)
}

// describeFault returns the fault of err and its reason, logs what the
// core did not log itself, and adds Retry-After for a lockout or throttle
// that ends.
func describeFault(w http.ResponseWriter, r *http.Request, err error, overrides map[mfad.Code]wire) (wire, string) {
	wr, msg := faultOf(err, overrides)
	var de *mfad.Error
	var fe *fault
	if !errors.As(err, &fe) {
		if _, known := faults[mfad.ErrorCode(err)]; !errors.As(err, &de) || !known {
			// The core logs its own internal errors; log what it did not
			// see: errors from outside the domain and unmapped codes.
			slog.Error("zimbra: internal error", "request_id", httpx.RequestID(r.Context()), "path", r.URL.Path, "err", err)
		}
	}
	switch mfad.ErrorCode(err) {
	case mfad.ELocked, mfad.EThrottled, mfad.EBusy, mfad.EUnavailable:
		httpx.RetryAfter(w, err)
	}
	return wr, msg
}

// traceOf is the <Trace> of a fault: the request id, which finds the
// request in mfad's log.
func traceOf(r *http.Request) string { return httpx.RequestID(r.Context()) }

// faultBody writes Zimbra's fault element in form f: SOAP 1.2's Code,
// Reason and Detail, or SOAP 1.1's faultcode, faultstring and detail
// (Zimbra's Soap12Protocol and Soap11Protocol), the detail an <Error
// xmlns="urn:zimbra"> with the Zimbra code and a trace (here the request
// id, also sent as X-Request-Id). requestID, when set, is the requestId
// of a request in a BatchRequest.
func faultBody(b *bytes.Buffer, f form, wr wire, msg, trace, requestID string) {
	who := "Sender"
	if wr.Receiver {
		who = "Receiver"
	}
	switch f {
	case formJSON:
		b.WriteString(`{"Code":{"Value":`)
		jsonValue(b, "soap:"+who)
		b.WriteString(`},"Reason":{"Text":`)
		jsonValue(b, msg)
		b.WriteString(`},"Detail":{"Error":{"Code":`)
		jsonValue(b, wr.Code)
		b.WriteString(`,"Trace":`)
		jsonValue(b, trace)
		b.WriteString(`,"_jsns":"urn:zimbra"}}`)
		if requestID != "" {
			b.WriteString(`,"requestId":`)
			jsonValue(b, requestID)
		}
		b.WriteString(`}`)
		return
	case formXML11:
		code := map[string]string{"Sender": "soap:Client", "Receiver": "soap:Server"}[who]
		b.WriteString(`<soap:Fault`)
		writeRequestID(b, requestID)
		b.WriteString(`><faultcode>` + code + `</faultcode><faultstring>`)
		escapeXML(b, msg)
		b.WriteString(`</faultstring><detail>`)
	default:
		b.WriteString(`<soap:Fault`)
		writeRequestID(b, requestID)
		b.WriteString(`><soap:Code><soap:Value>soap:` + who + `</soap:Value></soap:Code><soap:Reason><soap:Text>`)
		escapeXML(b, msg)
		b.WriteString(`</soap:Text></soap:Reason><soap:Detail>`)
	}
	b.WriteString(`<Error xmlns="urn:zimbra"><Code>`)
	escapeXML(b, wr.Code)
	b.WriteString(`</Code><Trace>`)
	escapeXML(b, trace)
	b.WriteString(`</Trace></Error>`)
	if f == formXML11 {
		b.WriteString(`</detail></soap:Fault>`)
	} else {
		b.WriteString(`</soap:Detail></soap:Fault>`)
	}
}

func writeRequestID(b *bytes.Buffer, id string) {
	if id != "" {
		b.WriteString(` requestId="`)
		escapeXML(b, id)
		b.WriteByte('"')
	}
}

// write sends a body in form f.
func write(w http.ResponseWriter, f form, status int, body []byte) {
	h := w.Header()
	switch f {
	case formJSON:
		h.Set("Content-Type", "application/json; charset=utf-8")
	case formXML11:
		h.Set("Content-Type", "text/xml; charset=utf-8") // Zimbra's Soap11Protocol
	default:
		h.Set("Content-Type", "application/soap+xml; charset=utf-8")
	}
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// WireErrors returns the fault of each code in faults, for the test that
// every code of mfad.Codes has one in every front.
func WireErrors() map[mfad.Code]string {
	out := make(map[mfad.Code]string, len(faults))
	for c, w := range faults {
		out[c] = map[bool]string{false: "soap:Sender ", true: "soap:Receiver "}[w.Receiver] + w.Code
	}
	return out
}
