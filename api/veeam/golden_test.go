package veeam_test

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mfad/mfad/otp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// state is what a golden scenario carries from step to step.
type state struct {
	e    *env
	n    *normalizer
	tok  map[string]string  // access (and refresh) tokens by name
	enr  map[string]*resp   // enableMfa answers by name
	keys map[string]otp.Key // TOTP keys by name
	last map[string]string  // codes used, by name
}

// code returns the current code of a key, named for the golden files.
func (s *state) code(key string) string {
	c := s.keys[key].Code(s.e.clock.Now())
	s.n.add("code", c)
	return c
}

// wrong returns a code that is not valid for the key now.
func (s *state) wrong(key string) string {
	c := wrongCode(s.keys[key], s.e.clock.Now())
	s.n.add("wrong", c)
	return c
}

// ticket runs a password grant of an MFA user and returns its mfa_token.
func (s *state) ticket(name string) string {
	r := s.e.form("grant_type=Password&username=" + name + "&password=" + userPassword).want(200)
	s.n.learn(r.body)
	return r.str("mfa_token")
}

// mfaLogin logs in with the current code of key and returns the access token.
func (s *state) mfaLogin(name, key string) string {
	t := s.ticket(name)
	r := s.e.form("grant_type=Mfa&mfa_token=" + t + "&mfa_code=" + s.code(key)).want(200)
	s.n.learn(r.body)
	return r.str("access_token")
}

// step is one request of the golden scenario, or an action (do) that
// prepares the next ones without a golden file.
type step struct {
	name   string
	do     func(s *state)
	method string
	path   string
	as     string // name of the bearer token in state.tok; "bogus" sends a forged one
	ctype  string
	body   func(s *state) string
	status int
	after  func(s *state, r *resp)
}

func form(f string) func(*state) string { return func(*state) string { return f } }

func text(v string) func(*state) string { return func(*state) string { return v } }

const jsonType = "application/json"

func tokenStep(name, body string, status int) step {
	return step{name: name, method: "POST", path: "/api/oauth2/token", ctype: formType, body: form(body), status: status}
}

func accept(key string) func(*state) string {
	return func(s *state) string {
		return fmt.Sprintf(`{"code":%q,"token":%q}`, s.code(key), s.enr[key].str("token"))
	}
}

