package cloudreve_test

import "testing"

// TestPatchSettingsNeverHalfDone (issue 27): a PATCH /user/setting that
// both changes the password and turns 2FA on with a wrong code was answered
// as a refused code after the password had changed anyway. Now it is one
// core call or none: the combination is refused before anything changes,
// and the old password still logs in.
func TestPatchSettingsNeverHalfDone(t *testing.T) {
	e := newEnv(t)
	access, _ := e.login(aliceEmail, alicePassword)
	key := keyOf(t, e.do("GET", "/api/v4/user/setting/2fa", access, nil).want(0).str())
	r := e.do("PATCH", "/api/v4/user/setting", access, map[string]any{
		"current_password": alicePassword, "new_password": "a brand new password",
		"two_fa_enabled": true, "two_fa_code": e.wrong(key),
	})
	if r.code() == 0 {
		t.Fatalf("a password change with a wrong 2FA code answered success: %s", r.raw)
	}
	// Nothing changed: the old password logs in, 2FA is still off.
	e.login(aliceEmail, alicePassword)
	if st := e.do("GET", "/api/v4/user/setting", access, nil).want(0); st.bool("two_fa_enabled") {
		t.Errorf("2FA after the refused PATCH: %s", st.raw)
	}
	// Each alone works, one after the other.
	e.do("PATCH", "/api/v4/user/setting", access, map[string]any{"two_fa_enabled": true, "two_fa_code": e.next(key)}).want(0)
	e.do("PATCH", "/api/v4/user/setting", access, map[string]any{"current_password": alicePassword, "new_password": "a brand new password", "two_fa_code": e.next(key)}).want(0)
	// The new password is right: the login asks for the second factor.
	e.do("POST", "/api/v4/session/token", "", map[string]string{"email": aliceEmail, "password": "a brand new password"}).want(203)
}
