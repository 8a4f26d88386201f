// Package cloudreve is mfad's Cloudreve v4 API dialect: the 2FA part of
// Cloudreve's /api/v4, so that a client written for Cloudreve can log in,
// enable 2FA, log in with a code and turn 2FA off against mfad unchanged.
//
// It is a thin front. Requests are decoded into calls of the core service
// (package auth) and the answers and errors encoded the way Cloudreve
// shapes them: every answer is HTTP 200 with the envelope
// {"code","data","msg","error","correlation_id"}; code 0 is success and
// every core error code has one Cloudreve code in the table of errors.go.
// Who may do what is decided by the core, never here.
//
// See docs/dialects/cloudreve.md for what is supported and where mfad
// differs from Cloudreve.
package cloudreve

import (
	"bufio"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/auth"
)

// Dialect is the name of this front in auth.Client and the audit log.
const Dialect = "cloudreve"

// Prefix is where the dialect is mounted (Cloudreve's constants.APIPrefix).
const Prefix = "/api/v4"

// Profile is the dialect's: Cloudreve keeps a prepared secret 600 s and a
// 2FA login session (user_2fa_<sid>) 600 s, and has no scratch codes, so
// none are made (a form of zero codes; its length and alphabet only have
// to be valid). Turning 2FA off takes a code alone.
var Profile = auth.Profile{
	PendingTTL: 600 * time.Second,
	TicketTTL:  600 * time.Second,
	Scratch:    &mfad.ScratchForm{Count: 0, Length: 8, Alphabet: mfad.Digits},
}

// handler serves one route. a is the authenticated actor, or for a public
// route the anonymous actor of the client. A returned error is written as
// the Cloudreve error of its code.
type handler func(s *server, w http.ResponseWriter, r *http.Request, a auth.Actor) error

type route struct {
	method string
	path   string // under Prefix, in net/http.ServeMux syntax
	public bool   // needs no bearer token
	errs   overrides
	h      handler
}

// routes is the route table.
var routes = []route{
	// session.go
	{"GET", "/session/prepare", true, nil, (*server).prepareLogin},
	{"POST", "/session/token", true, nil, (*server).login},
	{"POST", "/session/token/2fa", true, ticketErrors, (*server).login2FA},
	{"POST", "/session/token/refresh", true, refreshErrors, (*server).refresh},
	{"DELETE", "/session/token", true, signOutErrors, (*server).signOut},

	// site.go
	{"GET", "/site/config/{section}", true, nil, (*server).siteConfig},
	{"GET", "/user/capacity", false, nil, (*server).capacity},
	{"GET", "/file", false, nil, (*server).listFiles},

	// setting.go
	{"GET", "/user/setting", false, nil, (*server).settings},
	{"GET", "/user/setting/2fa", false, nil, (*server).init2FA},
	{"PATCH", "/user/setting", false, settingErrors, (*server).patchSettings},

	// admin.go
	{"POST", "/admin/user", false, nil, (*server).adminListUsers},
	{"PUT", "/admin/user", false, nil, (*server).adminCreateUser},
	{"GET", "/admin/user/{id}", false, nil, (*server).adminGetUser},
	{"PUT", "/admin/user/{id}", false, nil, (*server).adminUpdateUser},
	{"POST", "/admin/user/batch/delete", false, nil, (*server).adminDeleteUsers},
}

type server struct {
	svc *auth.Service
}

// New returns the handler of every /api/v4/ route; mount it with
// mux.Handle("/api/v4/", h). Any other path or method under /api/v4/ gets
// Cloudreve's 404 envelope.
func New(svc *auth.Service) http.Handler {
	svc.RegisterProfile(Dialect, Profile)
	s := &server{svc: svc}
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.Handle(rt.method+" "+Prefix+rt.path, s.wrap(rt))
	}
	mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, mfad.Errorf(mfad.ENotFound, "no such endpoint"), nil)
	})
	return mux
}

