package rest_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/mfad/mfad/otp"
)

// TestLockout: 5 wrong codes lock with a Retry-After; while locked even the
// right code is refused; the lock ends; 100 failures lock until an admin
// unlocks.
func TestLockout(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("alice")
	key, _ := e.enroll(e.login("alice", userPassword))

	ticket := e.ticket("alice")
	for range 4 {
		e.do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": ticket, "code": wrongCode(e.code(key))}).wantError(401, "invalid_code")
	}
	r := e.do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": ticket, "code": wrongCode(e.code(key))}).wantError(423, "locked")
	wantRetry(t, r, 30*time.Second)
	// The ticket died with the fifth failure; a new one meets the lock.
	e.do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": ticket, "code": e.code(key)}).wantError(404, "not_found")
	ticket = e.ticket("alice")
	r = e.do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": ticket, "code": e.code(key)}).wantError(423, "locked")
	wantRetry(t, r, 30*time.Second)
	st := e.do("GET", "/v1/users/"+itoa(id)+"/2fa", e.admin, nil).want(200)
	if st.get("locked") != true || st.get("hard_locked") != false || st.get("locked_until") == nil {
		t.Errorf("status while locked: %s", st.body)
	}
	e.clock.Add(31 * time.Second)
	e.do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": ticket, "code": e.code(key)}).want(200)

	// 100 failures in a row: a lock without an end.
	// The locks of 100 failures add up to hours; the refresh token keeps
	// the session going without proving a second factor.
	r = e.do("POST", "/v1/login", "", map[string]any{"login": "alice", "password": userPassword, "code": nextCode(e, key)}).want(200)
	alice, refresh := r.str("access_token"), r.str("refresh_token")
	for i := 1; i <= 100; i++ {
		r := e.do("POST", "/v1/me/verify", alice, map[string]any{"code": wrongCode(e.code(key))})
		if i%5 != 0 {
			r.wantError(401, "invalid_code")
			continue
		}
		r.wantError(423, "locked")
		if i == 100 {
			if ra := r.header.Get("Retry-After"); ra != "" {
				t.Errorf("hard lock with Retry-After %q", ra)
			}
			break
		}
		wantRetry(t, r, 15*time.Minute)
		retry, _ := strconv.Atoi(r.header.Get("Retry-After"))
		e.clock.Add(time.Duration(retry) * time.Second)
		r = e.do("POST", "/v1/token/refresh", "", map[string]any{"refresh_token": refresh}).want(200)
		alice, refresh = r.str("access_token"), r.str("refresh_token")
	}
	e.clock.Add(30 * time.Minute)
	r = e.do("POST", "/v1/token/refresh", "", map[string]any{"refresh_token": refresh}).want(200)
	alice = r.str("access_token")
	e.admin = e.login("admin", adminPassword) // the old session has expired
	e.do("POST", "/v1/me/verify", alice, map[string]any{"code": nextCode(e, key)}).wantError(423, "locked")
	st = e.do("GET", "/v1/users/"+itoa(id)+"/2fa", e.admin, nil).want(200)
	if st.get("hard_locked") != true {
		t.Errorf("status after 100 failures: %s", st.body)
	}
	e.do("POST", "/v1/users/"+itoa(id)+"/2fa/unlock", e.admin, nil).want(204)
	e.do("POST", "/v1/me/verify", alice, map[string]any{"code": nextCode(e, key)}).want(204)
}

// TestThrottle: wrong passwords never lock the second factor; they are
// throttled with 429 and a Retry-After.
func TestThrottle(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("alice")
	e.enroll(e.login("alice", userPassword))
	var r *resp
	for i := 0; i < 10; i++ {
		r = e.do("POST", "/v1/login", "", map[string]any{"login": "alice", "password": "wrong-password"})
		if r.status == 429 {
			break
		}
		r.wantError(401, "invalid_login")
	}
	r.wantError(429, "throttled")
	wantRetry(t, r, 0)
	// Even the right password waits.
	e.do("POST", "/v1/login", "", map[string]any{"login": "alice", "password": userPassword}).wantError(429, "throttled")
	if st := e.do("GET", "/v1/users/"+itoa(id)+"/2fa", e.admin, nil).want(200); st.get("locked") != false {
		t.Errorf("wrong passwords locked the second factor: %s", st.body)
	}
	e.clock.Add(time.Minute)
	e.ticket("alice")
}

// wantRetry checks a Retry-After in whole seconds: at least 1, and when max
// is set, no more than max plus a second of rounding.
func wantRetry(t *testing.T, r *resp, max time.Duration) {
	t.Helper()
	n, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || n < 1 || (max > 0 && time.Duration(n)*time.Second > max+time.Second) {
		t.Errorf("%s: Retry-After %q", r.req, r.header.Get("Retry-After"))
	}
}

// nextCode moves the clock a step and returns the code of that step.
func nextCode(e *env, key otp.Key) string {
	e.tick()
	return key.Code(e.clock.Now())
}
