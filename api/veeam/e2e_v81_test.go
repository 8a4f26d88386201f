package veeam_test

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad/internal/e2e"
)

// The enums of Veeam's v8.1 OpenAPI document (vbaz_rest_v8.1.json:
// RbacRole, UserType) that a client generated from it parses values into;
// a value outside them fails the client.
var (
	rbacRoles = []string{"IntegrationOperator", "PortalAdmin", "PortalOperator", "ReadOnlyUser", "RestoreOperator", "Unknown", "VeeamUpdater"}
	userTypes = []string{"IdentityProvider", "Internal", "Unknown"}
	uuidForm  = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// v81Login checks a token answer as the generated client's Login model
// reads it (userId is parsed as a UUID, userType into UserType) and returns
// it.
func v81Login(t *testing.T, a answer) answer {
	t.Helper()
	if id := a.str("userId"); !uuidForm.MatchString(id) {
		t.Fatalf("Login.userId %q is no UUID: %v", id, a.body)
	}
	if !slices.Contains(userTypes, a.str("userType")) || a.str("username") == "" || a.str("roleName") == "" {
		t.Fatalf("Login: %v", a.body)
	}
	if _, ok := a.body["mfa_enabled"].(bool); !ok {
		t.Fatalf("Login.mfa_enabled: %v", a.body)
	}
	return a
}

// v81Users checks a PageOfUser (offset and limit required; each User with
// a role of RbacRole, a type of UserType, a string id) and returns its
// users.
func v81Users(t *testing.T, a answer) []map[string]any {
	t.Helper()
	_, okOffset := a.body["offset"].(float64)
	_, okLimit := a.body["limit"].(float64)
	results, okResults := a.body["results"].([]any)
	if !okOffset || !okLimit || !okResults {
		t.Fatalf("PageOfUser: %v", a.body)
	}
	var out []map[string]any
	for _, r := range results {
		u := r.(map[string]any)
		role, _ := u["role"].(string)
		typ, _ := u["type"].(string)
		id, _ := u["id"].(string)
		if !slices.Contains(rbacRoles, role) || !slices.Contains(userTypes, typ) || !uuidForm.MatchString(id) {
			t.Fatalf("User: %v", u)
		}
		out = append(out, u)
	}
	return out
}

// TestE2EV81 walks the v8.1 MFA lifecycle against a real mfad serve,
// sending the requests a client generated from Veeam's v8.1 OpenAPI
// document sends (the paths, bodies, content types and query names of its
// operations Login_Authenticate, User_GetUsers, User_EnableMfa,
// User_AcceptMfa, User_DisableMfa and Login_Logout) and reading the
// answers as its models do: list, pick the user by NameFilter, enableMfa,
// acceptMfa, a Mfa grant, disableMfa, log out.
func TestE2EV81(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs mfad")
	}
	srv := e2e.Start(t, e2e.Options{})
	c := &veeamClient{t: t, srv: srv}
	const pw = "carol-password-e2e"
	c.remember(e2e.AdminPassword, pw)
	srv.AddUser("carol", pw)
	srv.AddUser("carolyn", "carolyn-password-e2e")
	form := func(want int, fields ...string) answer {
		t.Helper()
		v := url.Values{}
		for i := 0; i+1 < len(fields); i += 2 {
			v.Set(fields[i], fields[i+1])
		}
		a := c.do("POST", "/api/oauth2/token", "", "application/x-www-form-urlencoded", v.Encode())
		if a.status != want {
			t.Fatalf("token %s: status %d, want %d: %v", v.Get("grant_type"), a.status, want, a.body)
		}
		c.remember(a.str("access_token"), a.str("refresh_token"), a.str("mfa_token"))
		return a
	}
	v81 := func(want int, method, path, token, body string) answer {
		t.Helper()
		ct := ""
		if body != "" {
			ct = "application/json"
		}
		a := c.do(method, "/api/v8.1"+path, token, ct, body)
		if a.status != want {
			t.Fatalf("%s /api/v8.1%s: status %d, want %d: %v", method, path, a.status, want, a.body)
		}
		return a
	}

	// The admin signs in (LoginFromClient: username, password, grant_type).
	login := v81Login(t, form(200, "username", "admin", "password", e2e.AdminPassword, "grant_type", "Password"))
	if login.str("roleName") != "PortalAdmin" || login.body["mfa_enabled"] != false || login.body["shortLived"] != false {
		t.Fatalf("admin's Login: %v", login.body)
	}
	admin := login.str("access_token")

	// The whole list, then the user picked by NameFilter: exactly carol,
	// not carolyn and never the admin; a name nobody has lists nobody.
	if all := v81Users(t, v81(200, "GET", "/users?Offset=0&Limit=-1", admin, "")); len(all) != 3 {
		t.Fatalf("the admin sees %d users", len(all))
	}
	picked := v81Users(t, v81(200, "GET", "/users?NameFilter=carol", admin, ""))
	if len(picked) != 1 || picked[0]["name"] != "carol" || picked[0]["mfaEnabled"] != false || picked[0]["role"] != "ReadOnlyUser" {
		t.Fatalf("NameFilter=carol picked %v", picked)
	}
	if none := v81Users(t, v81(200, "GET", "/users?NameFilter=nobody", admin, "")); len(none) != 0 {
		t.Fatalf("NameFilter=nobody picked %v", none)
	}
	id := picked[0]["id"].(string)

	// enableMfa (UserMfaSetup) and acceptMfa (UserMfaAccept) on the picked
	// id, as the admin; acceptMfa answers 204.
	en, key := c.enable("/api/v8.1/users/"+id+"/enableMfa", admin, `{"recreate":false}`)
	if en.str("userId") != id || len(scratchCodes(en)) != 5 {
		t.Fatalf("UserMfaData: %v", en.body)
	}
	v81(204, "POST", "/users/"+id+"/acceptMfa", admin, acceptBody(key.Code(srv.Now()), en.str("token")))
	if u := v81Users(t, v81(200, "GET", "/users?NameFilter=carol", admin, "")); u[0]["mfaEnabled"] != true {
		t.Fatalf("after acceptMfa: %v", u)
	}

	// carol signs in: the password grant answers an mfa_token, the Mfa
	// grant tokens for her id.
	srv.Advance(30 * time.Second)
	ticket := form(200, "username", "carol", "password", pw, "grant_type", "Password")
	if ticket.body["access_token"] != nil || ticket.str("mfa_token") == "" || ticket.body["mfa_enabled"] != true {
		t.Fatalf("password grant of an MFA user: %v", ticket.body)
	}
	form(400, "mfa_token", ticket.str("mfa_token"), "mfa_code", wrongCode(key, srv.Now()), "grant_type", "Mfa")
	tok := v81Login(t, form(200, "mfa_token", ticket.str("mfa_token"), "mfa_code", key.Code(srv.Now()), "grant_type", "Mfa"))
	if tok.str("userId") != id || tok.str("username") != "carol" || tok.body["mfa_enabled"] != true {
		t.Fatalf("Mfa grant: %v", tok.body)
	}
	carol := tok.str("access_token")

	// She lists users and sees herself only, and turns MFA off (no body).
	if own := v81Users(t, v81(200, "GET", "/users", carol, "")); len(own) != 1 || own[0]["id"] != id {
		t.Fatalf("carol sees %v", own)
	}
	v81(204, "POST", "/users/"+id+"/disableMfa", carol, "")
	if u := v81Users(t, v81(200, "GET", "/users?NameFilter=carol", admin, "")); u[0]["mfaEnabled"] != false {
		t.Fatalf("after disableMfa: %v", u)
	}

	// Login_Logout: DELETE /api/oauth2/token answers 204, and the token
	// is dead; her other sessions are not.
	other := form(200, "username", "carol", "password", pw, "grant_type", "Password").str("access_token")
	if a := c.do("DELETE", "/api/oauth2/token?api-version=8.1", carol, "", ""); a.status != 204 || a.body != nil {
		t.Fatalf("logout: %d %v", a.status, a.body)
	}
	if a := v81(401, "GET", "/users", carol, ""); a.str("title") != "Unauthorized" || a.body["status"] != float64(401) {
		t.Fatalf("after logout: %v", a.body)
	}
	v81(200, "GET", "/users", other, "")
	if a := c.do("DELETE", "/api/oauth2/token", carol, "", ""); a.status != 401 {
		t.Fatalf("logout again: %d %v", a.status, a.body)
	}

	// Paths under /api/ that are not served answer problem JSON.
	for _, p := range []string{"/api/v8/users", "/api/v8.1/repositories", "/api/nothing"} {
		a := c.do("GET", p, admin, "", "")
		if a.status != 404 || a.body["status"] != float64(404) || !strings.HasPrefix(a.header.Get("Content-Type"), "application/problem+json") {
			t.Fatalf("GET %s: %d %s %v", p, a.status, a.header.Get("Content-Type"), a.body)
		}
	}

	// No secret reached the log.
	logs := srv.Logs()
	for _, s := range c.secrets {
		if len(s) >= 8 && strings.Contains(logs, s) {
			t.Errorf("a secret of length %d is in the server log", len(s))
		}
	}
}