// wrap limits the body, authenticates the bearer token of a non-public
// route (Cloudreve's LoginRequired: a missing, expired or unknown token is
// 401) and writes a returned error through the route's table.
func (s *server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, httpx.MaxBody)
		a := auth.Anonymous(httpx.Client(r, Dialect))
		if !rt.public {
			var err error
			if a, err = s.svc.Authenticate(r.Context(), a.Client(), httpx.Bearer(r)); err != nil {
				writeError(w, err, nil)
				return
			}
		}
		if err := rt.h(s, w, r, a); err != nil {
			writeError(w, err, rt.errs)
		}
	})
}

// envelope is Cloudreve's serializer.Response, field for field and in its
// order. data is left out when nil (but not when an empty string: the
// sign-out answer has "data":""); error and correlation_id only on failures.
type envelope struct {
	Code          int    `json:"code"`
	Data          any    `json:"data,omitempty"`
	Msg           string `json:"msg"`
	Error         string `json:"error,omitempty"`
	CorrelationID string `json:"correlation_id,omitempty"`

	AggregatedError map[string]envelope `json:"aggregated_error,omitempty"`
}

// Cloudreve codes that are not errors.
const (
	codeOK       = 0
	codeContinue = 203 // CodeNotFullySuccess: the second factor is required
)

// ok writes a success with data (nil: none).
func ok(w http.ResponseWriter, data any) error {
	write(w, envelope{Code: codeOK, Data: data})
	return nil
}

// write writes an envelope as gin's c.JSON(200, ...) does: compact JSON,
// no trailing newline, always status 200.
func write(w http.ResponseWriter, e envelope) {
	b, err := json.Marshal(e)
	if err != nil { // only plain types are encoded; cannot happen
		b = []byte(`{"code":50001,"msg":"Internal error","error":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// newUUID returns a random (version 4) UUID, for correlation ids.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// decode decodes a JSON request body into v like gin's ShouldBindJSON:
// fields the dialect does not know are ignored (a Cloudreve client sends
// whole objects), but a body that is not one JSON object of the right
// types is EInvalidInput, never a 500.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return mfad.Errorf(mfad.EInvalidInput, "request body must hold exactly one JSON object")
	}
	return nil
}

// decodeOptional is decode for a body that may be left out: an empty body,
// or one of white space only, leaves v as it is and reports false.
func decodeOptional(r *http.Request, v any) (bool, error) {
	br := bufio.NewReader(r.Body)
	for {
		b, err := br.ReadByte()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, jsonError(err)
		}
		if b != ' ' && b != '\t' && b != '\r' && b != '\n' {
			_ = br.UnreadByte()
			break
		}
	}
	r2 := *r
	r2.Body = io.NopCloser(br)
	return true, decode(&r2, v)
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var big *http.MaxBytesError
	switch {
	case errors.As(err, &big):
		return mfad.Errorf(mfad.EInvalidInput, "request body larger than %d bytes", httpx.MaxBody)
	case errors.Is(err, io.EOF):
		return mfad.Errorf(mfad.EInvalidInput, "request body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return mfad.Errorf(mfad.EInvalidInput, "malformed JSON: the body ends inside the object")
	case errors.As(err, &syn):
		return mfad.Errorf(mfad.EInvalidInput, "malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ) && typ.Field == "":
		return mfad.Errorf(mfad.EInvalidInput, "request body must be a JSON object")
	case errors.As(err, &typ):
		return mfad.Errorf(mfad.EInvalidInput, "field %q must be %s", typ.Field, typ.Type)
	}
	return mfad.Errorf(mfad.EInvalidInput, "malformed JSON")
}

// required returns Cloudreve's "<Field> cannot be empty" for the first
// empty one of name/value pairs.
func required(fields ...string) error {
	for i := 0; i+1 < len(fields); i += 2 {
		if fields[i+1] == "" {
			return mfad.Errorf(mfad.EInvalidInput, "%s cannot be empty", fields[i])
		}
	}
	return nil
}

// parseID parses a user id of the path: a positive decimal of at most 18
// digits, without sign.
func parseID(v string) (int64, bool) {
	if v == "" || len(v) > 18 {
		return 0, false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
	}
	id, err := strconv.ParseInt(v, 10, 64)
	return id, err == nil && id > 0
}
