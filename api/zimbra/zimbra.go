// Package zimbra is mfad's Zimbra dialect: the two-factor authentication
// requests of Zimbra Collaboration's SOAP API (urn:zimbraAccount at
// /service/soap, urn:zimbraAdmin at /service/admin/soap), in SOAP 1.2 XML
// and in Zimbra's JSON form, so that a Zimbra client enables 2FA, logs in
// with a code, uses trusted devices, scratch codes and app-specific
// passwords, and turns 2FA off against mfad unchanged.
//
// The front is thin: it decodes the envelope, calls the core service
// (package auth) and encodes its answers, and its errors as Zimbra faults
// through one table (faults.go). Every rule about who may do what stays in
// the core. See docs/dialects/zimbra.md.
package zimbra

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/auth"
)

// Dialect is the name of this front in auth.Client and the audit log.
const Dialect = "zimbra"

// TokenLifetime is the default lifetime of the auth tokens of this dialect:
// Zimbra's (zimbraAuthTokenLifetime, 2 days). The server wires it into the
// core's DialectAccessTTL; --zimbra-token-lifetime changes it.
const TokenLifetime = 48 * time.Hour

// adminPath is where urn:zimbraAdmin is served; the rest of the mount is
// /service/soap.
const adminPath = "/service/admin/soap"

// op is one served request.
type op struct {
	ns, name string
	auth     bool               // needs an authenticated actor
	faults   map[mfad.Code]wire // overrides of the fault table, or nil
	h        func(*call) (*node, error)
}

// ops is the request table. Account requests are served at both paths (as
// Zimbra's admin port does), admin requests only at /service/admin/soap.
var ops = []op{
	{nsAccount, "AuthRequest", false, loginFaults, (*call).authRequest},
	{nsAccount, "EnableTwoFactorAuthRequest", false, enableFaults, (*call).enable},
	{nsAccount, "DisableTwoFactorAuthRequest", true, nil, (*call).disable},
	{nsAccount, "GetScratchCodesRequest", true, nil, (*call).getScratchCodes},
	{nsAccount, "GenerateScratchCodesRequest", true, nil, (*call).generateScratchCodes},
	{nsAccount, "GetTrustedDevicesRequest", true, nil, (*call).getTrustedDevices},
	{nsAccount, "RevokeTrustedDeviceRequest", true, nil, (*call).revokeTrustedDevice},
	{nsAccount, "RevokeOtherTrustedDevicesRequest", true, nil, (*call).revokeOtherTrustedDevices},
	{nsAccount, "CreateAppSpecificPasswordRequest", true, nil, (*call).createAppPassword},
	{nsAccount, "GetAppSpecificPasswordsRequest", true, nil, (*call).getAppPasswords},
	{nsAccount, "RevokeAppSpecificPasswordRequest", true, nil, (*call).revokeAppPassword},
	{nsAccount, "EndSessionRequest", true, nil, (*call).endSession},
	{nsAdmin, "AuthRequest", false, loginFaults, (*call).adminAuthRequest},
	{nsAdmin, "ClearTwoFactorAuthDataRequest", true, nil, (*call).clearTwoFactorAuthData},
	{nsAdmin, "DisableTwoFactorAuthRequest", true, nil, (*call).adminDisable},
}

type server struct {
	svc *auth.Service
}

// New returns the handler of /service/soap and /service/admin/soap (and
// the paths below them, where Zimbra clients may name the request).
func New(svc *auth.Service) http.Handler {
	svc.RegisterProfile(Dialect, Profile)
	return &server{svc: svc}
}

// call is one request being served.
type call struct {
	svc    *auth.Service
	w      http.ResponseWriter
	r      *http.Request
	ctx    context.Context
	client auth.Client
	admin  bool // at /service/admin/soap
	env    *envelope
	req    *element
	op     *op
	actor  auth.Actor
	token  string // the auth token actor came from (EndSession ends its session)
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		f := formXML
		if strings.Contains(r.Header.Get("Content-Type"), "json") {
			f = formJSON
		}
		writeFaultStatus(w, r, f, invalidRequest("method %s not allowed; use POST", r.Method), nil, http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, httpx.MaxBody))
	if err != nil {
		var big *http.MaxBytesError
		if errors.As(err, &big) {
			err = invalidRequest("request body larger than %d bytes", httpx.MaxBody)
		} else {
			err = invalidRequest("unreadable request body")
		}
		writeFault(w, r, sniff(body), err, nil)
		return
	}
	// The Content-Type is not looked at, as Zimbra's SoapEngine does not:
	// the body says what it is.
	env, err := decode(body)
	if err != nil {
		writeFault(w, r, sniff(body), err, nil)
		return
	}
	c := &call{svc: s.svc, w: w, r: r, ctx: r.Context(), client: httpx.Client(r, Dialect),
		admin: strings.HasPrefix(r.URL.Path, adminPath), env: env, req: env.body}
	if env.body.name == "BatchRequest" && (env.body.ns == nsZimbra || env.body.ns == "") {
		c.batch()
		return
	}
	c.serve()
}

// serve dispatches the request and writes its answer.
func (c *call) serve() {
	n, err := c.dispatch()
	if err != nil {
		c.fault(err)
		return
	}
	write(c.w, c.env.answer, http.StatusOK, encodeAnswer(c.env.answer, n))
}

// dispatch finds the op of c.req, authenticates the caller where the op
// needs it and runs it. Every request, alone or in a BatchRequest, comes
// through here, so a batch is no way around authentication or any rule
// of the core.
func (c *call) dispatch() (*node, error) {
	ns := c.req.ns
	if ns == "" && c.env.form == formJSON {
		// Zimbra's JSON clients name the namespace with _jsns; without it,
		// the namespace of the path.
		ns = nsAccount
		if c.admin {
			ns = nsAdmin
		}
	}
	for i := range ops {
		o := &ops[i]
		if o.ns == ns && o.name == c.req.name && (o.ns != nsAdmin || c.admin) {
			c.op = o
			break
		}
	}
	if c.op == nil {
		return nil, unknownDocument(c.req.name)
	}
	if c.op.auth {
		a, err := c.authenticate()
		if err != nil {
			return nil, err
		}
		c.actor = a
	}
	return c.op.h(c)
}

func (c *call) fault(err error) {
	writeFault(c.w, c.r, c.env.answer, err, c.overrides())
}

// overrides are the fault overrides of the op being served, or nil.
func (c *call) overrides() map[mfad.Code]wire {
	if c.op != nil {
		return c.op.faults
	}
	return nil
}

// answer returns the empty answer to the request being served.
func (c *call) answer() *node {
	return response(strings.TrimSuffix(c.op.name, "Request")+"Response", c.op.ns)
}
