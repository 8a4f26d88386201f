package auth_test

import (
	"slices"
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/auth"
)

// TestVisibleUsers: the listing a dialect shows (Veeam's GET /users) is
// decided by the core: an admin sees everyone, anyone else only
// themselves; a name keeps exactly the user of that name (case-folded, as
// names compare), never a substring, an email or anyone as a fallback; a
// name that matches nobody, or nobody the actor may see, is an empty list.
func TestVisibleUsers(t *testing.T) {
	e := newEnv(t)
	admin := e.actor(e.session(e.newUser("admin", mfad.RoleAdmin)))
	bob := e.newUser("bob", mfad.RoleUser)
	e.newUser("bobby", mfad.RoleUser)
	e.newUser("alice", mfad.RoleUser)
	asBob := e.actor(e.session(bob))

	for _, tc := range []struct {
		name      string
		a         auth.Actor
		q         auth.UserQuery
		want      []string
		wantTotal int
	}{
		{"admin, all", admin, auth.UserQuery{}, []string{"admin", "bob", "bobby", "alice"}, 4},
		{"admin, paged", admin, auth.UserQuery{Offset: 1, Limit: 2}, []string{"bob", "bobby"}, 4},
		{"admin, by name", admin, auth.UserQuery{Name: "bob"}, []string{"bob"}, 1},
		{"admin, by name in another case", admin, auth.UserQuery{Name: "BOB"}, []string{"bob"}, 1},
		{"admin, a prefix is no name", admin, auth.UserQuery{Name: "bo"}, nil, 0},
		{"admin, a wildcard is no pattern", admin, auth.UserQuery{Name: "bob*"}, nil, 0},
		{"admin, an email is no name", admin, auth.UserQuery{Name: "bob@example.test"}, nil, 0},
		{"admin, an unknown name", admin, auth.UserQuery{Name: "nobody"}, nil, 0},
		{"admin, by name past the end", admin, auth.UserQuery{Name: "bob", Offset: 1}, nil, 1},
		{"user, all", asBob, auth.UserQuery{}, []string{"bob"}, 1},
		{"user, past the end", asBob, auth.UserQuery{Offset: 1}, nil, 1},
		{"user, own name", asBob, auth.UserQuery{Name: "Bob"}, []string{"bob"}, 1},
		{"user, another's name", asBob, auth.UserQuery{Name: "alice"}, nil, 0},
		{"user, the admin's name", asBob, auth.UserQuery{Name: "admin"}, nil, 0},
	} {
		tc.q.Visible = true
		users, total, err := e.svc.ListUsers(e.ctx, tc.a, tc.q)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var got []string
		for _, u := range users {
			got = append(got, u.Name)
		}
		if !slices.Equal(got, tc.want) || total != tc.wantTotal {
			t.Errorf("%s: got %v (total %d), want %v (total %d)", tc.name, got, total, tc.want, tc.wantTotal)
		}
	}
	_, _, err := e.svc.ListUsers(e.ctx, auth.Anonymous(remote), auth.UserQuery{})
	checkCode(t, "anonymously", err, mfad.EUnauthenticated)
	_, _, err = e.svc.ListUsers(e.ctx, admin, auth.UserQuery{Limit: -1})
	checkCode(t, "a negative limit", err, mfad.EInvalidInput)
	// Without Visible the listing is of everyone, for admins only.
	_, _, err = e.svc.ListUsers(e.ctx, asBob, auth.UserQuery{})
	checkCode(t, "everyone, as a user", err, mfad.EForbidden)
}

// TestTokensUser: every answer with tokens says whose session it is as the
// user stands now (Veeam's token answer shows username, role and whether
// MFA is on), without the front asking the core a second time.
func TestTokensUser(t *testing.T) {
	e := newEnv(t)
	u := e.newUser("erin", mfad.RoleUser)
	check := func(what string, tok *auth.Tokens, enabled bool) {
		t.Helper()
		got := tok.User
		if got.ID != u.ID || got.Name != "erin" || got.Role != mfad.RoleUser || got.MFAEnabled != enabled {
			t.Errorf("%s: User = %+v, want erin (id %d), role user, MFA enabled %v", what, got, u.ID, enabled)
		}
	}
	first := e.session(u)
	check("password login", first, false)
	e.enroll(u)
	res, err := e.svc.CompleteLogin(e.ctx, remote, auth.TicketRequest{Ticket: e.ticket(u), Code: e.next(u)})
	if err != nil {
		t.Fatal(err)
	}
	check("second-factor login", res.Tokens, true)
	refreshed, err := e.svc.Refresh(e.ctx, remote, res.Tokens.Refresh)
	if err != nil {
		t.Fatal(err)
	}
	check("refresh", refreshed, true)
}

// TestAdminPassword: an admin setting another user's password re-proves
// their own password when the dialect asks for it (Veeam's
// adminsPassword); a wrong one changes nothing.
func TestAdminPassword(t *testing.T) {
	e := newEnv(t)
	adm := e.newUser("root", mfad.RoleAdmin)
	admin := e.actor(e.session(adm))
	u := e.newUser("fred", mfad.RoleUser)
	err := e.svc.ChangePassword(e.ctx, admin, auth.PasswordChange{UserID: u.ID, New: "fred's new password", AdminPassword: "not root's password"})
	wantCode(t, err, mfad.EInvalidLogin)
	e.login(u, remote) // the old password still works
	if err := e.svc.ChangePassword(e.ctx, admin, auth.PasswordChange{UserID: u.ID, New: "fred's new password", AdminPassword: adm.Password}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Login(e.ctx, remote, auth.LoginRequest{Login: u.Name, Password: u.Password})
	wantCode(t, err, mfad.EInvalidLogin)
	u.Password = "fred's new password"
	e.login(u, remote)
}
