// Package httpx holds what every HTTP front of mfad shares: the client
// address under the trusted-proxy rule, request ids, body limits, strict
// JSON decoding and bearer tokens. It holds no 2FA logic.
package httpx

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// MaxBody is the largest request body any front accepts (docs/architecture.md §2).
const MaxBody = 64 << 10

// Proxies decides whether X-Forwarded-For is believed: only when the peer
// is inside one of the trusted prefixes.
type Proxies []netip.Prefix

// ParseProxies parses a comma-separated list of CIDRs or addresses.
func ParseProxies(s string) (Proxies, error) {
	var out Proxies
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", f, err)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", f, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func (ps Proxies) trusts(a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// UnknownClient is the client address of a request whose trusted proxy
// forwarded an address that does not parse: it counts as remote.
const UnknownClient = "unknown"

// ClientAddr returns the client's address: the peer, or, when the peer is a
// trusted proxy, the right-most X-Forwarded-For entry that is not one. An
// entry may be an address, host:port or [IPv6]:port; anything else (a name,
// "unknown", an empty entry) from a trusted proxy gives UnknownClient,
// never the proxy's own address: the proxy on the same machine would make
// every client local, and the "remote clients only" policy would fail open.
func (ps Proxies) ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	if !ps.trusts(peer) {
		return peer.Unmap().String()
	}
	values := r.Header.Values("X-Forwarded-For")
	if len(values) == 0 {
		return peer.Unmap().String() // the proxy's own request
	}
	hops := strings.Split(strings.Join(values, ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := ParseHop(hops[i])
		if !ok {
			return UnknownClient
		}
		if !ps.trusts(a) {
			return a.String()
		}
	}
	return peer.Unmap().String()
}

// ParseHop parses one X-Forwarded-For entry: an IPv4 or IPv6 address,
// either with a port (1.2.3.4:80, [2001:db8::1]:443), or a bracketed IPv6
// address without one. Zones are refused: they name a local interface.
func ParseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	a, err := netip.ParseAddr(s)
	if err != nil {
		var ap netip.AddrPort
		if ap, err = netip.ParseAddrPort(s); err == nil {
			a = ap.Addr()
		} else if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
			a, err = netip.ParseAddr(s[1 : len(s)-1])
			if err == nil && !a.Is6() {
				err = net.InvalidAddrError("not IPv6")
			}
		}
	}
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

type ctxKey int

const (
	keyClient ctxKey = iota
	keyRequestID
)

// Client returns the auth.Client of a request, for the given dialect.
func Client(r *http.Request, dialect string) auth.Client {
	addr, _ := r.Context().Value(keyClient).(string)
	if addr == "" {
		addr = Proxies(nil).ClientAddr(r)
	}
	return auth.Client{Addr: addr, Dialect: dialect}
}

// RequestID returns the id of the request.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(keyRequestID).(string)
	return id
}

// LogHandler wraps h so that every record logged with the context of a
// request (log.InfoContext(r.Context(), ...)) carries the request's id as
// request_id, unless the record names one itself.
func LogHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(*logHandler); ok {
		return h
	}
	return &logHandler{h}
}

type logHandler struct{ slog.Handler }

func (h *logHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		named := false
		r.Attrs(func(a slog.Attr) bool {
			named = a.Key == "request_id"
			return !named
		})
		if !named {
			r = r.Clone()
			r.AddAttrs(slog.String("request_id", id))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &logHandler{h.Handler.WithAttrs(as)}
}

func (h *logHandler) WithGroup(name string) slog.Handler {
	return &logHandler{h.Handler.WithGroup(name)}
}

// Wrap adds what every request gets: a request id (X-Request-Id), the client
// address, a body limit, a recovered panic and one log line, which names
// the route pattern the ServeMux chose. Every line logged with the
// request's context carries its id (see LogHandler).
func Wrap(h http.Handler, ps Proxies, log *slog.Logger) http.Handler {
	log = slog.New(LogHandler(log.Handler()))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newID()
		w.Header().Set("X-Request-Id", id)
		client := ps.ClientAddr(r)
		ctx := context.WithValue(r.Context(), keyRequestID, id)
		ctx = context.WithValue(ctx, keyClient, client)
		ctx, userID := auth.TrackUser(ctx)
		r = r.WithContext(ctx)
		r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		rec := NewRecorder(w)
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.ErrorContext(ctx, "panic", "panic", fmt.Sprint(p))
				if !rec.Wrote() {
					http.Error(rec, `{"error":{"code":"internal","message":"internal error"}}`, http.StatusInternalServerError)
				}
			}
			// The path is logged without the query: queries may carry tokens.
			// r.Pattern is what the ServeMux (and a front's own mux) matched.
			// client and user_id (the user acting, or logging in; 0 if none
			// is known) let an operator tie requests to an address and a user.
			log.InfoContext(ctx, "request", "method", r.Method, "path", r.URL.Path, "route", r.Pattern,
				"status", rec.Status(), "duration_ms", float64(time.Since(start).Microseconds())/1000,
				"client", client, "user_id", userID())
		}()
		h.ServeHTTP(rec, r)
	})
}

// Recorder remembers the status a handler answered with, for logs and
// metrics.
type Recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

// NewRecorder wraps w; the status is 200 until the handler writes another.
func NewRecorder(w http.ResponseWriter) *Recorder {
	return &Recorder{ResponseWriter: w, status: http.StatusOK}
}

// Status is the status written so far.
func (r *Recorder) Status() int { return r.status }

// Wrote reports whether the handler has started its answer.
func (r *Recorder) Wrote() bool { return r.wrote }

func (r *Recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *Recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController and WebSocket libraries reach the
// connection (hijack, flush).
func (r *Recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Bearer returns the token of an "Authorization: Bearer" header, or "".
func Bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// DecodeJSON decodes one JSON object from the body into v, strictly:
// unknown fields, wrong types, trailing data and oversize bodies are
// EInvalidInput errors with a clear message, never a 500.
func DecodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return mfad.Errorf(mfad.EInvalidInput, "request body must hold exactly one JSON object")
	}
	return nil
}

// DecodeOptionalJSON is DecodeJSON for a body that may be left out: an
// empty body, or one of white space only, leaves v as it is.
func DecodeOptionalJSON(r *http.Request, v any) error {
	br := bufio.NewReader(r.Body)
	for {
		b, err := br.ReadByte()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return jsonError(err)
		}
		if b != ' ' && b != '\t' && b != '\r' && b != '\n' {
			_ = br.UnreadByte()
			break
		}
	}
	r = r.WithContext(r.Context())
	r.Body = io.NopCloser(br)
	return DecodeJSON(r, v)
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var big *http.MaxBytesError
	switch {
	case errors.As(err, &big):
		return mfad.Errorf(mfad.EInvalidInput, "request body larger than %d bytes", MaxBody)
	case errors.Is(err, io.EOF):
		return mfad.Errorf(mfad.EInvalidInput, "request body is empty")
	case errors.As(err, &syn):
		return mfad.Errorf(mfad.EInvalidInput, "malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return mfad.Errorf(mfad.EInvalidInput, "field %q must be %s", typ.Field, typ.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return mfad.Errorf(mfad.EInvalidInput, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return mfad.Errorf(mfad.EInvalidInput, "malformed JSON")
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// RetryAfter sets the Retry-After header for a locked or throttled answer.
func RetryAfter(w http.ResponseWriter, err error) {
	if d := mfad.RetryAfter(err); d > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(int((d+time.Second-1)/time.Second)))
	}
}
