package veeam_test

import (
	"fmt"
	"time"
)

// The v8.1 ids of the scenario's users: the numeric id in UUID form.
const (
	v81     = "/api/v8.1"
	idAdmin = "00000000-0000-0000-0000-000000000001"
	id1001  = "00000000-0000-0000-0000-0000000003e9"
	id1002  = "00000000-0000-0000-0000-0000000003ea"
	id1003  = "00000000-0000-0000-0000-0000000003eb"
	id9999  = "00000000-0000-0000-0000-00000000270f"
)

// scenarioV81 walks the v8.1 routes as a client generated from Veeam's
// v8.1 OpenAPI document calls them: the Login answer, the user list and its
// NameFilter, Offset and Limit, string ids, the MFA operations answering
// 204, logging out, and JSON for every path under /api/ that is not served.
var scenarioV81 = []step{
	{name: "token_password", method: "POST", path: "/api/oauth2/token", ctype: formType,
		body: form("grant_type=Password&username=admin&password=" + adminPassword), status: 200,
		after: func(s *state, r *resp) { s.tok["admin"] = r.str("access_token") }},
	{name: "login u1001 and u1002", do: func(s *state) {
		s.tok["u1001"] = s.e.login("u1001", userPassword)
		s.tok["u1002"] = s.e.login("u1002", userPassword)
	}},

	// Users.
	{name: "users_list_admin", method: "GET", path: v81 + "/users", as: "admin", status: 200},
	{name: "users_list_name", method: "GET", path: v81 + "/users?NameFilter=u1001", as: "admin", status: 200},
	{name: "users_list_name_case", method: "GET", path: v81 + "/users?namefilter=U1001", as: "admin", status: 200},
	{name: "users_list_name_none", method: "GET", path: v81 + "/users?NameFilter=bob", as: "admin", status: 200},
	{name: "users_list_name_prefix", method: "GET", path: v81 + "/users?NameFilter=u100", as: "admin", status: 200},
	{name: "users_list_name_wildcard", method: "GET", path: v81 + "/users?NameFilter=u100%2A", as: "admin", status: 200},
	{name: "users_list_name_email", method: "GET", path: v81 + "/users?NameFilter=u1001%40example.com", as: "admin", status: 200},
	{name: "users_list_name_empty", method: "GET", path: v81 + "/users?NameFilter=", as: "admin", status: 400},
	{name: "users_list_unknown_parameter", method: "GET", path: v81 + "/users?Filter=u1001", as: "admin", status: 400},
	{name: "users_list_twice", method: "GET", path: v81 + "/users?NameFilter=u1001&nameFilter=admin", as: "admin", status: 400},
	{name: "users_list_all", method: "GET", path: v81 + "/users?Offset=0&Limit=-1", as: "admin", status: 200},
	{name: "users_list_paged", method: "GET", path: v81 + "/users?Offset=1&Limit=1", as: "admin", status: 200},
	{name: "users_list_bad_offset", method: "GET", path: v81 + "/users?Offset=-1", as: "admin", status: 400},
	{name: "users_list_bad_limit", method: "GET", path: v81 + "/users?Limit=-2", as: "admin", status: 400},
	{name: "users_list_self", method: "GET", path: v81 + "/users", as: "u1002", status: 200},
	{name: "users_list_self_name_other", method: "GET", path: v81 + "/users?NameFilter=admin", as: "u1002", status: 200},
	{name: "users_get", method: "GET", path: v81 + "/users/" + id1001, as: "admin", status: 200},
	{name: "users_get_decimal", method: "GET", path: v81 + "/users/1001", as: "admin", status: 200},
	{name: "users_get_other", method: "GET", path: v81 + "/users/" + id1001, as: "u1002", status: 403},
	{name: "users_get_unknown", method: "GET", path: v81 + "/users/" + id9999, as: "admin", status: 404},
	{name: "users_get_bad_id", method: "GET", path: v81 + "/users/3f2504e0-4f89-11d3-9a0c-0305e82c3301", as: "admin", status: 400},
	{name: "users_no_token", method: "GET", path: v81 + "/users", status: 401},
	{name: "wrong_method", method: "PUT", path: v81 + "/users/" + id1001, as: "admin", status: 405},

	// Enabling and accepting MFA for oneself.
	{name: "enable", method: "POST", path: v81 + "/users/" + id1001 + "/enableMfa", as: "u1001", ctype: jsonType,
		body: text(`{"recreate":false}`), status: 200,
		after: func(s *state, r *resp) { s.enr["u1001"], s.keys["u1001"] = r, r.key() }},
	{name: "accept_unknown_user", method: "POST", path: v81 + "/users/" + id9999 + "/acceptMfa", as: "admin", ctype: jsonType,
		body: accept("u1001"), status: 404},
	{name: "accept_scratch_code", method: "POST", path: v81 + "/users/" + id1001 + "/acceptMfa", as: "u1001", ctype: jsonType,
		body: func(s *state) string {
			return fmt.Sprintf(`{"code":%q,"token":%q}`, s.enr["u1001"].strs("scratchCodes")[0], s.enr["u1001"].str("token"))
		}, status: 400},
	{name: "accept", method: "POST", path: v81 + "/users/" + id1001 + "/acceptMfa", as: "u1001", ctype: jsonType,
		body: accept("u1001"), status: 204},
	{name: "users_get_enrolled", method: "GET", path: v81 + "/users/" + id1001, as: "u1001", status: 200},

	// Signing in with MFA.
	{name: "next step", do: func(s *state) { s.e.clock.Add(30 * time.Second) }},
	{name: "token_password_mfa", method: "POST", path: "/api/oauth2/token", ctype: formType,
		body: form("grant_type=Password&username=u1001&password=" + userPassword), status: 200,
		after: func(s *state, r *resp) { s.tok["mfa"] = r.str("mfa_token") }},
	{name: "token_mfa", method: "POST", path: "/api/oauth2/token", ctype: formType,
		body: func(s *state) string {
			return "grant_type=Mfa&mfa_token=" + s.tok["mfa"] + "&mfa_code=" + s.code("u1001")
		}, status: 200,
		after: func(s *state, r *resp) { s.tok["u1001.mfa"] = r.str("access_token") }},
	{name: "disable", method: "POST", path: v81 + "/users/" + id1001 + "/disableMfa", as: "u1001.mfa", status: 204},

	// An admin acting for another user.
	{name: "enable_on_behalf", method: "POST", path: v81 + "/users/" + id1002 + "/enableMfa", as: "admin", ctype: jsonType,
		body: text(`{"recreate":false}`), status: 200,
		after: func(s *state, r *resp) { s.enr["u1002"], s.keys["u1002"] = r, r.key() }},
	{name: "accept_on_behalf", method: "POST", path: v81 + "/users/" + id1002 + "/acceptMfa", as: "admin", ctype: jsonType,
		body: accept("u1002"), status: 204},
	{name: "users_list_after", method: "GET", path: v81 + "/users", as: "admin", status: 200},
	{name: "disable_on_behalf", method: "POST", path: v81 + "/users/" + id1002 + "/disableMfa", as: "admin", status: 204},

	// Administering users (v8.1 only), each one core call.
	{name: "u1002 signs in again (the admin's acceptMfa ended her sessions)", do: func(s *state) {
		s.tok["u1002"] = s.e.login("u1002", userPassword)
	}},
	{name: "users_create", method: "POST", path: v81 + "/users", as: "admin", ctype: jsonType,
		body: text(`{"name":"u1003","description":"u1003@example.com","role":"ReadOnlyUser","type":"Internal","password":"u1003-password-1"}`), status: 201},
	{name: "users_create_role", method: "POST", path: v81 + "/users", as: "admin", ctype: jsonType,
		body: text(`{"name":"u1004","description":"","role":"PortalOperator","password":"u1004-password-1"}`), status: 400},
	{name: "users_create_description", method: "POST", path: v81 + "/users", as: "admin", ctype: jsonType,
		body: text(`{"name":"u1004","description":"night shift","password":"u1004-password-1"}`), status: 400},
	{name: "users_create_duplicate", method: "POST", path: v81 + "/users", as: "admin", ctype: jsonType,
		body: text(`{"name":"U1003","description":"","password":"u1003-password-1"}`), status: 409},
	{name: "users_create_by_user", method: "POST", path: v81 + "/users", as: "u1002", ctype: jsonType,
		body: text(`{"name":"u1004","description":"","role":"PortalAdmin","password":"u1004-password-1"}`), status: 403},
	{name: "users_delete_by_user", method: "DELETE", path: v81 + "/users/" + id1003, as: "u1002", status: 403},
	{name: "users_delete_self", method: "DELETE", path: v81 + "/users/" + idAdmin, as: "admin", status: 409},
	{name: "users_delete", method: "DELETE", path: v81 + "/users/" + id1003, as: "admin", status: 204},
	{name: "users_delete_unknown", method: "DELETE", path: v81 + "/users/" + id1003, as: "admin", status: 404},
	{name: "password_wrong_current", method: "POST", path: v81 + "/users/changePassword", as: "u1002", ctype: jsonType,
		body: text(`{"currentPassword":"wrong-password","newPassword":"u1002-password-2"}`), status: 401},
	{name: "password_change", method: "POST", path: v81 + "/users/changePassword", as: "u1002", ctype: jsonType,
		body: text(`{"currentPassword":"` + userPassword + `","newPassword":"u1002-password-2"}`), status: 204},
	{name: "password_set_wrong_admin", method: "POST", path: v81 + "/users/" + id1002 + "/changePassword", as: "admin", ctype: jsonType,
		body: text(`{"newPassword":"u1002-password-3","adminsPassword":"wrong-password"}`), status: 401},
	{name: "password_set_by_user", method: "POST", path: v81 + "/users/" + id1001 + "/changePassword", as: "u1002", ctype: jsonType,
		body: text(`{"newPassword":"u1001-password-3","adminsPassword":"u1002-password-2"}`), status: 403},
	{name: "password_set_missing_admin", method: "POST", path: v81 + "/users/" + id1001 + "/changePassword", as: "admin", ctype: jsonType,
		body: text(`{"newPassword":"u1001-password-3"}`), status: 400},
	{name: "password_set", method: "POST", path: v81 + "/users/" + id1001 + "/changePassword", as: "admin", ctype: jsonType,
		body: text(`{"newPassword":"u1001-password-3","adminsPassword":"` + adminPassword + `"}`), status: 204},
	tokenStep("token_set_password", "username=u1001&password=u1001-password-3&grant_type=Password", 200),
	tokenStep("token_old_password", "username=u1002&password="+userPassword+"&grant_type=Password", 401),
	tokenStep("token_new_password", "username=u1002&password=u1002-password-2&grant_type=Password", 200),

	// Logging out.
	{name: "logout", method: "DELETE", path: "/api/oauth2/token?api-version=8.1", as: "admin", status: 204},
	{name: "users_after_logout", method: "GET", path: v81 + "/users", as: "admin", status: 401},
	{name: "logout_again", method: "DELETE", path: "/api/oauth2/token", as: "admin", status: 401},
	{name: "logout_no_token", method: "DELETE", path: "/api/oauth2/token", status: 401},

	// Paths not served.
	{name: "unknown_path", method: "GET", path: v81 + "/repositories", as: "u1002", status: 404},
	{name: "unknown_version", method: "GET", path: "/api/v8/users", as: "u1002", status: 404},
	{name: "unknown_api", method: "GET", path: "/api/whatever", status: 404},
}
