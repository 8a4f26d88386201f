package cloudreve_test

import (
	"testing"
	"time"

	"github.com/mfad/mfad/auth"
)

// The golden tests walk every success and error answer of the dialect and
// hold its exact wire form (status, headers, body) against testdata/.
// Tokens, 2FA session ids, secrets, codes and correlation ids are
// normalised; times come from the fake clock and are exact.

const (
	pLogin   = "/api/v4/session/token"
	p2FA     = "/api/v4/session/token/2fa"
	pRefresh = "/api/v4/session/token/refresh"
	pSetting = "/api/v4/user/setting"
	pInit2FA = "/api/v4/user/setting/2fa"
	pAdmin   = "/api/v4/admin/user/"
)

func creds(email, password string) map[string]string {
	return map[string]string{"email": email, "password": password}
}

func TestGoldenLogin(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name   string
		method string
		path   string
		body   any
		code   int
	}{
		{"session_prepare", "GET", "/api/v4/session/prepare?email=alice%40example.org", nil, 0},
		{"session_prepare_unknown_email", "GET", "/api/v4/session/prepare?email=nobody%40example.org", nil, 0},
		{"session_prepare_no_email", "GET", "/api/v4/session/prepare", nil, 40001},
		{"login_ok", "POST", pLogin, creds(aliceEmail, alicePassword), 0},
		{"login_admin_ok", "POST", pLogin, creds(adminEmail, adminPassword), 0},
		{"login_wrong_password", "POST", pLogin, creds(aliceEmail, "not-her-password"), 40080},
		{"login_unknown_email", "POST", pLogin, creds("nobody@example.org", alicePassword), 40080},
		{"login_name_not_email", "POST", pLogin, creds("alice", alicePassword), 40001},
		{"login_no_email", "POST", pLogin, map[string]string{"password": alicePassword}, 40001},
		{"login_no_password", "POST", pLogin, map[string]string{"email": aliceEmail}, 40001},
		{"login_malformed", "POST", pLogin, `{"email":`, 40001},
		{"login_not_object", "POST", pLogin, `["alice@example.org"]`, 40001},
		{"login_wrong_type", "POST", pLogin, `{"email":1,"password":"x"}`, 40001},
		{"login_empty_body", "POST", pLogin, "", 40001},
		{"login_trailing_data", "POST", pLogin, `{"email":"alice@example.org","password":"x"} {}`, 40001},
		{"login_captcha_fields_ignored", "POST", pLogin, map[string]string{"email": bobEmail, "password": bobPassword, "captcha": "abcd", "ticket": "t"}, 0},
		{"unknown_endpoint", "GET", "/api/v4/share", nil, 404},
		{"method_not_served", "GET", pLogin, nil, 404},
		{"not_logged_in", "GET", pSetting, nil, 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			e.golden(c.name, e.do(c.method, c.path, "", c.body).want(c.code))
		})
	}
}

func TestGoldenTokens(t *testing.T) {
	e := newEnv(t)
	access, refresh := e.login(aliceEmail, alicePassword)
	e.golden("setting_bad_token", e.do("GET", pSetting, "not-a-token", nil).want(401))
	e.golden("refresh_missing", e.do("POST", pRefresh, "", map[string]string{}).want(40001))
	e.golden("refresh_unknown", e.do("POST", pRefresh, "", map[string]string{"refresh_token": "unknown-refresh-token"}).want(40020))

	e.clock.Add(time.Minute)
	r := e.golden("refresh_ok", e.do("POST", pRefresh, "", map[string]string{"refresh_token": refresh}).want(0))
	access2, refresh2 := r.str("access_token"), r.str("refresh_token")
	e.golden("setting_old_access_token", e.do("GET", pSetting, access, nil).want(401))
	e.do("GET", pSetting, access2, nil).want(0)

	// Presented again within the reuse interval (a client refreshing from
	// parallel requests), a refresh token gets the same pair.
	again := e.golden("refresh_again_within_interval", e.do("POST", pRefresh, "", map[string]string{"refresh_token": refresh}).want(0))
	if again.str("access_token") != access2 || again.str("refresh_token") != refresh2 {
		t.Errorf("refresh within the interval: %s; want the pair of the first refresh", again.body)
	}

	// A refresh token used again after the interval: one of its holders
	// is a thief, so the whole session ends.
	e.clock.Add(31 * time.Second)
	e.golden("refresh_reused", e.do("POST", pRefresh, "", map[string]string{"refresh_token": refresh}).want(40020))
	e.do("GET", pSetting, access2, nil).want(401)
	e.do("POST", pRefresh, "", map[string]string{"refresh_token": refresh2}).want(40020)

	// Sign out as Cloudreve's web client does it: the refresh token only.
	access, refresh = e.login(aliceEmail, alicePassword)
	e.golden("signout_ok", e.do("DELETE", pLogin, "", map[string]string{"refresh_token": refresh}).want(0))
	e.do("GET", pSetting, access, nil).want(401)
	e.golden("signout_bad_token", e.do("DELETE", pLogin, "", map[string]string{"refresh_token": refresh}).want(40020))
	e.golden("signout_no_token", e.do("DELETE", pLogin, "", nil).want(40001))

	// A client that signs out with its bearer token and no body.
	access, _ = e.login(aliceEmail, alicePassword)
	e.golden("signout_bearer", e.do("DELETE", pLogin, access, nil).want(0))
	e.do("GET", pSetting, access, nil).want(401)
}

