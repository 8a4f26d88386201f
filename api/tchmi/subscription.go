package tchmi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/mfad/mfad"
)

// Subscriptions: a request of requestType "Subscription" names symbols to
// read and an intervalTime in milliseconds, "the earliest time after which
// the server transmits changes" (TcHmi.Server.subscribe). The answer comes
// at once; then the connection reads the symbols again every interval and
// sends an answer with the request's id whenever it differs from the last
// one sent. Unsubscribe with the request's id ends it; so does the end of
// the connection. Only symbols that read are subscribable.

// Limits of subscriptions.
const (
	MaxSubscriptions = 16 // per connection
	DefaultInterval  = time.Second
	MinInterval      = 200 * time.Millisecond
	MaxInterval      = time.Hour
)

// SymUnsubscribe ends a subscription: writeValue is its request id.
const SymUnsubscribe = "Unsubscribe"

// subscribable are the symbols a Subscription may name: they only read.
var subscribable = map[string]bool{
	SymGet2FAStatus: true, SymConfig2FA: true, SymGetCurrentUser: true,
	SymListUserNames: true, SymListUsers: true, SymUMListUsers: true,
}

type subscription struct {
	req      *Request
	interval time.Duration
	last     []byte // the answer sent last
}

// Started is a subscription the last frame began, for the transport to
// run every Interval (Session.Tick).
type Started struct {
	ID       string
	Interval time.Duration
	sub      *subscription
}

// interval is a Subscription's intervalTime, within the limits.
func (r *Request) interval() (time.Duration, error) {
	if r.IntervalTime == "" {
		return DefaultInterval, nil
	}
	ms, err := strconv.ParseInt(string(r.IntervalTime), 10, 64)
	if err != nil || ms < 0 {
		return 0, mfad.Errorf(mfad.EInvalidInput, "intervalTime must be a whole number of milliseconds")
	}
	return min(max(time.Duration(ms)*time.Millisecond, MinInterval), MaxInterval), nil
}

// subscribe checks a Subscription request and registers it.
func (s *Session) subscribe(req *Request) (*subscription, error) {
	if req.ID == "" {
		return nil, mfad.Errorf(mfad.EInvalidInput, "a Subscription needs an id")
	}
	iv, err := req.interval()
	if err != nil {
		return nil, err
	}
	for _, c := range req.Commands {
		_, force := force2FAUser(c.Symbol)
		if !subscribable[c.Symbol] && !force {
			return nil, mfad.Errorf(mfad.EInvalidInput, "symbol %q cannot be subscribed", truncate(c.Symbol))
		}
		if !isNull(c.WriteValue) && c.Symbol != SymGet2FAStatus {
			return nil, mfad.Errorf(mfad.EInvalidInput, "a subscription reads: symbol %q takes no writeValue", truncate(c.Symbol))
		}
	}
	id := string(req.ID)
	if _, again := s.subs[id]; !again && len(s.subs) >= MaxSubscriptions {
		return nil, errTooLarge(fmt.Sprintf("at most %d subscriptions per connection", MaxSubscriptions))
	}
	sub := &subscription{req: req, interval: iv}
	s.subs[id] = sub
	s.started = append(s.started, Started{ID: id, Interval: iv, sub: sub})
	return sub, nil
}

// Subscribed reports whether the connection has a subscription.
func (s *Session) Subscribed() bool { return len(s.subs) > 0 }

// TakeStarted returns the subscriptions begun since it was last called.
func (s *Session) TakeStarted() []Started {
	out := s.started
	s.started = nil
	return out
}

// Tick reads a subscription's symbols again. It returns the answer to send
// when it differs from the last one sent, and gone when the subscription
// has ended (Unsubscribe, or a later Subscription with its id replaced
// it).
func (s *Session) Tick(ctx context.Context, st Started) (answer []byte, gone bool) {
	sub, ok := s.subs[st.ID]
	if !ok || sub != st.sub {
		return nil, true
	}
	out := s.runAll(ctx, sub.req)
	if bytes.Equal(out, sub.last) {
		return nil, false
	}
	sub.last = out
	return out, false
}

// unsubscribe is the Unsubscribe symbol.
func (c *call) unsubscribe() (any, error) {
	var id json.Number
	if isNull(c.wv) || json.Unmarshal(c.wv, &id) != nil {
		return nil, mfad.Errorf(mfad.EInvalidInput, "writeValue must be the id of a subscription")
	}
	if _, ok := c.conn.subs[string(id)]; !ok {
		return nil, mfad.Errorf(mfad.EInvalidInput, "no subscription with id %s", id)
	}
	delete(c.conn.subs, string(id))
	return nil, nil
}

func truncate(s string) string {
	if len(s) > 100 {
		return s[:100] + "..."
	}
	return s
}
