package main_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mfad/mfad/internal/e2e"
	"github.com/mfad/mfad/otp"
)

// client is a REST client of one test server that remembers every secret it
// saw, so the test can check none of them reached the disk or the log.
type client struct {
	t       *testing.T
	srv     *e2e.Server
	secrets []string
}

func (c *client) remember(s ...string) { c.secrets = append(c.secrets, s...) }

func (c *client) do(method, path, token string, body any, wantStatus int) map[string]any {
	c.t.Helper()
	var out map[string]any
	status, _ := c.srv.Do(method, path, token, body, &out)
	if status != wantStatus {
		c.t.Fatalf("%s %s: status %d, want %d: %v", method, path, status, wantStatus, out)
	}
	return out
}

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

func (c *client) adminToken() string {
	c.t.Helper()
	out := c.do("POST", "/v1/login", "", map[string]any{"login": "admin", "password": e2e.AdminPassword}, 200)
	return str(out, "access_token")
}

func (c *client) createUser(admin, name, password string) int64 {
	c.t.Helper()
	c.remember(password)
	out := c.do("POST", "/v1/users", admin, map[string]any{"name": name, "email": name + "@example.org", "password": password}, 201)
	id, _ := out["id"].(float64)
	if id == 0 {
		c.t.Fatalf("no id in %v", out)
	}
	return int64(id)
}

func (c *client) login(name, password string) map[string]any {
	c.t.Helper()
	return c.do("POST", "/v1/login", "", map[string]any{"login": name, "password": password}, 200)
}

// enroll turns 2FA on for the holder of token and returns the key and the
// scratch codes.
func (c *client) enroll(token string) (otp.Key, []string) {
	c.t.Helper()
	prep := c.do("POST", "/v1/users/me/2fa/prepare", token, map[string]any{}, 200)
	key, err := otp.ParseURI(str(prep, "otpauth_uri"))
	if err != nil {
		c.t.Fatal(err)
	}
	c.remember(str(prep, "secret"), str(prep, "enrollment_token"))
	code := key.Code(c.srv.Now())
	out := c.do("POST", "/v1/users/me/2fa/confirm", token, map[string]any{"enrollment_token": str(prep, "enrollment_token"), "code": code}, 200)
	var scratch []string
	for _, s := range out["scratch_codes"].([]any) {
		scratch = append(scratch, s.(string))
	}
	c.remember(scratch...)
	return key, scratch
}

// nextCode moves the server's clock to the next time step and returns the
// code for it, so a fresh code is never a replay of an earlier one.
func (c *client) nextCode(key otp.Key) string {
	c.srv.Advance(30 * time.Second)
	return key.Code(c.srv.Now())
}

func TestLifecycleEndToEnd(t *testing.T) {
	srv := e2e.Start(t, e2e.Options{})
	c := &client{t: t, srv: srv}
	c.remember(e2e.AdminPassword)
	admin := c.adminToken()
	c.createUser(admin, "alice", "alice-password-1")

	sess := c.login("alice", "alice-password-1")
	if str(sess, "status") != "ok" {
		t.Fatalf("login without 2FA: %v", sess)
	}
	tok := str(sess, "access_token")
	c.remember(tok, str(sess, "refresh_token"))
	key, scratch := c.enroll(tok)
	confirmCode := key.Code(srv.Now())
	c.do("POST", "/v1/logout", tok, nil, 204)
	c.do("GET", "/v1/me", tok, nil, 401)

	step := c.login("alice", "alice-password-1")
	if str(step, "status") != "second_factor_required" || str(step, "access_token") != "" {
		t.Fatalf("login with 2FA on: %v", step)
	}
	ticket := str(step, "ticket")
	c.remember(ticket)
	second := func(code string, want int) map[string]any {
		return c.do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": ticket, "code": code}, want)
	}
	if out := second(confirmCode, 401); errCode(out) != "invalid_code" {
		t.Fatalf("the confirming code must not log in: %v", out)
	}
	wrong := fmt.Sprintf("%06d", (atoi(confirmCode)+1)%1000000)
	second(wrong, 401)
	fresh := c.nextCode(key)
	out := second(fresh, 200)
	tok = str(out, "access_token")
	c.remember(tok)

	ticket = str(c.login("alice", "alice-password-1"), "ticket")
	second(fresh, 401) // the same code again
	second(scratch[0], 200)
	ticket = str(c.login("alice", "alice-password-1"), "ticket")
	second(scratch[0], 401) // a scratch code works once

	regen := c.do("POST", "/v1/users/me/2fa/scratch-codes", tok, map[string]any{"code": c.nextCode(key)}, 200)
	if n := len(regen["scratch_codes"].([]any)); n != 10 {
		t.Fatalf("regenerated %d scratch codes, want 10", n)
	}
	ticket = str(c.login("alice", "alice-password-1"), "ticket")
	second(scratch[1], 401) // voided by the regeneration

	c.do("POST", "/v1/users/me/2fa/disable", tok, map[string]any{"password": "alice-password-1", "code": c.nextCode(key)}, 204)
	if out := c.login("alice", "alice-password-1"); str(out, "status") != "ok" {
		t.Fatalf("login after disable must not ask for a code: %v", out)
	}
	noSecretAtRest(t, c)
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

// noSecretAtRest checks the raw bytes of the database files and the log for
// every secret, code, password and token the test saw.
func noSecretAtRest(t *testing.T, c *client) {
	t.Helper()
	c.srv.Stop() // checkpoint nothing away: read the files as they are, WAL included
	var blobs [][]byte
	names := []string{"log"}
	blobs = append(blobs, []byte(c.srv.Logs()))
	for _, f := range []string{"mfad.db", "mfad.db-wal", "mfad.db-shm"} {
		b, err := os.ReadFile(filepath.Join(c.srv.DataDir, f))
		if err == nil {
			blobs, names = append(blobs, b), append(names, f)
		}
	}
	for _, s := range c.secrets {
		if len(s) < 6 {
			continue
		}
		for i, b := range blobs {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("a secret value (%d chars) appears in %s", len(s), names[i])
			}
		}
	}
}