func TestGolden2FA(t *testing.T) {
	e := newEnv(t)
	access, _ := e.login(aliceEmail, alicePassword)
	e.golden("setting_2fa_off", e.do("GET", pSetting, access, nil).want(0))
	e.golden("enable_not_prepared", e.do("PATCH", pSetting, access, map[string]any{"two_fa_enabled": true, "two_fa_code": e.code("123456")}).want(50005))
	e.golden("disable_not_enabled", e.do("PATCH", pSetting, access, map[string]any{"two_fa_enabled": false, "two_fa_code": e.code("123456")}).want(40022))
	e.golden("patch_setting_ignored", e.do("PATCH", pSetting, access, map[string]any{"nick": "Alice", "language": "en-US", "preferred_theme": "#1976d2"}).want(0))
	e.golden("patch_setting_malformed", e.do("PATCH", pSetting, access, `{"two_fa_enabled":"yes"}`).want(40001))

	// A prepared secret lives 600 s.
	e.do("GET", pInit2FA, access, nil).want(0)
	e.clock.Add(601 * time.Second)
	e.golden("enable_expired", e.do("PATCH", pSetting, access, map[string]any{"two_fa_enabled": true, "two_fa_code": e.code("123456")}).want(50005))
	access, _ = e.login(aliceEmail, alicePassword)

	r := e.golden("init_2fa_ok", e.do("GET", pInit2FA, access, nil).want(0))
	key := keyOf(t, r.str())
	e.golden("enable_wrong_code", e.do("PATCH", pSetting, access, map[string]any{"two_fa_enabled": true, "two_fa_code": e.wrong(key)}).want(40022))
	e.golden("enable_no_code", e.do("PATCH", pSetting, access, map[string]any{"two_fa_enabled": true}).want(40022))
	e.golden("enable_ok", e.do("PATCH", pSetting, access, map[string]any{"two_fa_enabled": true, "two_fa_code": e.code(key.Code(e.clock.Now()))}).want(0))
	e.golden("setting_2fa_on", e.do("GET", pSetting, access, nil).want(0))

	// Log in with the second factor.
	login := func() string {
		t.Helper()
		return e.do("POST", pLogin, "", creds(aliceEmail, alicePassword)).want(203).str()
	}
	e.golden("login_2fa_required", e.do("POST", pLogin, "", creds(aliceEmail, alicePassword)).want(203))
	sid := login()
	e.golden("login_2fa_wrong_code", e.do("POST", p2FA, "", map[string]string{"otp": e.wrong(key), "session_id": sid}).want(40022))
	e.golden("login_2fa_no_otp", e.do("POST", p2FA, "", map[string]string{"session_id": sid}).want(40001))
	e.golden("login_2fa_no_session", e.do("POST", p2FA, "", map[string]string{"otp": "123456"}).want(40001))
	e.golden("login_2fa_unknown_session", e.do("POST", p2FA, "", map[string]string{"otp": e.code("123456"), "session_id": "c2a1f0a4-9a6b-4a8e-8a36-4b2f53f0b8a1"}).want(404))
	code := e.next(key)
	r = e.golden("login_2fa_ok", e.do("POST", p2FA, "", map[string]string{"otp": code, "session_id": sid}).want(0))
	access = r.str("token", "access_token")
	e.golden("login_2fa_session_used", e.do("POST", p2FA, "", map[string]string{"otp": code, "session_id": sid}).want(404))
	e.golden("login_2fa_replayed_code", e.do("POST", p2FA, "", map[string]string{"otp": code, "session_id": login()}).want(40022))

	// Preparing again while enrolled replaces the secret only with a
	// recent second factor (this session's is fresh: fine)...
	e.do("GET", pInit2FA, access, nil).want(0)
	// ...and not after 10 min without one.
	e.clock.Add(11 * time.Minute)
	e.golden("init_2fa_needs_recent_code", e.do("GET", pInit2FA, access, nil).want(40022))

	// A 2FA session lives 600 s, as in Cloudreve: alive at 599 s, gone at 601 s.
	sid = login()
	e.clock.Add(599 * time.Second)
	e.do("POST", p2FA, "", map[string]string{"otp": e.wrong(key), "session_id": sid}).want(40022)
	e.clock.Add(2 * time.Second)
	e.golden("login_2fa_session_expired", e.do("POST", p2FA, "", map[string]string{"otp": e.code(key.Code(e.clock.Now())), "session_id": sid}).want(404))

	// Turn it off.
	e.golden("disable_wrong_code", e.do("PATCH", pSetting, access, map[string]any{"two_fa_enabled": false, "two_fa_code": e.wrong(key)}).want(40022))
	e.golden("disable_ok", e.do("PATCH", pSetting, access, map[string]any{"two_fa_enabled": false, "two_fa_code": e.next(key)}).want(0))
	e.do("GET", pSetting, access, nil).want(0)
	e.golden("login_after_disable", e.do("POST", pLogin, "", creds(aliceEmail, alicePassword)).want(0))
}

