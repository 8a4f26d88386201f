package auth_test

import (
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// Sessions of a dialect whose sessions idle out (TwinCAT): each use extends the session to a
// full idle timeout from now; a session left alone for the idle timeout
// ends. A persistent login idles for 30 days; a session with fixed
// lifetimes ends after its hour however much it is used.
func TestIdleSessions(t *testing.T) {
	type step struct {
		after time.Duration // the clock moves this far, then the session is used
		alive bool
	}
	tests := []struct {
		name  string
		idle  bool // the dialect's profile says IdleSessions
		req   auth.LoginRequest
		steps []step
	}{
		{"fixed lifetime ends after the access lifetime, used or not", false, auth.LoginRequest{},
			[]step{{50 * time.Minute, true}, {11 * time.Minute, false}}},
		{"a persistent login of a dialect with fixed lifetimes: fixed", false, auth.LoginRequest{Persistent: true},
			[]step{{61 * time.Minute, false}}},
		{"idle: each use extends it past the access lifetime", true, auth.LoginRequest{},
			[]step{{50 * time.Minute, true}, {50 * time.Minute, true}, {50 * time.Minute, true}, {59 * time.Minute, true}}},
		{"idle: an hour without use ends it", true, auth.LoginRequest{},
			[]step{{30 * time.Minute, true}, {61 * time.Minute, false}}},
		// Uses closer together than a tenth of the timeout write nothing:
		// the session lives at least nine tenths of it after the last use.
		{"idle: frequent uses keep it for at least 0.9 of the timeout after the last", true, auth.LoginRequest{},
			[]step{{10 * time.Minute, true}, {time.Minute, true}, {54 * time.Minute, true}, {60 * time.Minute, false}}},
		{"persistent: idles for 30 days", true, auth.LoginRequest{Persistent: true},
			[]step{{29 * 24 * time.Hour, true}, {30*24*time.Hour + time.Minute, false}}},
		// Issue 26, item 6: used every few days, it still ends 30 days
		// after the login (Config.MaxSessionAge).
		{"persistent: ends 30 days after the login however used", true, auth.LoginRequest{Persistent: true},
			[]step{{10 * 24 * time.Hour, true}, {10 * 24 * time.Hour, true}, {9*24*time.Hour + 23*time.Hour, true}, {2 * time.Hour, false}}},
		{"idle: used every 50 minutes, ends 30 days after the login", true, auth.LoginRequest{},
			append(repeat(step{50 * time.Minute, true}, 30*24*60/50-1), step{50 * time.Minute, false})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			u := e.newUser("alice", mfad.RoleUser)
			req := tt.req
			req.Login, req.Password = u.Name, u.Password
			e.svc.RegisterProfile("idle", auth.Profile{IdleSessions: true})
			c := remote
			if tt.idle {
				c.Dialect = "idle"
			}
			res, err := e.svc.Login(e.ctx, c, req)
			if err != nil {
				t.Fatal(err)
			}
			var total time.Duration
			for i, s := range tt.steps {
				e.clock.Add(s.after)
				total += s.after
				if got := e.alive(res.Tokens); got != s.alive {
					t.Fatalf("step %d (%v after login): alive %v, want %v", i, total, got, s.alive)
				}
			}
		})
	}
}

func repeat[T any](x T, n int) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = x
	}
	return out
}
