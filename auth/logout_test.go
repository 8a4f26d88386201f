package auth_test

import (
	"github.com/mfad/mfad/auth"
	"testing"
	"time"

	"github.com/mfad/mfad"
)

// A client that signs out with its refresh token alone ends that session
// and no other; the token is dead afterwards, and an old refresh token,
// rotated longer than the reuse interval ago, revokes the session as in
// Refresh.
func TestLogoutRefresh(t *testing.T) {
	e := newEnv(t)
	u := e.newUser("carl", mfad.RoleUser)
	a, b := e.session(u), e.session(u)
	if err := e.svc.Logout(e.ctx, remote, auth.LogoutRequest{Refresh: a.Refresh}); err != nil {
		t.Fatalf("LogoutRefresh: %v", err)
	}
	if e.alive(a) || !e.alive(b) {
		t.Fatalf("after LogoutRefresh: first session alive %v (want false), second %v (want true)", e.alive(a), e.alive(b))
	}
	wantCode(t, e.svc.Logout(e.ctx, remote, auth.LogoutRequest{Refresh: a.Refresh}), mfad.EUnauthenticated)
	wantCode(t, e.svc.Logout(e.ctx, remote, auth.LogoutRequest{Refresh: ""}), mfad.EUnauthenticated)

	rotated, err := e.svc.Refresh(e.ctx, remote, b.Refresh)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(e.svc.Config().RefreshReuse + time.Second)
	wantCode(t, e.svc.Logout(e.ctx, remote, auth.LogoutRequest{Refresh: b.Refresh}), mfad.EUnauthenticated) // reused
	if e.alive(rotated) {
		t.Fatal("a reused refresh token must revoke its session")
	}
}

// A client that signs out with its access token (Veeam's DELETE
// /api/oauth2/token) ends that session and no other, in one call; the
// token, its refresh token, an expired token and a forged one are then
// unauthenticated.
func TestLogoutToken(t *testing.T) {
	e := newEnv(t)
	u := e.newUser("dora", mfad.RoleUser)
	a, b := e.session(u), e.session(u)
	if err := e.svc.Logout(e.ctx, remote, auth.LogoutRequest{Access: a.Access}); err != nil {
		t.Fatalf("LogoutToken: %v", err)
	}
	if e.alive(a) || !e.alive(b) {
		t.Fatalf("after LogoutToken: first session alive %v (want false), second %v (want true)", e.alive(a), e.alive(b))
	}
	wantCode(t, e.svc.Logout(e.ctx, remote, auth.LogoutRequest{Access: a.Access}), mfad.EUnauthenticated)
	_, err := e.svc.Refresh(e.ctx, remote, a.Refresh)
	wantCode(t, err, mfad.EUnauthenticated)
	wantCode(t, e.svc.Logout(e.ctx, remote, auth.LogoutRequest{Access: ""}), mfad.EUnauthenticated)
	wantCode(t, e.svc.Logout(e.ctx, remote, auth.LogoutRequest{Access: "forged"}), mfad.EUnauthenticated)
	wantCode(t, e.svc.Logout(e.ctx, remote, auth.LogoutRequest{Access: b.Refresh}), mfad.EUnauthenticated) // not an access token

	e.clock.Add(e.svc.Config().AccessTTL + time.Second)
	wantCode(t, e.svc.Logout(e.ctx, remote, auth.LogoutRequest{Access: b.Access}), mfad.EUnauthenticated)
	var logouts int
	for _, ev := range e.events(u.ID) {
		if ev.Action == "logout" {
			logouts++
		}
	}
	if logouts != 1 {
		t.Errorf("%d logout events, want 1", logouts)
	}
}
