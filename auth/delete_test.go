package auth_test

import (
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// Deleting a user forgets the password failures of their name, so a new
// user given the name starts with a clean slate.
func TestDeleteUserForgetsThrottles(t *testing.T) {
	e := newEnv(t)
	u := e.newUser("dora", mfad.RoleUser)
	var err error
	for range 10 {
		_, err = e.svc.Login(e.ctx, remote, auth.LoginRequest{Login: u.Name, Password: "not the password"})
	}
	wantCode(t, err, mfad.EThrottled)
	if err := e.svc.DeleteUser(e.ctx, e.sys, u.ID); err != nil {
		t.Fatal(err)
	}
	again := e.newUser("dora", mfad.RoleUser)
	if res := e.login(again, remote); res.Tokens == nil {
		t.Fatalf("the new dora is throttled by the old one's failures: %+v", res)
	}
}
