// Package coretest builds the real core service for the tests of the fronts
// and of the core itself: the SQLite store in a temporary directory, a
// fresh key ring, cheap argon2id parameters (so a test does not spend most
// of its time hashing) and a clock the test moves instead of sleeping.
package coretest

import (
	"context"
	"log/slog"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/seal"
	"github.com/mfad/mfad/store/sqlite"
)

// Clock is a fake clock, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock that reads t until moved.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// PasswordParams are argon2id parameters cheap enough for tests.
var PasswordParams = auth.PasswordParams{Memory: 64, Time: 1, Threads: 1, Concurrent: 4, MaxQueue: 1000}

// Core is a core service on a real store, with its parts.
type Core struct {
	Svc   *auth.Service
	Store *sqlite.DB
	Ring  *seal.Ring
	Clock *Clock
	txs   *countingStore
}

// Transactions returns how many transactions the service has run so far,
// read-write and read-only together: a test of a front compares what one
// wire operation costs with what the one core call it maps to costs.
func (c *Core) Transactions() int64 { return c.txs.n.Load() }

// countingStore counts the transactions the service runs.
type countingStore struct {
	mfad.Store
	n atomic.Int64
}

func (c *countingStore) Update(ctx context.Context, fn func(mfad.Tx) error) error {
	c.n.Add(1)
	return c.Store.Update(ctx, fn)
}

func (c *countingStore) View(ctx context.Context, fn func(mfad.Tx) error) error {
	c.n.Add(1)
	return c.Store.View(ctx, fn)
}

// Options change what New builds; the zero value is the documented
// defaults with cheap hashing, a discarded log and a clock at Start.
type Options struct {
	Config auth.Config  // zero: auth.DefaultConfig; the default Password becomes PasswordParams
	Start  time.Time    // the clock's first reading; zero: 2030-01-01 00:00:05 UTC
	Log    *slog.Logger // nil: discard
	Ring   *seal.Ring   // nil: one fresh key "k1"
}

// New builds a core in t's temporary directory; t's cleanup closes it.
func New(t testing.TB, o Options) *Core {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "mfad.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if o.Ring == nil {
		o.Ring = NewRing(t, "k1")
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2030, 1, 1, 0, 0, 5, 0, time.UTC)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	cfg := o.Config
	if reflect.ValueOf(cfg).IsZero() {
		cfg = auth.DefaultConfig()
	}
	if cfg.Password.Memory == 0 || cfg.Password == auth.DefaultConfig().Password {
		cfg.Password = PasswordParams
	}
	c := &Core{Store: db, Ring: o.Ring, Clock: NewClock(o.Start), txs: &countingStore{Store: db}}
	c.Svc = auth.New(c.txs, o.Ring, cfg, auth.WithClock(c.Clock.Now), auth.WithLogger(o.Log))
	if err := c.Svc.CheckKeys(ctx); err != nil {
		t.Fatalf("CheckKeys: %v", err)
	}
	return c
}

// NewRing returns a ring of fresh keys with the given ids; the last is the
// primary.
func NewRing(t testing.TB, ids ...string) *seal.Ring {
	t.Helper()
	keys := make([]seal.Key, len(ids))
	for i, id := range ids {
		k, err := seal.GenerateKey(id)
		if err != nil {
			t.Fatalf("seal.GenerateKey: %v", err)
		}
		keys[i] = k
	}
	r, err := seal.NewRing(keys...)
	if err != nil {
		t.Fatalf("seal.NewRing: %v", err)
	}
	return r
}