func TestGoldenLockout(t *testing.T) {
	e := newEnv(t)
	access, _ := e.login(aliceEmail, alicePassword)
	key := e.enroll(access)

	// Second factors: the 5th wrong code in a row locks it for 30 s.
	sid := e.do("POST", pLogin, "", creds(aliceEmail, alicePassword)).want(203).str()
	for i := 0; i < 4; i++ {
		e.do("POST", p2FA, "", map[string]string{"otp": e.wrong(key), "session_id": sid}).want(40022)
	}
	e.golden("login_2fa_locked_now", e.do("POST", p2FA, "", map[string]string{"otp": e.wrong(key), "session_id": sid}).want(40090))
	sid = e.do("POST", pLogin, "", creds(aliceEmail, alicePassword)).want(203).str()
	e.clock.Add(10 * time.Second)
	e.golden("login_2fa_locked", e.do("POST", p2FA, "", map[string]string{"otp": e.code(key.Code(e.clock.Now())), "session_id": sid}).want(40090))
	e.clock.Add(21 * time.Second)
	e.do("POST", p2FA, "", map[string]string{"otp": e.next(key), "session_id": sid}).want(0)

	// Passwords: throttled after a few failures, never locked.
	for i := 0; i < 5; i++ {
		e.do("POST", pLogin, "", creds(bobEmail, "wrong-password")).want(40080)
	}
	e.golden("login_throttled", e.do("POST", pLogin, "", creds(bobEmail, bobPassword)).want(40090))
	e.clock.Add(2 * time.Second)
	e.do("POST", pLogin, "", creds(bobEmail, bobPassword)).want(0)
}

