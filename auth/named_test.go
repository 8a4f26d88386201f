package auth_test

import (
	"github.com/mfad/mfad/auth"
	"testing"

	"github.com/mfad/mfad"
)

// Status and Reset of a user named by login: a user sees only themselves (another name, or none,
// is not found: nothing to probe); only admins reset, whatever the name.
func TestNamedCalls(t *testing.T) {
	e := newEnv(t)
	admin := e.newUser("root", mfad.RoleAdmin)
	alice := e.newUser("alice", mfad.RoleUser)
	e.enrolledUser("bob")
	ad, al := e.actor(e.session(admin)), e.actor(e.session(alice))
	tests := []struct {
		name  string
		reset bool
		as    string
		login string
		want  mfad.Code
	}{
		{"a user's own status", false, "alice", "alice", ""},
		{"by email", false, "alice", "alice@example.test", ""},
		{"another user's status", false, "alice", "bob", mfad.ENotFound},
		{"no such user", false, "alice", "nobody", mfad.ENotFound},
		{"an admin sees anyone", false, "root", "bob", ""},
		{"an admin, no such user", false, "root", "nobody", mfad.ENotFound},
		{"a user resets no one", true, "alice", "bob", mfad.EForbidden},
		{"not even themselves", true, "alice", "alice", mfad.EForbidden},
		{"an admin, no such user", true, "root", "nobody", mfad.ENotFound},
		{"an admin resets", true, "root", "bob", ""},
	}
	for _, tt := range tests {
		a := al
		if tt.as == "root" {
			a = ad
		}
		var err error
		if tt.reset {
			s, rerr := e.svc.Reset(e.ctx, a, auth.ByLogin(tt.login))
			err = rerr
			if err == nil && s.Enabled {
				t.Errorf("%s: still enabled after the reset", tt.name)
			}
		} else {
			_, err = e.svc.Status(e.ctx, a, auth.ByLogin(tt.login))
		}
		if got := mfad.ErrorCode(err); err != nil && got != tt.want || err == nil && tt.want != "" {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}
