package auth_test

import (
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// TestCapabilities: what a session may do, as the core judges it, agrees
// with what the calls themselves allow.
func TestCapabilities(t *testing.T) {
	e := newEnv(t)
	adm := e.newUser("root", mfad.RoleAdmin)
	usr := e.newUser("plain", mfad.RoleUser)
	admin, user := e.actor(e.session(adm)), e.actor(e.session(usr))
	if err := e.svc.SetPolicy(e.ctx, admin, auth.PolicyAdmins); err != nil {
		t.Fatal(err)
	}
	res := e.login(adm, remote)
	if res.Tokens == nil || res.Tokens.Scope != mfad.ScopeEnroll {
		t.Fatalf("admin login under policy admins: %+v", res)
	}
	enrolling := e.actor(res.Tokens)
	for _, tt := range []struct {
		name  string
		actor auth.Actor
		want  auth.Capabilities
	}{
		{"admin", admin, auth.Capabilities{Administer: true, Full: true}},
		{"user", user, auth.Capabilities{Full: true}},
		{"admin who must enroll first", enrolling, auth.Capabilities{}},
		{"system", e.sys, auth.Capabilities{Administer: true, Full: true}},
	} {
		got, err := e.svc.Capabilities(tt.actor)
		if err != nil || got != tt.want {
			t.Errorf("%s: %+v, %v; want %+v", tt.name, got, err, tt.want)
		}
		_, _, lerr := e.svc.ListUsers(e.ctx, tt.actor, auth.UserQuery{Limit: 1})
		if (lerr == nil) != got.Administer {
			t.Errorf("%s: Administer %v, but ListUsers says %v", tt.name, got.Administer, lerr)
		}
	}
	_, err := e.svc.Capabilities(auth.Anonymous(remote))
	wantCode(t, err, mfad.EUnauthenticated)
}
