package auth_test

import (
	"testing"
	"time"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

func TestRefreshRotation(t *testing.T) {
	e := newEnv(t)
	u := e.newUser("u", mfad.RoleUser)
	t1 := e.session(u)

	t2, err := e.svc.Refresh(e.ctx, remote, t1.Refresh)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if t2.Access == t1.Access || t2.Refresh == t1.Refresh || t2.SessionID != t1.SessionID || t2.UserID != u.ID {
		t.Fatalf("Refresh = %+v, want new tokens for session %d", t2, t1.SessionID)
	}
	if !e.alive(t2) {
		t.Fatal("the refreshed access token does not authenticate")
	}
	if e.alive(t1) {
		t.Error("the access token before the refresh still authenticates")
	}

	// The new refresh token works once too.
	t3, err := e.svc.Refresh(e.ctx, remote, t2.Refresh)
	if err != nil {
		t.Fatalf("second Refresh: %v", err)
	}

	// Reusing an old refresh token after the reuse interval revokes the
	// session: a thief and the owner both hold it.
	e.clock.Add(e.svc.Config().RefreshReuse + time.Second)
	_, err = e.svc.Refresh(e.ctx, remote, t1.Refresh)
	wantCode(t, err, mfad.EUnauthenticated)
	if e.alive(t3) || e.alive(t2) {
		t.Error("the session survived a reused refresh token")
	}
	_, err = e.svc.Refresh(e.ctx, remote, t3.Refresh)
	wantCode(t, err, mfad.EUnauthenticated)

	// Other sessions are not affected.
	other := e.session(u)
	_, err = e.svc.Refresh(e.ctx, remote, t2.Refresh)
	wantCode(t, err, mfad.EUnauthenticated)
	if !e.alive(other) {
		t.Error("a reused refresh token of one session revoked another")
	}
}

func TestTokenExpiry(t *testing.T) {
	e := newEnv(t)
	u := e.newUser("u", mfad.RoleUser)
	tok := e.session(u)
	cfg := e.svc.Config()

	e.clock.Add(cfg.AccessTTL - time.Second)
	if !e.alive(tok) {
		t.Fatal("the access token expired early")
	}
	e.clock.Add(2 * time.Second)
	_, err := e.svc.Authenticate(e.ctx, remote, tok.Access)
	wantCode(t, err, mfad.EUnauthenticated)

	// The refresh token outlives the access token.
	next, err := e.svc.Refresh(e.ctx, remote, tok.Refresh)
	if err != nil {
		t.Fatalf("Refresh after the access token expired: %v", err)
	}
	if !e.alive(next) {
		t.Fatal("the refreshed access token does not authenticate")
	}
	if !next.RefreshExpires.After(e.clock.Now().Add(cfg.RefreshTTL - time.Minute)) {
		t.Errorf("the new refresh token expires at %v", next.RefreshExpires)
	}

	// And expires itself.
	e.clock.Add(cfg.RefreshTTL + time.Second)
	_, err = e.svc.Refresh(e.ctx, remote, next.Refresh)
	wantCode(t, err, mfad.EUnauthenticated)
	_, err = e.svc.Authenticate(e.ctx, remote, next.Access)
	wantCode(t, err, mfad.EUnauthenticated)

	// A login ticket expires too.
	v, _ := e.enrolledUser("v")
	ticket := e.ticket(v)
	e.clock.Add(cfg.TicketTTL + time.Second)
	_, err = e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{Ticket: ticket, Code: e.now(v)})
	if c := mfad.ErrorCode(err); c != mfad.EExpired && c != mfad.ENotFound {
		t.Fatalf("CompleteLogin on an expired ticket: %v", err)
	}
}

func TestForgedTokens(t *testing.T) {
	e := newEnv(t)
	u := e.newUser("u", mfad.RoleUser)
	tok := e.session(u)
	forged := []string{
		"",
		"x",
		tok.Refresh,                    // a refresh token is no access token
		tok.Access[:len(tok.Access)-1], // truncated
		tok.Access + "A",               // extended
		flip(tok.Access),               // one character changed
		"Bearer " + tok.Access,         // not stripped by the core
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	}
	for _, f := range forged {
		_, err := e.svc.Authenticate(e.ctx, remote, f)
		checkCode(t, "Authenticate("+f+")", err, mfad.EUnauthenticated)
	}
	for _, f := range []string{"", tok.Access, flip(tok.Refresh), tok.Refresh + "A"} {
		_, err := e.svc.Refresh(e.ctx, remote, f)
		checkCode(t, "Refresh("+f+")", err, mfad.EUnauthenticated)
	}
	// None of the forgeries harmed the real session.
	if !e.alive(tok) {
		t.Fatal("the real session died")
	}
	if _, err := e.svc.Refresh(e.ctx, remote, tok.Refresh); err != nil {
		t.Fatalf("Refresh of the real token: %v", err)
	}
}

func flip(s string) string {
	b := []byte(s)
	if b[len(b)/2] == 'A' {
		b[len(b)/2] = 'B'
	} else {
		b[len(b)/2] = 'A'
	}
	return string(b)
}

func TestLogout(t *testing.T) {
	e := newEnv(t)
	u := e.newUser("u", mfad.RoleUser)
	tok, other := e.session(u), e.session(u)
	if err := e.svc.Logout(e.ctx, remote, auth.LogoutRequest{Access: tok.Access}); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if e.alive(tok) {
		t.Error("the session survived Logout")
	}
	_, err := e.svc.Refresh(e.ctx, remote, tok.Refresh)
	checkCode(t, "Refresh after Logout", err, mfad.EUnauthenticated)
	if !e.alive(other) {
		t.Error("Logout ended another session")
	}
}