// scenario walks every route and every answer shape of the dialect.
var scenario = []step{
	// The token endpoint.
	{name: "token_password_v1_names", method: "POST", path: "/api/oauth2/token", ctype: formType,
		body: form("grant_type=Password&Username=admin&Password=" + adminPassword), status: 200,
		after: func(s *state, r *resp) {
			s.tok["admin"], s.tok["admin.refresh"] = r.str("access_token"), r.str("refresh_token")
		}},
	{name: "token_password", method: "POST", path: "/api/oauth2/token", ctype: formType,
		body: form("grant_type=password&username=u1001&password=" + userPassword), status: 200,
		after: func(s *state, r *resp) { s.tok["u1001"] = r.str("access_token") }},
	{name: "login u1002", do: func(s *state) { s.tok["u1002"] = s.e.login("u1002", userPassword) }},
	tokenStep("token_wrong_password", "grant_type=Password&username=u1001&password=wrong", 401),
	tokenStep("token_no_grant_type", "username=u1001&password=wrong", 400),
	tokenStep("token_unsupported_grant", "grant_type=Saml&saml_response=x", 400),
	{name: "token_json_body", method: "POST", path: "/api/oauth2/token", ctype: jsonType,
		body: text(`{"grant_type":"Password","username":"u1001","password":"x"}`), status: 400},
	tokenStep("token_duplicate_parameter", "grant_type=Password&username=u1001&Username=u1002&password=x", 400),
	tokenStep("token_missing_password", "grant_type=Password&username=u1001", 400),
	tokenStep("token_malformed_form", "grant_type=Password&username=%zz", 400),
	{name: "token_refresh", method: "POST", path: "/api/oauth2/token", ctype: formType,
		body: func(s *state) string { return "grant_type=Refresh_token&refresh_token=" + s.tok["admin.refresh"] }, status: 200,
		after: func(s *state, r *resp) {
			s.tok["admin.refresh.old"] = s.tok["admin.refresh"]
			s.tok["admin"], s.tok["admin.refresh"] = r.str("access_token"), r.str("refresh_token")
		}},
	{name: "token_get", method: "GET", path: "/api/oauth2/token", status: 405},
	{name: "token_unknown_path", method: "POST", path: "/api/oauth2/authorize", ctype: formType, body: form("x=1"), status: 404},

	// Users.
	{name: "users_list_admin", method: "GET", path: "/api/v1/users", as: "admin", status: 200},
	{name: "users_list_paged", method: "GET", path: "/api/v1/users?offset=1&limit=1", as: "admin", status: 200},
	{name: "users_list_bad_limit", method: "GET", path: "/api/v1/users?limit=x", as: "admin", status: 400},
	{name: "users_list_self", method: "GET", path: "/api/v1/users", as: "u1001", status: 200},
	{name: "users_get", method: "GET", path: "/api/v1/users/1001", as: "admin", status: 200},
	{name: "users_get_self", method: "GET", path: "/api/v1/users/1002", as: "u1002", status: 200},
	{name: "users_get_other", method: "GET", path: "/api/v1/users/1001", as: "u1002", status: 403},
	{name: "users_get_unknown", method: "GET", path: "/api/v1/users/9999", as: "admin", status: 404},
	{name: "users_get_bad_id", method: "GET", path: "/api/v1/users/abc", as: "admin", status: 400},
	{name: "users_no_token", method: "GET", path: "/api/v1/users", status: 401},
	{name: "users_bad_token", method: "GET", path: "/api/v1/users", as: "bogus", status: 401},
	{name: "unknown_path", method: "GET", path: "/api/v1/repositories", as: "admin", status: 404},
	{name: "wrong_method", method: "DELETE", path: "/api/v1/users/1001", as: "admin", status: 405},

	// Enabling and accepting MFA for oneself.
	{name: "enable_other_user", method: "POST", path: "/api/v1/users/1001/enableMfa", as: "u1002", ctype: jsonType,
		body: text(`{"recreate": false}`), status: 403},
	{name: "enable_unknown_user", method: "POST", path: "/api/v1/users/9999/enableMfa", as: "admin", ctype: jsonType,
		body: text(`{"recreate": false}`), status: 404},
	{name: "accept_unknown_user", method: "POST", path: "/api/v1/users/9999/acceptMfa", as: "admin", ctype: jsonType,
		body: text(`{"code":"123456","token":"not-a-token"}`), status: 404},
	{name: "disable_unknown_user", method: "POST", path: "/api/v1/users/9999/disableMfa", as: "admin", status: 404},
	{name: "disable_bad_id", method: "POST", path: "/api/v1/users/0/disableMfa", as: "admin", status: 400},
	{name: "enable_bad_json", method: "POST", path: "/api/v1/users/1001/enableMfa", as: "u1001", ctype: jsonType,
		body: text(`{"recreate":`), status: 400},
	{name: "enable_bad_recreate", method: "POST", path: "/api/v1/users/1001/enableMfa", as: "u1001", ctype: jsonType,
		body: text(`{"recreate": 1}`), status: 400},
	{name: "enable_unknown_field", method: "POST", path: "/api/v1/users/1001/enableMfa", as: "u1001", ctype: jsonType,
		body: text(`{"recreate": false, "force": true}`), status: 400},
	{name: "enable", method: "POST", path: "/api/v1/users/1001/enableMfa", as: "u1001", ctype: jsonType,
		body: text(`{"recreate": false}`), status: 200,
		after: func(s *state, r *resp) { s.enr["u1001"], s.keys["u1001"] = r, r.key() }},
	{name: "accept_scratch_code", method: "POST", path: "/api/v1/users/1001/acceptMfa", as: "u1001", ctype: jsonType,
		body: func(s *state) string {
			return fmt.Sprintf(`{"code":%q,"token":%q}`, s.enr["u1001"].strs("scratchCodes")[0], s.enr["u1001"].str("token"))
		}, status: 400},
	{name: "accept_wrong_token", method: "POST", path: "/api/v1/users/1001/acceptMfa", as: "u1001", ctype: jsonType,
		body: func(s *state) string { return fmt.Sprintf(`{"code":%q,"token":"not-a-token"}`, s.code("u1001")) }, status: 400},
	{name: "accept_missing_token", method: "POST", path: "/api/v1/users/1001/acceptMfa", as: "u1001", ctype: jsonType,
		body: func(s *state) string { return fmt.Sprintf(`{"code":%q}`, s.code("u1001")) }, status: 400},
	{name: "accept_bad_json", method: "POST", path: "/api/v1/users/1001/acceptMfa", as: "u1001", ctype: jsonType,
		body: text(`code=123456`), status: 400},
	{name: "accept_other_user", method: "POST", path: "/api/v1/users/1001/acceptMfa", as: "u1002", ctype: jsonType,
		body: accept("u1001"), status: 403},
	{name: "accept", method: "POST", path: "/api/v1/users/1001/acceptMfa", as: "u1001", ctype: jsonType,
		body: accept("u1001"), status: 200},
	{name: "enable_enrolled", method: "POST", path: "/api/v1/users/1001/enableMfa", as: "u1001", ctype: jsonType,
		body: text(`{"recreate": "false"}`), status: 409},
	{name: "users_get_enrolled", method: "GET", path: "/api/v1/users/1001", as: "u1001", status: 200},

	// Signing in with MFA.
	{name: "token_password_mfa", method: "POST", path: "/api/oauth2/token", ctype: formType,
		body: form("grant_type=Password&username=u1001&password=" + userPassword), status: 200,
		after: func(s *state, r *resp) { s.tok["mfa"] = r.str("mfa_token") }},
	{name: "token_mfa_wrong_code", method: "POST", path: "/api/oauth2/token", ctype: formType,
		body: func(s *state) string {
			return "grant_type=Mfa&mfa_token=" + s.tok["mfa"] + "&mfa_code=" + s.wrong("u1001")
		}, status: 400},
	{name: "token_mfa_missing_code", method: "POST", path: "/api/oauth2/token", ctype: formType,
		body: func(s *state) string { return "grant_type=Mfa&mfa_token=" + s.tok["mfa"] }, status: 400},
	tokenStep("token_mfa_unknown_token", "grant_type=MFA&mfa_token=not-a-ticket&mfa_code=123456", 400),
	{name: "next step", do: func(s *state) { s.e.clock.Add(30 * time.Second) }},
	{name: "token_mfa", method: "POST", path: "/api/oauth2/token", ctype: formType,
		body: func(s *state) string {
			s.last["u1001"] = s.code("u1001")
			return "grant_type=Mfa&mfa_token=" + s.tok["mfa"] + "&mfa_code=" + s.last["u1001"]
		}, status: 200},
	{name: "token_mfa_used_ticket", method: "POST", path: "/api/oauth2/token", ctype: formType,
		body: func(s *state) string {
			return "grant_type=Mfa&mfa_token=" + s.tok["mfa"] + "&mfa_code=" + s.last["u1001"]
		}, status: 400},
	{name: "token_mfa_replay", method: "POST", path: "/api/oauth2/token", ctype: formType,
		body: func(s *state) string {
			return "grant_type=Mfa&mfa_token=" + s.ticket("u1001") + "&mfa_code=" + s.last["u1001"]
		}, status: 400},
	{name: "token_mfa_scratch", method: "POST", path: "/api/oauth2/token", ctype: formType,
		body: func(s *state) string {
			return "grant_type=Mfa&mfa_token=" + s.ticket("u1001") + "&mfa_code=" + s.enr["u1001"].strs("scratchCodes")[1]
		}, status: 200},
	{name: "token_mfa_scratch_reused", method: "POST", path: "/api/oauth2/token", ctype: formType,
		body: func(s *state) string {
			return "grant_type=Mfa&mfa_token=" + s.ticket("u1001") + "&mfa_code=" + s.enr["u1001"].strs("scratchCodes")[1]
		}, status: 400},

	// Recreating: a sensitive action for one's own account.
	{name: "eleven minutes later, a fresh MFA login", do: func(s *state) {
		s.e.clock.Add(11 * time.Minute)
		s.tok["u1001.fresh"] = s.mfaLogin("u1001", "u1001")
	}},
	{name: "enable_recreate_stale", method: "POST", path: "/api/v1/users/1001/enableMfa", as: "u1001", ctype: jsonType,
		body: text(`{"recreate": true}`), status: 403},
	{name: "enable_recreate", method: "POST", path: "/api/v1/users/1001/enableMfa", as: "u1001.fresh", ctype: jsonType,
		body: text(`{"recreate": "true"}`), status: 200,
		after: func(s *state, r *resp) { s.enr["u1001.2"], s.keys["u1001.2"] = r, r.key() }},
	{name: "accept_recreate", method: "POST", path: "/api/v1/users/1001/acceptMfa", as: "u1001.fresh", ctype: jsonType,
		body: accept("u1001.2"), status: 200},
	{name: "users_get_revoked", method: "GET", path: "/api/v1/users/1001", as: "u1001", status: 401},
	{name: "next step ", do: func(s *state) { s.e.clock.Add(30 * time.Second) }},
	{name: "token_mfa_old_secret", method: "POST", path: "/api/oauth2/token", ctype: formType,
		body: func(s *state) string {
			return "grant_type=Mfa&mfa_token=" + s.ticket("u1001") + "&mfa_code=" + s.code("u1001")
		}, status: 400},

	// Disabling.
	{name: "eleven minutes later", do: func(s *state) { s.e.clock.Add(11 * time.Minute) }},
	{name: "disable_stale", method: "POST", path: "/api/v1/users/1001/disableMfa", as: "u1001.fresh", status: 403},
	{name: "a fresh MFA login", do: func(s *state) { s.tok["u1001.fresh2"] = s.mfaLogin("u1001", "u1001.2") }},
	{name: "disable_body", method: "POST", path: "/api/v1/users/1001/disableMfa", as: "u1001.fresh2", ctype: jsonType,
		body: text(`{"password":"x"}`), status: 400},
	{name: "disable", method: "POST", path: "/api/v1/users/1001/disableMfa", as: "u1001.fresh2", status: 200},
	{name: "disable_not_enrolled", method: "POST", path: "/api/v1/users/1001/disableMfa", as: "u1001.fresh2", ctype: jsonType,
		body: text(`{}`), status: 409},
	{name: "token_password_after_disable", method: "POST", path: "/api/oauth2/token", ctype: formType,
		body: form("grant_type=Password&username=u1001&password=" + userPassword), status: 200,
		after: func(s *state, r *resp) { s.tok["u1001"] = r.str("access_token") }},

	// An admin acting for another user.
	{name: "enable_on_behalf", method: "POST", path: "/api/v1/users/1002/enableMfa", as: "admin", status: 200,
		after: func(s *state, r *resp) { s.enr["u1002"], s.keys["u1002"] = r, r.key() }},
	{name: "accept_on_behalf", method: "POST", path: "/api/v1/users/1002/acceptMfa", as: "admin", ctype: jsonType,
		body: accept("u1002"), status: 200},
	{name: "disable_other_user", method: "POST", path: "/api/v1/users/1002/disableMfa", as: "u1001", status: 403},
	{name: "four wrong codes", do: func(s *state) {
		s.tok["mfa"] = s.ticket("u1002")
		for range 4 {
			s.e.form("grant_type=Mfa&mfa_token=" + s.tok["mfa"] + "&mfa_code=" + s.wrong("u1002")).want(400)
		}
	}},
	{name: "token_mfa_locked", method: "POST", path: "/api/oauth2/token", ctype: formType,
		body: func(s *state) string {
			return "grant_type=Mfa&mfa_token=" + s.tok["mfa"] + "&mfa_code=" + s.wrong("u1002")
		}, status: 400},
	{name: "disable_on_behalf", method: "POST", path: "/api/v1/users/1002/disableMfa", as: "admin", status: 200},
	{name: "users_list_after", method: "GET", path: "/api/v1/users", as: "admin", status: 200},

	// Throttled passwords, and a stolen refresh token.
	{name: "five wrong passwords", do: func(s *state) {
		for range 5 {
			s.e.form("grant_type=Password&username=nobody&password=wrong").want(401)
		}
	}},
	tokenStep("token_throttled", "grant_type=Password&username=nobody&password=wrong", 429),
	{name: "token_refresh_reused", method: "POST", path: "/api/oauth2/token", ctype: formType,
		body: func(s *state) string { return "grant_type=Refresh_token&refresh_token=" + s.tok["admin.refresh.old"] }, status: 400},
	{name: "users_after_reuse", method: "GET", path: "/api/v1/users", as: "admin", status: 401},
}

