package storetest

import (
	"testing"
	"time"

	"github.com/mfad/mfad"
)

var userTests = []test{
	{"Users/CreateAndGet", testCreateUser},
	{"Users/PresetID", testPresetID},
	{"Users/Namespace", testNamespace},
	{"Users/UpdateUser", testUpdateUser},
	{"Users/UpdateUserNamespace", testUpdateUserNamespace},
	{"Users/NotFound", testUserNotFound},
	{"Users/List", testListUsers},
	{"Users/DeleteCascades", testDeleteUser},
}

func testCreateUser(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "Alice", "Alice@Example.com")
	equal(t, "UserByID", getUser(t, s, u.ID), u)
	for _, login := range []string{"Alice", "alice", " ALICE ", "alice@example.COM", "Alice@Example.com"} {
		view(t, s, func(tx mfad.Tx) error {
			got, err := tx.UserByLogin(login)
			wantErr(t, "UserByLogin("+login+")", err, nil)
			equal(t, "UserByLogin("+login+")", got, u)
			return nil
		})
	}
	noEmail := createUser(t, s, "bob", "")
	equal(t, "user without email", getUser(t, s, noEmail.ID), noEmail)
	if noEmail.ID == u.ID {
		t.Errorf("two users got ID %d", u.ID)
	}
	view(t, s, func(tx mfad.Tx) error {
		n, err := tx.CountUsers()
		if err != nil || n != 2 {
			t.Errorf("CountUsers = %d, %v; want 2", n, err)
		}
		return nil
	})
}

func testPresetID(t *testing.T, s mfad.Store) {
	u := newUser("veeam", "")
	u.ID = 4711
	update(t, s, func(tx mfad.Tx) error { return tx.CreateUser(u) })
	if u.ID != 4711 {
		t.Fatalf("preset ID became %d", u.ID)
	}
	equal(t, "UserByID(4711)", getUser(t, s, 4711), u)
	other := createUser(t, s, "other", "")
	if other.ID == 4711 {
		t.Errorf("assigned ID collides with the preset one")
	}
	dup := newUser("third", "")
	dup.ID = 4711
	wantErr(t, "CreateUser with a taken ID", s.Update(t.Context(), func(tx mfad.Tx) error {
		return tx.CreateUser(dup)
	}), mfad.ErrDuplicate)
}

// testNamespace checks the one case-folded namespace of names and emails.
func testNamespace(t *testing.T, s mfad.Store) {
	createUser(t, s, "alice", "bob@x")
	createUser(t, s, "straße", "")
	createUser(t, s, "Σίσυφος", "k@x") // k: a plain k; the Kelvin sign folds to it
	tests := []struct {
		name, email string
		want        error
	}{
		{"ALICE", "", mfad.ErrDuplicate},      // name = name
		{" alice ", "", mfad.ErrDuplicate},    // trimmed
		{"BOB@X", "", mfad.ErrDuplicate},      // name = other's email
		{"carol", "Alice", mfad.ErrDuplicate}, // email = other's name
		{"carol", "Bob@X", mfad.ErrDuplicate}, // email = email
		{"STRASSE", "", mfad.ErrDuplicate},    // Unicode folding: ß = ss
		{"carol", "Strasse", mfad.ErrDuplicate},
		{"ΣΊΣΥΦΟΣ", "", mfad.ErrDuplicate}, // final sigma
		{"carol", "\u212a@x", mfad.ErrDuplicate},
		{"carol", "carol@x", nil},
		{"dave@x", "DAVE@x", nil}, // a user's name may equal its own email
		{"erin", "", nil},
	}
	for _, tt := range tests {
		u := newUser(tt.name, tt.email)
		err := s.Update(t.Context(), func(tx mfad.Tx) error { return tx.CreateUser(u) })
		wantErr(t, "CreateUser("+tt.name+", "+tt.email+")", err, tt.want)
	}
	view(t, s, func(tx mfad.Tx) error {
		n, err := tx.CountUsers()
		if err != nil || n != 6 {
			t.Errorf("CountUsers = %d, %v; want 6", n, err)
		}
		u, err := tx.UserByLogin("Dave@X")
		if err != nil || u.Name != "dave@x" {
			t.Errorf("UserByLogin(Dave@X) = %+v, %v", u, err)
		}
		return nil
	})
}

