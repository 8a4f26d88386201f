// Package tchmi is mfad's TwinCAT HMI dialect: the WebSocket protocol of the
// TwinCAT 3 HMI server (TF2000) for the 2FA symbols of its user management
// extension, TcHmiUserManagement, and the Login and Logout symbols they
// need. A TcHmi client opens a WebSocket on "/", sends ReadWrite requests
// {requestType, id, commands:[{symbol, writeValue, commandOptions}]} and
// gets each command answered in order with readValue or error.
//
// The package is a thin front: it decodes frames, calls the core service
// (package auth) and encodes its answers; the core decides every rule.
// Errors map to TcHmi error objects through one table (errors.go).
//
// Layout: frame.go decodes and encodes frames; session.go is one
// connection's state (Session: the client and the mfad session it holds),
// which tests can drive as a function from request bytes to answer bytes;
// symbols.go is the table of symbols, whose handlers (login.go,
// twofactor.go) are methods of call, one command, and never touch the
// connection's state but through it; tchmi.go (Handler) carries a Session
// over a WebSocket with a frame size limit, pings and timeouts.
//
// docs/dialects/tchmi.md documents the frames and the error codes.
package tchmi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/mfad/mfad/api/httpx"
	"github.com/mfad/mfad/auth"
)

// Dialect is the name of this front in auth.Client and the audit log.
const Dialect = "tchmi"

// Options tune the WebSocket transport. Zero fields take the defaults.
type Options struct {
	// OriginPatterns are the other origins whose pages may open the
	// WebSocket and log in over HTTP: an origin with its scheme
	// ("https://hmi.example:1010"), matched exactly, or a host pattern
	// ("hmi.example", "*.example.com"; see websocket.AcceptOptions). A page
	// from the server's own host always may; a client that sends no Origin
	// (not a browser) always may. Default: none.
	OriginPatterns []string
	// PublicHosts are the host names this server is reached by. A request
	// from a browser page must address one of them, an IP address or
	// localhost (against DNS rebinding). Default: none.
	PublicHosts []string
	// ServerID names this server in TwinCAT's session cookie,
	// sessionId-<ServerID>, and in the serverId of Login answers.
	// Default: "mfad".
	ServerID       string
	ReadLimit      int64         // largest frame; a larger one closes the connection (1009). Default 64 KiB
	PingInterval   time.Duration // a ping while the connection waits for a frame. Default 30 s
	PongTimeout    time.Duration // no pong within this closes the connection. Default 15 s
	IdleTimeout    time.Duration // no frame for this long closes the connection (1008). Default 10 min
	ReadTimeout    time.Duration // a frame, once begun, must be complete within this. Default 30 s
	WriteTimeout   time.Duration // an answer must be written within this. Default 10 s
	RequestTimeout time.Duration // the commands of one request must finish within this. Default 60 s
}

// DefaultServerID is the serverId of a server whose Options name none.
const DefaultServerID = "mfad"

// DefaultOptions returns the defaults.
func DefaultOptions() Options {
	return Options{
		ReadLimit:      httpx.MaxBody,
		PingInterval:   30 * time.Second,
		PongTimeout:    15 * time.Second,
		IdleTimeout:    10 * time.Minute,
		ReadTimeout:    30 * time.Second,
		WriteTimeout:   10 * time.Second,
		RequestTimeout: 60 * time.Second,
	}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	for _, p := range []struct{ v, d *time.Duration }{
		{&o.PingInterval, &d.PingInterval}, {&o.PongTimeout, &d.PongTimeout},
		{&o.IdleTimeout, &d.IdleTimeout}, {&o.ReadTimeout, &d.ReadTimeout},
		{&o.WriteTimeout, &d.WriteTimeout}, {&o.RequestTimeout, &d.RequestTimeout},
	} {
		if *p.v <= 0 {
			*p.v = *p.d
		}
	}
	if o.ServerID == "" {
		o.ServerID = DefaultServerID
	}
	if o.ReadLimit <= 0 {
		o.ReadLimit = d.ReadLimit
	}
	return o
}

// Handler serves "/": a WebSocket upgrade speaks the TcHmi protocol, a
// plain GET is redirected to the web page under /ui/.
type Handler struct {
	svc  *auth.Service
	opts Options

	mu      sync.Mutex
	conns   map[*websocket.Conn]struct{}
	servers map[*http.Server]bool
}

// New returns the dialect's handler with the default options.
func New(svc *auth.Service) http.Handler { return NewHandler(svc, Options{}) }

// NewHandler returns the dialect's handler with opts.
func NewHandler(svc *auth.Service, opts Options) *Handler {
	svc.RegisterProfile(Dialect, Profile)
	return &Handler{svc: svc, opts: opts.withDefaults(),
		conns: map[*websocket.Conn]struct{}{}, servers: map[*http.Server]bool{}}
}

// ServeHTTP serves /Login and /Logout (httplogin.go); on "/" it upgrades
// to a WebSocket and serves the connection until it ends, or redirects a
// plain GET to /ui/.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/Login":
		h.serveLogin(w, r)
		return
	case "/Logout":
		h.serveLogout(w, r)
		return
	}
	if !hasToken(r.Header, "Upgrade", "websocket") {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		http.Redirect(w, r, "/ui/", http.StatusFound)
		return
	}
	if err := h.opts.checkOrigin(r); err != nil {
		slog.Debug("tchmi: upgrade refused", "request_id", httpx.RequestID(r.Context()), "err", err)
		http.Error(w, "forbidden: "+err.Error(), http.StatusForbidden)
		return
	}
	// The origin is checked above, with the Host.
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		// Accept has answered: 4xx for a bad handshake.
		slog.Debug("tchmi: upgrade refused", "request_id", httpx.RequestID(r.Context()), "err", err)
		return
	}
	defer h.track(r, c)()
	h.serve(r, c)
}

