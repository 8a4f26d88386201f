package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mfad/mfad"
)

// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<body>">": Stripe's scheme, so a receiver checks both the body and
// how old it is.
const SignatureHeader = "Mfad-Signature"

// Webhook is an operator's endpoint.
type Webhook struct {
	Name   string
	URL    string
	Secret []byte
	Kinds  map[string]bool // the kinds it wants; empty: all
	Client *http.Client    // nil: a client with a 10 s timeout
	Now    func() time.Time
}

// Wants reports whether the endpoint takes notifications of kind.
func (h *Webhook) Wants(kind string) bool { return len(h.Kinds) == 0 || h.Kinds[kind] }

// Payload is the JSON body of a webhook delivery.
type Payload struct {
	ID         int64     `json:"id"` // the outbox row: the same on a redelivery, so receivers can drop duplicates
	Kind       string    `json:"kind"`
	Time       time.Time `json:"time"`
	UserID     int64     `json:"user_id"`
	UserName   string    `json:"user_name,omitempty"`
	RemoteAddr string    `json:"remote_addr"`
	Dialect    string    `json:"dialect"`
	Detail     string    `json:"detail,omitempty"`
}

// Send posts n; any answer but 2xx is an error (retried).
func (h *Webhook) Send(ctx context.Context, n mfad.Notification, u *mfad.User) error {
	p := Payload{ID: n.ID, Kind: n.Kind, Time: n.Time, UserID: n.UserID, RemoteAddr: n.RemoteAddr,
		Dialect: n.Dialect, Detail: n.Detail}
	if u != nil {
		p.UserName = u.Name
	}
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return Permanent(err)
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "mfad/"+mfad.Version)
	req.Header.Set(SignatureHeader, Sign(h.Secret, now().Unix(), body))
	c := h.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook %s answered %s", h.Name, resp.Status)
	}
	return nil
}

// Sign returns the signature header value of body sent at t.
func Sign(secret []byte, t int64, body []byte) string {
	ts := strconv.FormatInt(t, 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// ErrSignature is Verify's answer to a missing, malformed, wrong or stale
// signature.
var ErrSignature = errors.New("webhook signature invalid")

// Verify checks a signature header against body, and that it was made
// within tolerance of now (a replayed old delivery fails). It is what a
// receiver written in Go runs (docs/notifications.md).
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrSignature
	}
	if d := now.Sub(time.Unix(t, 0)); d > tolerance || d < -tolerance {
		return ErrSignature
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return ErrSignature
}
