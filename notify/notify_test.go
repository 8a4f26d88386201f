package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/internal/coretest"
	"github.com/mfad/mfad/notify"
	"github.com/mfad/mfad/store/sqlite"
)

var secret = []byte("whsec-test")

// receiver is a real HTTP endpoint that verifies each delivery's signature
// and answers with the statuses in fail first, then 204.
type receiver struct {
	mu       sync.Mutex
	fail     []int
	got      []notify.Payload
	badSig   int
	srv      *httptest.Server
	attempts int
}

func newReceiver(t *testing.T, fail ...int) *receiver {
	r := &receiver{fail: fail}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.attempts++
		if err := notify.Verify(secret, req.Header.Get(notify.SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
			r.badSig++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if len(r.fail) > 0 {
			w.WriteHeader(r.fail[0])
			r.fail = r.fail[1:]
			return
		}
		var p notify.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.got = append(r.got, p)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

type env struct {
	t     *testing.T
	db    *sqlite.DB
	clock *coretest.Clock
	w     *notify.Worker
	user  *mfad.User
}

func newEnv(t *testing.T, senders map[string]notify.Sender) *env {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "mfad.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{t: t, db: db, clock: coretest.NewClock(time.Now().UTC())}
	e.w = &notify.Worker{Store: db, Senders: senders, Now: e.clock.Now, MaxAttempts: 3}
	e.user = &mfad.User{Name: "alice", Email: "alice@example.test", Role: mfad.RoleUser, PasswordHash: "x"}
	if err := db.Update(context.Background(), func(tx mfad.Tx) error { return tx.CreateUser(e.user) }); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) enqueue(target string) int64 {
	n := &mfad.Notification{Kind: mfad.NotifyReplay, Target: target, UserID: e.user.ID, Time: e.clock.Now(),
		RemoteAddr: "192.0.2.7", Dialect: "rest", Detail: "login.2fa"}
	if err := e.db.Update(context.Background(), func(tx mfad.Tx) error { return tx.EnqueueNotification(n) }); err != nil {
		e.t.Fatal(err)
	}
	return n.ID
}

func (e *env) run() int {
	n, err := e.w.RunOnce(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) row(id int64) mfad.Notification {
	var rows []mfad.Notification
	_ = e.db.View(context.Background(), func(tx mfad.Tx) (err error) {
		rows, err = tx.Notifications(mfad.NotificationFilter{})
		return err
	})
	for _, r := range rows {
		if r.ID == id {
			return r
		}
	}
	e.t.Fatalf("row %d not found", id)
	return mfad.Notification{}
}

func TestWebhookDelivery(t *testing.T) {
	tests := []struct {
		name      string
		fail      []int
		runs      int // worker passes, the clock moved past the back-off between them
		state     string
		delivered int
	}{
		{"at once", nil, 1, mfad.NotifySent, 1},
		{"after two failures", []int{500, 503}, 3, mfad.NotifySent, 1},
		{"gives up after MaxAttempts", []int{500, 500, 500, 500}, 5, mfad.NotifyFailed, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReceiver(t, tt.fail...)
			e := newEnv(t, map[string]notify.Sender{"webhook:ops": &notify.Webhook{Name: "ops", URL: r.srv.URL, Secret: secret}})
			id := e.enqueue("webhook:ops")
			for i := range tt.runs {
				e.run()
				if i == 0 && len(tt.fail) > 0 && e.run() != 0 {
					t.Errorf("a failed row was claimed again before its back-off")
				}
				e.clock.Add(time.Hour)
			}
			row := e.row(id)
			if row.State != tt.state || len(r.got) != tt.delivered || r.badSig != 0 {
				t.Fatalf("state %q delivered %d bad signatures %d; want %q %d 0 (%+v)", row.State, len(r.got), r.badSig, tt.state, tt.delivered, row)
			}
			if tt.delivered == 1 {
				p := r.got[0]
				if p.ID != id || p.Kind != mfad.NotifyReplay || p.UserName != "alice" || p.RemoteAddr != "192.0.2.7" || p.Dialect != "rest" {
					t.Errorf("payload %+v", p)
				}
			}
		})
	}
}

// TestLeaseRedelivers: a claimer that dies after claiming (before it
// records anything) leaves its rows to the next claim after the lease.
func TestLeaseRedelivers(t *testing.T) {
	r := newReceiver(t)
	e := newEnv(t, map[string]notify.Sender{"webhook:ops": &notify.Webhook{Name: "ops", URL: r.srv.URL, Secret: secret}})
	id := e.enqueue("webhook:ops")
	// The dead claimer: claims and never finishes.
	if err := e.db.Update(context.Background(), func(tx mfad.Tx) error {
		_, err := tx.ClaimNotifications(e.clock.Now(), e.clock.Now().Add(time.Minute), 10)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if e.run() != 0 {
		t.Fatal("a leased row was claimed")
	}
	e.clock.Add(2 * time.Minute)
	if e.run() != 1 || len(r.got) != 1 || e.row(id).State != mfad.NotifySent {
		t.Fatalf("after the lease: delivered %d, row %+v", len(r.got), e.row(id))
	}
}

// TestUnknownTarget: a row whose target is no longer configured fails at
// once instead of queueing forever.
func TestUnknownTarget(t *testing.T) {
	e := newEnv(t, nil)
	id := e.enqueue("webhook:gone")
	e.run()
	if row := e.row(id); row.State != mfad.NotifyFailed || row.LastError == "" {
		t.Fatalf("row %+v", row)
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"id":1}`)
	now := time.Unix(1_700_000_000, 0)
	good := notify.Sign(secret, now.Unix(), body)
	tests := []struct {
		name   string
		secret []byte
		header string
		body   []byte
		ok     bool
	}{
		{"good", secret, good, body, true},
		{"other body", secret, good, []byte(`{"id":2}`), false},
		{"other secret", []byte("x"), good, body, false},
		{"stale", secret, notify.Sign(secret, now.Add(-10*time.Minute).Unix(), body), body, false},
		{"no v1", secret, "t=1700000000", body, false},
		{"empty", secret, "", body, false},
	}
	for _, tt := range tests {
		err := notify.Verify(tt.secret, tt.header, tt.body, now, 5*time.Minute)
		if (err == nil) != tt.ok {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("t=1700000000,v1=00ff", []byte("{}"))
	f.Add("t=,v1=,v1=zz", []byte(""))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		if notify.Verify(secret, header, body, time.Unix(1_700_000_000, 0), time.Minute) == nil {
			t.Fatalf("an unsigned header verified: %q", header)
		}
	})
}
