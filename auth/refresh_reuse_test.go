package auth_test

import (
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// Within the reuse interval, a rotated refresh token gets the very pair
// its rotation made (so every parallel request of a client comes away
// with one working pair); after the interval, it revokes the session.
func TestRefreshReuseInterval(t *testing.T) {
	for _, tc := range []struct {
		name    string
		wait    time.Duration // after the first rotation
		survive bool
	}{
		{"at once", 0, true},
		{"at the end of the interval", 30 * time.Second, true},
		{"just after the interval", 30*time.Second + time.Nanosecond, false},
		{"ten minutes later", 10 * time.Minute, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			u := e.newUser("dora", mfad.RoleUser)
			other := e.session(u)
			t1 := e.session(u)
			t2, err := e.svc.Refresh(e.ctx, remote, t1.Refresh)
			if err != nil {
				t.Fatalf("Refresh: %v", err)
			}
			e.clock.Add(tc.wait)
			again, err := e.svc.Refresh(e.ctx, remote, t1.Refresh)
			if !tc.survive {
				wantCode(t, err, mfad.EUnauthenticated)
				if e.alive(t2) {
					t.Error("the session survived a reuse after the interval")
				}
				_, err := e.svc.Refresh(e.ctx, remote, t2.Refresh)
				wantCode(t, err, mfad.EUnauthenticated)
				if !e.alive(other) {
					t.Error("the reuse revoked another session of the user")
				}
				return
			}
			if err != nil {
				t.Fatalf("Refresh within the interval: %v", err)
			}
			if *again != *t2 {
				t.Errorf("reuse within the interval got %+v; want the pair of the rotation %+v", again, t2)
			}
			if !e.alive(t2) {
				t.Fatal("the session did not survive a reuse within the interval")
			}
			// The pair goes on as usual: its refresh token rotates once.
			t3, err := e.svc.Refresh(e.ctx, remote, t2.Refresh)
			if err != nil || !e.alive(t3) || e.alive(t2) {
				t.Fatalf("rotating the pair after a reuse: %v", err)
			}
		})
	}
}

// A token reused within the interval after the session rotated twice
// (a client that refreshed again at once) follows to the current pair; the
// same token is revoked once its interval is over, even by way of a newer
// rotation.
func TestRefreshReuseChain(t *testing.T) {
	e := newEnv(t)
	u := e.newUser("emil", mfad.RoleUser)
	t1 := e.session(u)
	t2, err := e.svc.Refresh(e.ctx, remote, t1.Refresh)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(20 * time.Second)
	t3, err := e.svc.Refresh(e.ctx, remote, t2.Refresh)
	if err != nil {
		t.Fatal(err)
	}
	for _, old := range []*auth.Tokens{t1, t2} {
		got, err := e.svc.Refresh(e.ctx, remote, old.Refresh)
		if err != nil || *got != *t3 {
			t.Fatalf("reuse within the interval after two rotations: %+v, %v; want %+v", got, err, t3)
		}
	}
	e.clock.Add(15 * time.Second) // t1 rotated 35 s ago, t2 15 s ago
	_, err = e.svc.Refresh(e.ctx, remote, t1.Refresh)
	wantCode(t, err, mfad.EUnauthenticated)
	if e.alive(t3) {
		t.Error("the session survived a reuse after the interval")
	}
}

// Sixteen refreshes at once with one token all get the same working pair,
// and the session survives; the token reused after the interval revokes.
func TestRefreshParallel(t *testing.T) {
	e := newEnv(t)
	u := e.newUser("finn", mfad.RoleUser)
	t1 := e.session(u)
	const n = 16
	got := make([]*auth.Tokens, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			got[i], errs[i] = e.svc.Refresh(e.ctx, remote, t1.Refresh)
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("refresh %d of %d: %v", i, n, errs[i])
		}
		if *got[i] != *got[0] {
			t.Errorf("refresh %d got another pair than refresh 0", i)
		}
	}
	if !e.alive(got[0]) {
		t.Fatal("the session did not survive parallel refreshes")
	}
	e.clock.Add(time.Minute)
	_, err := e.svc.Refresh(e.ctx, remote, t1.Refresh)
	wantCode(t, err, mfad.EUnauthenticated)
	if e.alive(got[0]) {
		t.Error("the session survived a reuse after the interval")
	}
}

// With the interval turned off (negative), any second use revokes; with
// one configured, that one holds; signing out with a token within its
// interval ends the session.
func TestRefreshReuseConfig(t *testing.T) {
	for _, tc := range []struct {
		reuse   time.Duration
		wait    time.Duration
		survive bool
	}{
		{-1, 0, false},
		{5 * time.Second, 5 * time.Second, true},
		{5 * time.Second, 6 * time.Second, false},
		{2 * time.Minute, 90 * time.Second, true},
	} {
		t.Run(fmt.Sprint(tc.reuse, "/", tc.wait), func(t *testing.T) {
			e := newEnv(t)
			e.svc = auth.New(e.store, e.ring, auth.Config{Window: 1, Password: testPasswordParams, RefreshReuse: tc.reuse},
				auth.WithClock(e.clock.Now), auth.WithLogger(slog.New(slog.DiscardHandler)))
			u := e.newUser("gus", mfad.RoleUser)
			t1 := e.session(u)
			t2, err := e.svc.Refresh(e.ctx, remote, t1.Refresh)
			if err != nil {
				t.Fatal(err)
			}
			e.clock.Add(tc.wait)
			err = e.svc.Logout(e.ctx, remote, auth.LogoutRequest{Refresh: t1.Refresh})
			if tc.survive {
				if err != nil {
					t.Fatalf("LogoutRefresh within the interval: %v", err)
				}
			} else {
				wantCode(t, err, mfad.EUnauthenticated)
			}
			if e.alive(t2) {
				t.Error("the session outlived the sign-out or the reuse")
			}
		})
	}
}
