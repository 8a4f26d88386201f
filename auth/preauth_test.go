package auth_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
	"github.com/mfad/mfad/seal"
)

// preauthValue computes a preauth value as python-zimbra's create_preauth
// and Zimbra's PreAuthKey do: hex HMAC-SHA1 keyed with the key's text.
func preauthValue(key, account, by string, expires, ts int64) string {
	m := hmac.New(sha1.New, []byte(key))
	fmt.Fprintf(m, "%s|%s|%d|%d", account, by, expires, ts)
	return hex.EncodeToString(m.Sum(nil))
}

// TestPreauth: a preauth value made with the domain's key stands in for
// the password; a user with 2FA on is still asked for the code; a wrong
// value, another domain's key, a stale timestamp and a non-admin setting a
// key are refused, and failures are throttled like passwords.
func TestPreauth(t *testing.T) {
	e := newEnv(t)
	u := e.newUser("pia", mfad.RoleUser) // pia@example.test
	key, err := e.svc.SetPreauthKey(e.ctx, e.sys, "Example.TEST", "")
	if err != nil || len(key) != 64 {
		t.Fatalf("SetPreauthKey: %q, %v", key, err)
	}
	other, _ := e.svc.SetPreauthKey(e.ctx, e.sys, "other.test", "")
	_, err = e.svc.SetPreauthKey(e.ctx, e.actor(e.session(u)), "example.test", "")
	checkCode(t, "a user sets a key", err, mfad.EForbidden)
	_, err = e.svc.SetPreauthKey(e.ctx, e.sys, "example.test", "short")
	checkCode(t, "a short key", err, mfad.EInvalidInput)
	// Issue 26, item 2: a key anyone could guess is no key.
	for _, weak := range []string{strings.Repeat("0", 64), strings.Repeat("5a", 32), strings.Repeat("preauth-", 5)} {
		_, err = e.svc.SetPreauthKey(e.ctx, e.sys, "example.test", weak)
		checkCode(t, "a weak key", err, mfad.EInvalidInput)
	}

	now := e.clock.Now().UnixMilli()
	login := func(account, value string, ts int64) (*auth.LoginResult, error) {
		return e.svc.Login(e.ctx, remote, auth.LoginRequest{Login: account,
			Preauth: &auth.Preauth{By: "name", Timestamp: ts, Value: value}})
	}
	res, err := login(u.Email, preauthValue(key, u.Email, "name", 0, now), now)
	if err != nil || res.Tokens == nil {
		t.Fatalf("preauth login: %+v, %v", res, err)
	}
	for _, c := range []struct {
		what, value string
		ts          int64
	}{
		{"wrong value", preauthValue(key, u.Email, "name", 0, now+1), now},
		{"another domain's key", preauthValue(other, u.Email, "name", 0, now), now},
		{"6 minutes old", preauthValue(key, u.Email, "name", 0, now-6*60000), now - 6*60000},
		{"signed for another account", preauthValue(key, "someone@example.test", "name", 0, now), now},
	} {
		_, err := login(u.Email, c.value, c.ts)
		checkCode(t, c.what, err, mfad.EInvalidLogin)
	}
	// A fifth and sixth failure: the account waits, even with a good value.
	login(u.Email, "00", now)
	login(u.Email, "00", now)
	_, err = login(u.Email, preauthValue(key, u.Email, "name", 0, now), now)
	checkCode(t, "throttled", err, mfad.EThrottled)

	// With 2FA on, preauth is only the first factor.
	v, _ := e.enrolledUser("vic")
	e.clock.Add(time.Hour)
	now = e.clock.Now().UnixMilli()
	res, err = login(v.Name, preauthValue(key, v.Name, "name", 0, now), now)
	if err != nil || res.Tokens != nil || res.Ticket == "" {
		t.Fatalf("preauth of a 2FA user: %+v, %v; want a ticket", res, err)
	}
	done, err := e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{Ticket: res.Ticket, Code: e.code(v)})
	if err != nil || done.Tokens == nil {
		t.Fatalf("second step after preauth: %v", err)
	}

	// Rotating the master key re-seals the preauth keys; they still work.
	k2, err := seal.GenerateKey("k2")
	if err != nil {
		t.Fatal(err)
	}
	ring12, err := e.ring.With(k2)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = e.service(ring12)
	if n, err := e.svc.RotateKeys(e.ctx); err != nil || n < 2 {
		t.Fatalf("RotateKeys: %d, %v; want the 2 preauth keys among them", n, err)
	}
	ring2, err := ring12.Without("k1")
	if err != nil {
		t.Fatal(err)
	}
	e.svc = e.service(ring2)
	w := e.newUser("wes", mfad.RoleUser)
	now = e.clock.Now().UnixMilli()
	if res, err := login(w.Name, preauthValue(key, w.Name, "name", 0, now), now); err != nil || res.Tokens == nil {
		t.Fatalf("preauth after the rotation: %v", err)
	}
}