// shownHeaders are the answer headers golden files hold.
var shownHeaders = []string{"Allow", "Cache-Control", "Content-Length", "Content-Type", "Pragma", "Retry-After", "WWW-Authenticate"}

// goldenScenarios are the scenarios of each API version, and the folder
// under testdata/ of their golden files. The token endpoint belongs to no
// version; v1's scenario walks all of it.
var goldenScenarios = []struct {
	dir   string
	steps []step
}{
	{"v1", scenario},
	{"v8.1", scenarioV81},
}

// TestGolden runs each version's scenario and holds every answer, byte for
// byte but for random values, against testdata/<version>/<step>.golden.
func TestGolden(t *testing.T) {
	for _, g := range goldenScenarios {
		t.Run(g.dir, func(t *testing.T) { runGolden(t, g.dir, g.steps) })
	}
}

func runGolden(t *testing.T, dir string, steps []step) {
	s := &state{e: newEnv(t), n: newNormalizer(), tok: map[string]string{"bogus": "forged-token"},
		enr: map[string]*resp{}, keys: map[string]otp.Key{}, last: map[string]string{}}
	seen := map[string]bool{}
	for _, st := range steps {
		if st.do != nil {
			st.do(s)
			continue
		}
		if seen[st.name] {
			t.Fatalf("step %s twice", st.name)
		}
		seen[st.name] = true
		body := ""
		if st.body != nil {
			body = st.body(s)
		}
		token := s.tok[st.as]
		if st.as != "" && token == "" {
			t.Fatalf("%s: no token %q", st.name, st.as)
		}
		r := s.e.send(st.method, st.path, token, st.ctype, body)
		if r.status != st.status {
			t.Errorf("%s: status %d, want %d: %s", st.name, r.status, st.status, r.body)
		}
		s.n.learn(r.body)
		if st.after != nil {
			st.after(s, r)
		}
		got := s.n.apply(transcript(st, body, r))
		checkGolden(t, filepath.Join(dir, st.name), got)
	}
	// Every golden file belongs to a step.
	files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.golden"))
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".golden"); !seen[name] {
			t.Errorf("%s belongs to no step", f)
		}
	}
}