func TestOneCodeManyRequestsEndToEnd(t *testing.T) {
	srv := e2e.Start(t, e2e.Options{})
	c := &client{t: t, srv: srv}
	admin := c.adminToken()
	c.createUser(admin, "bob", "bob-password-1")
	tok := str(c.login("bob", "bob-password-1"), "access_token")
	key, _ := c.enroll(tok)
	code := c.nextCode(key)

	var ok, refused atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			switch status, _ := srv.Do("POST", "/v1/me/verify", tok, map[string]any{"code": code}, nil); status {
			case 204:
				ok.Add(1)
			case 401, 423:
				refused.Add(1)
			default:
				t.Errorf("status %d", status)
			}
		}()
	}
	close(start)
	wg.Wait()
	if ok.Load() != 1 || refused.Load() != 99 {
		t.Fatalf("100 submissions of one code: %d accepted, %d refused; want 1 and 99", ok.Load(), refused.Load())
	}
}

func TestLockoutEndToEnd(t *testing.T) {
	srv := e2e.Start(t, e2e.Options{})
	c := &client{t: t, srv: srv}
	admin := c.adminToken()
	c.createUser(admin, "carol", "carol-password-1")
	tok := str(c.login("carol", "carol-password-1"), "access_token")
	key, _ := c.enroll(tok)

	ticket := func() string { return str(c.login("carol", "carol-password-1"), "ticket") }
	tk := ticket()
	for i := range 5 {
		want := 401
		if i == 4 {
			want = 423
		}
		c.do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": tk, "code": "000000"}, want)
	}
	status, hdr := srv.Do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": ticket(), "code": key.Code(srv.Now())}, nil)
	if status != 423 || hdr.Get("Retry-After") == "" {
		t.Fatalf("the right code while locked: status %d, Retry-After %q; want 423 with a retry time", status, hdr.Get("Retry-After"))
	}
	// Wrong passwords never lock the second factor; they are throttled.
	var throttled bool
	for range 8 {
		st, h := srv.Do("POST", "/v1/login", "", map[string]any{"login": "carol", "password": "wrong-password"}, nil)
		if st == 429 && h.Get("Retry-After") != "" {
			throttled = true
			break
		}
		if st != 401 {
			t.Fatalf("wrong password: status %d", st)
		}
	}
	if !throttled {
		t.Fatal("wrong passwords were never throttled with 429")
	}
	uid := int64(c.do("GET", "/v1/users/me", tok, nil, 200)["id"].(float64))
	c.do("POST", fmt.Sprintf("/v1/users/%d/2fa/unlock", uid), admin, nil, 204)
	srv.Advance(16 * time.Minute) // past the password throttle
	c.do("POST", "/v1/login/second-factor", "", map[string]any{"ticket": ticket(), "code": c.nextCode(key)}, 200)
}