func TestGoldenAdmin(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.login(adminEmail, adminPassword)
	alice, _ := e.login(aliceEmail, alicePassword)
	bob, _ := e.login(bobEmail, bobPassword)
	e.enroll(alice)
	entity := map[string]any{"id": aliceID, "email": aliceEmail, "nick": "alice", "status": "active", "group_users": 2, "edges": map[string]any{}}

	e.golden("admin_user_unchanged", e.do("PUT", pAdmin+"1001", admin, map[string]any{"user": entity, "password": "", "two_fa": ""}).want(0))
	e.golden("admin_reset_forbidden", e.do("PUT", pAdmin+"1001", bob, map[string]any{"user": entity, "two_fa": "reset"}).want(403))
	e.golden("admin_reset_not_logged_in", e.do("PUT", pAdmin+"1001", "", map[string]any{"user": entity, "two_fa": "reset"}).want(401))
	e.golden("admin_reset_unknown_user", e.do("PUT", pAdmin+"9999", admin, map[string]any{"user": map[string]any{"id": 9999}, "two_fa": "reset"}).want(404))
	e.golden("admin_bad_id", e.do("PUT", pAdmin+"lpua", admin, map[string]any{"user": entity, "two_fa": "reset"}).want(40001))
	e.golden("admin_id_mismatch", e.do("PUT", pAdmin+"1002", admin, map[string]any{"user": entity, "two_fa": "reset"}).want(40001))
	e.golden("admin_no_user", e.do("PUT", pAdmin+"1001", admin, map[string]any{"two_fa": "reset"}).want(40001))

	// A reset with a password the core refuses changes nothing: one core
	// call, one transaction (issue 16: the reset used to commit first).
	e.golden("admin_reset_short_password", e.do("PUT", pAdmin+"1001", admin, map[string]any{"user": entity, "password": "short", "two_fa": "reset"}).want(40001))
	e.do("GET", pSetting, alice, nil).want(0)
	if r := e.do("GET", pAdmin+"1001", admin, nil).want(0); !r.bool("two_fa_enabled") {
		t.Fatalf("a refused update reset 2FA: %s", r.body)
	}

	e.golden("admin_reset_ok", e.do("PUT", pAdmin+"1001", admin, map[string]any{"user": entity, "password": "", "two_fa": "reset"}).want(0))
	e.do("GET", pSetting, alice, nil).want(401) // a reset ends every session of the user
	e.do("POST", pLogin, "", creds(aliceEmail, alicePassword)).want(0)

	e.golden("admin_set_password", e.do("PUT", pAdmin+"1001", admin, map[string]any{"user": entity, "password": "alice-new-password"}).want(0))
	e.do("POST", pLogin, "", creds(aliceEmail, alicePassword)).want(40080)
	e.do("POST", pLogin, "", creds(aliceEmail, "alice-new-password")).want(0)
}

func TestGoldenAdminUsers(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.login(adminEmail, adminPassword)
	alice, _ := e.login(aliceEmail, alicePassword)
	e.enroll(alice)
	list := map[string]any{"page": 1, "page_size": 2, "order_by": "id", "order_direction": "desc", "conditions": map[string]string{}, "searches": map[string]string{}}
	e.golden("admin_list_users", e.do("POST", "/api/v4/admin/user", admin, list).want(0))
	list["page"] = 2
	e.golden("admin_list_users_page_2", e.do("POST", "/api/v4/admin/user", admin, list).want(0))
	e.golden("admin_list_users_bad_page", e.do("POST", "/api/v4/admin/user", admin, map[string]any{"page": 0, "page_size": 10}).want(40001))
	e.golden("admin_list_users_forbidden", e.do("POST", "/api/v4/admin/user", alice, list).want(403))
	e.golden("admin_get_user", e.do("GET", pAdmin+"1001", admin, nil).want(0))
	e.golden("admin_get_user_unknown", e.do("GET", pAdmin+"9999", admin, nil).want(404))

	create := map[string]any{"user": map[string]any{"email": "carol@example.org", "nick": "carol", "status": "active", "group_users": 2}, "password": "carol-password-1"}
	r := e.golden("admin_create_user", e.do("PUT", "/api/v4/admin/user", admin, create).want(0))
	e.golden("admin_create_user_taken", e.do("PUT", "/api/v4/admin/user", admin, create).want(409))
	e.golden("admin_create_user_no_password", e.do("PUT", "/api/v4/admin/user", admin, map[string]any{"user": map[string]any{"email": "dan@example.org", "nick": "dan"}}).want(40001))
	e.golden("admin_create_user_forbidden", e.do("PUT", "/api/v4/admin/user", alice, map[string]any{"user": map[string]any{"email": "eve@example.org", "nick": "eve"}, "password": "eve-password-1"}).want(403))
	e.do("POST", pLogin, "", creds("carol@example.org", "carol-password-1")).want(0)
	carol := int64(r.num("id"))

	del := map[string]any{"ids": []int64{carol, 9999}}
	e.golden("admin_delete_users_partly", e.do("POST", "/api/v4/admin/user/batch/delete", admin, del).want(40081))
	e.do("POST", pLogin, "", creds("carol@example.org", "carol-password-1")).want(40080)
	e.golden("admin_delete_users_forbidden", e.do("POST", "/api/v4/admin/user/batch/delete", alice, map[string]any{"ids": []int64{aliceID}}).want(403))
	e.golden("admin_delete_users_ok", e.do("POST", "/api/v4/admin/user/batch/delete", admin, map[string]any{"ids": []int64{aliceID}}).want(0))
	e.do("GET", pSetting, alice, nil).want(401)
}