// transcript writes one exchange as the golden files hold it.
func transcript(st step, body string, r *resp) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", st.method, st.path)
	if st.as != "" {
		fmt.Fprintf(&b, "Authorization: Bearer <%s>\n", st.as)
	}
	if st.ctype != "" {
		fmt.Fprintf(&b, "Content-Type: %s\n", st.ctype)
	}
	if body != "" {
		if st.ctype == formType {
			// One parameter a line, unescaped, so the golden file reads well.
			b.WriteString("\n")
			for _, kv := range strings.Split(body, "&") {
				if k, v, ok := strings.Cut(kv, "="); ok {
					if u, err := url.QueryUnescape(v); err == nil {
						v = u
					}
					kv = k + "=" + v
				}
				b.WriteString(kv + "\n")
			}
		} else {
			b.WriteString("\n" + body + "\n")
		}
	}
	fmt.Fprintf(&b, "\nHTTP %d\n", r.status)
	for _, h := range shownHeaders {
		if v := r.header.Get(h); v != "" {
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	if len(r.body) > 0 {
		b.WriteString("\n")
		b.Write(r.body)
	}
	return b.String()
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("%s: %v (run go test -update to write it)", name, err)
		return
	}
	if got != string(want) {
		t.Errorf("%s: answer differs from %s\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}