func TestHardLockEndToEnd(t *testing.T) {
	srv := e2e.Start(t, e2e.Options{})
	c := &client{t: t, srv: srv}
	admin := c.adminToken()
	uid := c.createUser(admin, "dave", "dave-password-1")
	sess := c.login("dave", "dave-password-1")
	tok, refresh := str(sess, "access_token"), str(sess, "refresh_token")
	key, _ := c.enroll(tok)
	for i := 1; i <= 100; i++ {
		status, _ := srv.Do("POST", "/v1/me/verify", tok, map[string]any{"code": "000000"}, nil)
		if want := 401; i%5 == 0 && status != 423 || i%5 != 0 && status != want {
			t.Fatalf("failure %d: status %d", i, status)
		}
		if i%5 == 0 && i < 100 {
			// Wait out the lock (at most 15 min); keep the session alive.
			srv.Advance(16 * time.Minute)
			out := c.do("POST", "/v1/token/refresh", "", map[string]any{"refresh_token": refresh}, 200)
			tok, refresh = str(out, "access_token"), str(out, "refresh_token")
		}
	}
	status, hdr := srv.Do("POST", "/v1/me/verify", tok, map[string]any{"code": c.nextCode(key)}, nil)
	if status != 423 || hdr.Get("Retry-After") != "" {
		t.Fatalf("after 100 failures: status %d Retry-After %q; want 423 until an admin unlocks", status, hdr.Get("Retry-After"))
	}
	srv.Advance(50 * time.Minute)
	if status, _ := srv.Do("POST", "/v1/me/verify", tok, map[string]any{"code": c.nextCode(key)}, nil); status != 423 {
		t.Fatalf("a hard lock must not expire: status %d", status)
	}
	c.do("POST", fmt.Sprintf("/v1/users/%d/2fa/unlock", uid), c.adminToken(), nil, 204)
	c.do("POST", "/v1/me/verify", tok, map[string]any{"code": c.nextCode(key)}, 204)
}

func TestStepUpEndToEnd(t *testing.T) {
	srv := e2e.Start(t, e2e.Options{})
	c := &client{t: t, srv: srv}
	admin := c.adminToken()
	c.createUser(admin, "erin", "erin-password-1")
	tok := str(c.login("erin", "erin-password-1"), "access_token")
	key, _ := c.enroll(tok)
	c.do("POST", "/v1/users/me/2fa/scratch-codes/view", tok, map[string]any{}, 200) // just proven at confirm
	srv.Advance(11 * time.Minute)
	if out := c.do("POST", "/v1/users/me/2fa/scratch-codes/view", tok, map[string]any{}, 403); errCode(out) != "step_up_required" {
		t.Fatalf("stale second factor: %v", out)
	}
	c.do("POST", "/v1/users/me/2fa/scratch-codes/view", tok, map[string]any{"code": key.Code(srv.Now())}, 200)
}

func TestCrashInsideConfirmEndToEnd(t *testing.T) {
	srv := e2e.Start(t, e2e.Options{Env: []string{"MFAD_CRASH_AT=confirm"}})
	c := &client{t: t, srv: srv}
	admin := c.adminToken()
	c.createUser(admin, "frank", "frank-password-1")
	tok := str(c.login("frank", "frank-password-1"), "access_token")
	prep := c.do("POST", "/v1/users/me/2fa/prepare", tok, map[string]any{}, 200)
	key, _ := otp.ParseURI(str(prep, "otpauth_uri"))
	body := fmt.Sprintf(`{"enrollment_token":%q,"code":%q}`, str(prep, "enrollment_token"), key.Code(srv.Now()))
	req, _ := http.NewRequest("POST", srv.URL+"/v1/users/me/2fa/confirm", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("confirm answered %s; the crash point did not fire", resp.Status)
	}
	if code := srv.Wait(10 * time.Second); code != 137 {
		t.Fatalf("exit code %d, want 137 from the crash point", code)
	}
	srv.Restart()
	// Not enabled at all: the login asks no code, and the status says off.
	out := c.login("frank", "frank-password-1")
	if str(out, "status") != "ok" {
		t.Fatalf("after a crash inside confirm the user must not be half enabled: %v", out)
	}
	st := c.do("GET", "/v1/users/me/2fa", str(out, "access_token"), nil, 200)
	if st["enabled"] != false {
		t.Fatalf("status after crash: %v", st)
	}
	// And enabling works afterwards, with scratch codes.
	_, scratch := c.enroll(str(out, "access_token"))
	if len(scratch) != 10 {
		t.Fatalf("%d scratch codes after enabling", len(scratch))
	}
}
