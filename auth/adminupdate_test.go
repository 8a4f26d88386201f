package auth_test

import (
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// An administrator's update of a user is all or nothing: a refused
// password leaves the user's 2FA and sessions as they were (issue 16: the
// Cloudreve front once reset first and then failed on the password).
func TestUpdateUser(t *testing.T) {
	for _, tc := range []struct {
		name      string
		up        func(id int64) auth.UserUpdate
		code      mfad.Code // "": success
		enabled   bool      // 2FA afterwards
		sessions  bool      // the user's session survives
		password  string    // the password that logs in afterwards
		byNonAdmn bool
	}{
		{"reset and a too short password", func(id int64) auth.UserUpdate {
			return auth.UserUpdate{UserID: id, Reset2FA: true, Password: "short"}
		}, mfad.EInvalidInput, true, true, "", false},
		{"reset and a password", func(id int64) auth.UserUpdate {
			return auth.UserUpdate{UserID: id, Reset2FA: true, Password: "a new password for hal"}
		}, "", false, false, "a new password for hal", false},
		{"reset only", func(id int64) auth.UserUpdate { return auth.UserUpdate{UserID: id, Reset2FA: true} },
			"", false, false, "", false},
		{"password only", func(id int64) auth.UserUpdate {
			return auth.UserUpdate{UserID: id, Password: "a new password for hal"}
		}, "", true, false, "a new password for hal", false},
		{"nothing", func(id int64) auth.UserUpdate { return auth.UserUpdate{UserID: id} }, "", true, true, "", false},
		{"unknown user", func(int64) auth.UserUpdate {
			return auth.UserUpdate{UserID: 9999, Reset2FA: true, Password: "a new password for hal"}
		}, mfad.ENotFound, true, true, "", false},
		{"not an admin", func(id int64) auth.UserUpdate { return auth.UserUpdate{UserID: id, Reset2FA: true} },
			mfad.EForbidden, true, true, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			admin := e.actor(e.session(e.newUser("root", mfad.RoleAdmin)))
			u, tok := e.enrolledUser("hal")
			if tc.byNonAdmn {
				_, other := e.enrolledUser("ivy")
				admin = e.actor(other)
			}
			got, err := e.svc.UpdateUser(e.ctx, admin, tc.up(u.ID))
			if tc.code != "" {
				wantCode(t, err, tc.code)
			} else if err != nil {
				t.Fatalf("UpdateUser: %v", err)
			} else if got.ID != u.ID || got.MFAEnabled != tc.enabled {
				t.Errorf("UpdateUser answered %+v; want user %d with 2FA %v", got, u.ID, tc.enabled)
			}
			info, err := e.svc.GetUser(e.ctx, e.sys, auth.ByID(u.ID))
			if err != nil {
				t.Fatal(err)
			}
			if info.MFAEnabled != tc.enabled {
				t.Errorf("2FA enabled = %v after the update; want %v", info.MFAEnabled, tc.enabled)
			}
			if e.alive(tok) != tc.sessions {
				t.Errorf("the user's session alive = %v; want %v", e.alive(tok), tc.sessions)
			}
			if tc.password != "" {
				if _, err := e.svc.Login(e.ctx, remote, auth.LoginRequest{Login: u.Name, Password: tc.password}); err != nil {
					t.Errorf("login with the new password: %v", err)
				}
			}
		})
	}
}

// An administrator does not set their own password as an update of a
// user: that needs the current password.
func TestUpdateUserOwnPassword(t *testing.T) {
	e := newEnv(t)
	root := e.newUser("root", mfad.RoleAdmin)
	a := e.actor(e.session(root))
	_, err := e.svc.UpdateUser(e.ctx, a, auth.UserUpdate{UserID: root.ID, Password: "another admin password"})
	wantCode(t, err, mfad.EForbidden)
}
