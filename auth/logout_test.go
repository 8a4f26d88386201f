package auth_test

import (
	"testing"

	"github.com/mfad/mfad"
)

// A client that signs out with its refresh token alone ends that session
// and no other; the token is dead afterwards, and an old, rotated refresh
// token revokes the session as in Refresh.
func TestLogoutRefresh(t *testing.T) {
	e := newEnv(t)
	u := e.newUser("carl", mfad.RoleUser)
	a, b := e.session(u), e.session(u)
	if err := e.svc.LogoutRefresh(e.ctx, remote, a.Refresh); err != nil {
		t.Fatalf("LogoutRefresh: %v", err)
	}
	if e.alive(a) || !e.alive(b) {
		t.Fatalf("after LogoutRefresh: first session alive %v (want false), second %v (want true)", e.alive(a), e.alive(b))
	}
	wantCode(t, e.svc.LogoutRefresh(e.ctx, remote, a.Refresh), mfad.EUnauthenticated)
	wantCode(t, e.svc.LogoutRefresh(e.ctx, remote, ""), mfad.EUnauthenticated)

	rotated, err := e.svc.Refresh(e.ctx, remote, b.Refresh)
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.svc.LogoutRefresh(e.ctx, remote, b.Refresh), mfad.EUnauthenticated) // reused
	if e.alive(rotated) {
		t.Fatal("a reused refresh token must revoke its session")
	}
}