func testUpdateUser(t *testing.T, s mfad.Store) {
	u := createUser(t, s, "alice", "alice@x")
	update(t, s, func(tx mfad.Tx) error {
		_, err := tx.RecordMFAFailure(u.ID, func(int) (time.Time, bool) { return at(time.Hour), true })
		return err
	})
	changed := *getUser(t, s, u.ID)
	changed.Name, changed.Email, changed.Role = "Alicia", "", mfad.RoleAdmin
	changed.PasswordHash, changed.PasswordChangedAt = "new hash", at(2*time.Hour)
	changed.MFAFailures, changed.MFAHardLocked = 0, false // not UpdateUser's to change
	update(t, s, func(tx mfad.Tx) error { return tx.UpdateUser(&changed) })
	want := changed
	want.MFAFailures, want.MFALockedUntil, want.MFAHardLocked = 1, at(time.Hour), true
	equal(t, "updated user", getUser(t, s, u.ID), &want)
	view(t, s, func(tx mfad.Tx) error {
		_, err := tx.UserByLogin("alice@x")
		wantErr(t, "UserByLogin(old email)", err, mfad.ErrNoRows)
		_, err = tx.UserByLogin("alice")
		wantErr(t, "UserByLogin(old name)", err, mfad.ErrNoRows)
		_, err = tx.UserByLogin("ALICIA")
		wantErr(t, "UserByLogin(new name)", err, nil)
		return nil
	})
	createUser(t, s, "alice", "alice@x") // the old name and email are free again
}

func testUpdateUserNamespace(t *testing.T, s mfad.Store) {
	a := createUser(t, s, "alice", "alice@x")
	b := createUser(t, s, "bob", "bob@x")
	tests := []struct {
		name, email string
		want        error
	}{
		{"ALICE@X", "bob@x", mfad.ErrDuplicate}, // name = other's email
		{"bob", "Alice", mfad.ErrDuplicate},     // email = other's name
		{"Alice", "bob@x", mfad.ErrDuplicate},   // name = name
		{"bob", "ALICE@x", mfad.ErrDuplicate},   // email = email
		{"BOB", "bob@x", nil},                   // its own, in another case
		{"bob@x", "bob@x", nil},                 // its own email as its name
	}
	for _, tt := range tests {
		u := *b
		u.Name, u.Email = tt.name, tt.email
		err := s.Update(t.Context(), func(tx mfad.Tx) error { return tx.UpdateUser(&u) })
		wantErr(t, "UpdateUser("+tt.name+", "+tt.email+")", err, tt.want)
	}
	equal(t, "untouched user", getUser(t, s, a.ID), a)
}

func testUserNotFound(t *testing.T, s mfad.Store) {
	createUser(t, s, "alice", "")
	view(t, s, func(tx mfad.Tx) error {
		_, err := tx.UserByID(999)
		wantErr(t, "UserByID", err, mfad.ErrNoRows)
		for _, login := range []string{"bob", "", "  "} {
			_, err = tx.UserByLogin(login)
			wantErr(t, "UserByLogin("+login+")", err, mfad.ErrNoRows)
		}
		return nil
	})
	u := newUser("ghost", "")
	u.ID = 999
	lock := func(int) (time.Time, bool) { return time.Time{}, false }
	calls([]call{
		{"UpdateUser(unknown)", func(tx mfad.Tx) error { return tx.UpdateUser(u) }, mfad.ErrNoRows},
		{"DeleteUser(unknown)", func(tx mfad.Tx) error { return tx.DeleteUser(999) }, mfad.ErrNoRows},
		{"ResetMFAFailures(unknown)", func(tx mfad.Tx) error { return tx.ResetMFAFailures(999) }, mfad.ErrNoRows},
		{"RecordMFAFailure(unknown)", func(tx mfad.Tx) error { _, err := tx.RecordMFAFailure(999, lock); return err }, mfad.ErrNoRows},
	}).run(t, s)
}

func testListUsers(t *testing.T, s mfad.Store) {
	var all []*mfad.User
	for _, name := range []string{"u1", "u2", "u3", "u4", "u5"} {
		all = append(all, createUser(t, s, name, name+"@x"))
	}
	tests := []struct {
		f    mfad.UserFilter
		want []*mfad.User
	}{
		{mfad.UserFilter{}, all},
		{mfad.UserFilter{Limit: 2}, all[:2]},
		{mfad.UserFilter{Offset: 1, Limit: 2}, all[1:3]},
		{mfad.UserFilter{Offset: 3}, all[3:]},
		{mfad.UserFilter{Offset: 9}, nil},
	}
	for _, tt := range tests {
		view(t, s, func(tx mfad.Tx) error {
			got, total, err := tx.ListUsers(tt.f)
			if err != nil || total != 5 {
				t.Errorf("ListUsers(%+v): total %d, %v; want 5", tt.f, total, err)
			}
			if len(got) == 0 && len(tt.want) == 0 {
				return nil
			}
			equal(t, "ListUsers", got, tt.want)
			return nil
		})
	}
}