func hasToken(hd http.Header, name, token string) bool {
	for _, v := range hd.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// serve is the connection's loop: one frame at a time, each answered before
// the next is read.
func (h *Handler) serve(r *http.Request, c *websocket.Conn) {
	o := h.opts
	c.SetReadLimit(o.ReadLimit)
	// The request's values (request id, client address) stay; its
	// cancellation does not concern a hijacked connection.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	defer cancel()
	sess := NewSession(h.svc, httpx.Client(r, Dialect))
	sess.serverID = o.ServerID
	if tok := h.cookie(r); tok != "" {
		// The connection takes on the session of TwinCAT's cookie; one that
		// has ended leaves it not logged in, as a guest's.
		if err := sess.bind(ctx, tok); err != nil {
			slog.Debug("tchmi: the session cookie names no live session", "request_id", httpx.RequestID(r.Context()))
		}
	}

	var busy atomic.Bool    // a request is running: nobody reads
	var frames atomic.Int64 // frames read so far: a frame is a sign of life too
	go h.keepalive(ctx, c, &busy, &frames)
	dog := newWatchdog()
	defer dog.stop()

	// mu serialises the connection's state: the frames read here and the
	// subscriptions' ticks (a Session is not safe for concurrent use).
	var mu sync.Mutex
	why := "closed"
	for {
		mu.Lock()
		listening := sess.Subscribed()
		mu.Unlock()
		if listening {
			dog.stop() // a page that only listens to its subscriptions is not idle
		} else {
			dog.arm(o.IdleTimeout, func() { _ = c.Close(websocket.StatusPolicyViolation, "idle timeout") })
		}
		_, rd, err := c.Reader(ctx)
		if err != nil {
			why = closeReason(err)
			break
		}
		busy.Store(true)
		frames.Add(1)
		dog.arm(o.ReadTimeout, func() { _ = c.CloseNow() })
		frame, err := io.ReadAll(rd)
		dog.stop()
		if err != nil {
			why = closeReason(err)
			break
		}
		mu.Lock()
		rctx, rcancel := context.WithTimeout(ctx, o.RequestTimeout)
		answer := sess.Handle(rctx, frame)
		rcancel()
		wctx, wcancel := context.WithTimeout(ctx, o.WriteTimeout)
		err = c.Write(wctx, websocket.MessageText, answer)
		wcancel()
		for _, st := range sess.TakeStarted() {
			go h.subscription(ctx, c, sess, &mu, st)
		}
		mu.Unlock()
		busy.Store(false)
		if err != nil {
			why = closeReason(err)
			break
		}
	}
	_ = c.CloseNow()
	slog.Debug("tchmi: connection closed", "request_id", httpx.RequestID(r.Context()), "reason", why)
}

// subscription runs one subscription until it ends or the connection
// does: every interval it reads the symbols again and sends the answer if
// it changed.
func (h *Handler) subscription(ctx context.Context, c *websocket.Conn, sess *Session, mu *sync.Mutex, st Started) {
	t := time.NewTicker(st.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		mu.Lock()
		rctx, rcancel := context.WithTimeout(ctx, h.opts.RequestTimeout)
		answer, gone := sess.Tick(rctx, st)
		rcancel()
		var err error
		if answer != nil {
			wctx, wcancel := context.WithTimeout(ctx, h.opts.WriteTimeout)
			err = c.Write(wctx, websocket.MessageText, answer)
			wcancel()
		}
		mu.Unlock()
		if gone {
			return
		}
		if err != nil {
			_ = c.CloseNow()
			return
		}
	}
}

func closeReason(err error) string {
	if errors.Is(err, websocket.ErrMessageTooBig) {
		return "frame too large"
	}
	if s := websocket.CloseStatus(err); s != -1 {
		return s.String()
	}
	return "connection lost"
}

// keepalive pings while the connection waits for a frame (a pong is read by
// the waiting reader; while a request runs, nobody reads, so no ping is
// sent), and closes a connection whose peer neither answers nor sends a
// frame in time.
func (h *Handler) keepalive(ctx context.Context, c *websocket.Conn, busy *atomic.Bool, frames *atomic.Int64) {
	t := time.NewTicker(h.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if busy.Load() {
			continue
		}
		n := frames.Load()
		pctx, cancel := context.WithTimeout(ctx, h.opts.PongTimeout)
		err := c.Ping(pctx)
		cancel()
		if err != nil && frames.Load() == n {
			_ = c.CloseNow()
			return
		}
	}
}

// watchdog runs one action after a delay, unless re-armed or stopped first.
type watchdog struct {
	mu sync.Mutex
	t  *time.Timer
}

func newWatchdog() *watchdog { return &watchdog{} }

func (w *watchdog) arm(d time.Duration, f func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.t != nil {
		w.t.Stop()
	}
	w.t = time.AfterFunc(d, f)
}

func (w *watchdog) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.t != nil {
		w.t.Stop()
		w.t = nil
	}
}

// track registers a connection, so that a graceful shutdown of the server
// closes it with 1001 (going away): http.Server.Shutdown does not see
// hijacked connections. It returns the function that forgets it.
func (h *Handler) track(r *http.Request, c *websocket.Conn) func() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if srv, ok := r.Context().Value(http.ServerContextKey).(*http.Server); ok && !h.servers[srv] {
		h.servers[srv] = true
		srv.RegisterOnShutdown(h.shutdown)
	}
	h.conns[c] = struct{}{}
	return func() {
		h.mu.Lock()
		delete(h.conns, c)
		h.mu.Unlock()
	}
}

func (h *Handler) shutdown() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		go func() { _ = c.Close(websocket.StatusGoingAway, "server shutting down") }()
	}
}