// What the web client reads on every page: the site's configuration
// (before and after login) and the file area, which mfad answers empty.
func TestGoldenSite(t *testing.T) {
	e := newEnv(t)
	for _, section := range []string{"basic", "login", "explorer", "emojis", "app"} {
		e.golden("site_config_"+section, e.do("GET", "/api/v4/site/config/"+section, "", nil).want(0))
	}
	alice, _ := e.login(aliceEmail, alicePassword)
	r := e.golden("site_config_basic_logged_in", e.do("GET", "/api/v4/site/config/basic", alice, nil).want(0))
	if r.str("user", "id") != "1001" || r.bool("user", "anonymous") {
		t.Errorf("basic config of a logged-in user: %s", r.body)
	}
	e.golden("site_config_basic_bad_token", e.do("GET", "/api/v4/site/config/basic", "not-a-token", nil).want(0))
	e.golden("user_capacity", e.do("GET", "/api/v4/user/capacity", alice, nil).want(0))
	e.golden("user_capacity_not_logged_in", e.do("GET", "/api/v4/user/capacity", "", nil).want(401))
	e.golden("file_list", e.do("GET", "/api/v4/file?uri=cloudreve%3A%2F%2Fmy%2F&page=0&page_size=100", alice, nil).want(0))
}

func TestGoldenPassword(t *testing.T) {
	e := newEnv(t)
	access, _ := e.login(aliceEmail, alicePassword)
	e.golden("change_password_wrong_current", e.do("PATCH", pSetting, access, map[string]any{"current_password": "not-it", "new_password": "alice-password-2"}).want(40069))
	e.golden("change_password_ok", e.do("PATCH", pSetting, access, map[string]any{"current_password": alicePassword, "new_password": "alice-password-2"}).want(0))
	e.do("POST", pLogin, "", creds(aliceEmail, "alice-password-2")).want(0)
}

func TestGoldenPolicy(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.login(aliceEmail, alicePassword)
	key := e.enroll(alice)
	e.mustPolicy(auth.PolicyAll)

	// Required 2FA cannot be turned off.
	e.golden("disable_required_by_policy", e.do("PATCH", pSetting, alice, map[string]any{"two_fa_enabled": false, "two_fa_code": e.next(key)}).want(403))

	// A user without 2FA gets a session that may only enroll.
	r := e.golden("login_setup_required", e.do("POST", pLogin, "", creds(bobEmail, bobPassword)).want(0))
	bob := r.str("token", "access_token")
	e.golden("setup_required", e.do("PATCH", pSetting, bob, map[string]any{"current_password": bobPassword, "new_password": "bob-password-2"}).want(403))
	e.golden("setting_setup_required", e.do("GET", pSetting, bob, nil).want(0))
	if r := e.do("GET", "/api/v4/site/config/basic", bob, nil).want(0); r.str("user", "id") != "1002" {
		t.Errorf("the basic config of an enroll-only session: %s", r.body)
	}
	bobKey := e.enroll(bob)
	e.do("PATCH", pSetting, bob, map[string]any{"current_password": bobPassword, "new_password": "bob-password-2"}).want(0)
	_ = bobKey
}

// Times are written to the second, also when the clock is not on one.
func TestTimesToTheSecond(t *testing.T) {
	e := newEnv(t)
	e.clock.Add(1234567890 * time.Nanosecond)
	r := e.do("POST", pLogin, "", creds(aliceEmail, alicePassword)).want(0)
	for _, k := range []string{"access_expires", "refresh_expires"} {
		v := r.str("token", k)
		if _, err := time.Parse("2006-01-02T15:04:05Z", v); err != nil {
			t.Errorf("%s = %q: not UTC to the second", k, v)
		}
	}
}
