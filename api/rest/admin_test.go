package rest_test

import (
	"testing"
)

// TestPolicy: the policy, and the enroll-only session of a user that
// policy requires to have 2FA.
func TestPolicy(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice")
	if p := e.do("GET", "/v1/policy", e.admin, nil).want(200).str("policy"); p != "off" {
		t.Errorf("default policy %q", p)
	}
	e.do("PUT", "/v1/policy", e.admin, map[string]any{"policy": "sometimes"}).wantError(400, "invalid_input")
	if p := e.do("PUT", "/v1/policy", e.admin, map[string]any{"policy": "all"}).want(200).str("policy"); p != "all" {
		t.Errorf("set policy answered %q", p)
	}

	r := e.do("POST", "/v1/login", "", map[string]any{"login": "alice", "password": userPassword}).want(200)
	if r.str("status") != "setup_required" || r.str("scope") != "enroll" {
		t.Fatalf("login under policy all: %s", r.body)
	}
	tok := r.str("access_token")
	if st := e.do("GET", "/v1/me", tok, nil).want(200); st.get("two_factor", "required") != true {
		t.Errorf("me: %s", st.body)
	}
	e.do("GET", "/v1/users/me/trusted-devices", tok, nil).wantError(403, "setup_required")
	e.do("POST", "/v1/me/verify", tok, map[string]any{"code": "123456"}).wantError(403, "setup_required")

	// Enrolling lifts the restriction on the same session.
	e.enroll(tok)
	e.do("GET", "/v1/users/me/trusted-devices", tok, nil).want(200)
	// Policy forbids turning it off again.
	e.do("POST", "/v1/users/me/2fa/disable", tok, map[string]any{"password": userPassword}).wantError(403, "policy")
}

func TestAudit(t *testing.T) {
	e := newEnv(t)
	id := e.createUser("alice")
	e.login("alice", userPassword)
	e.createUser("bob")

	page := e.do("GET", "/v1/audit?limit=2", e.admin, nil).want(200)
	evs := page.get("events").([]any)
	if len(evs) != 2 || page.get("next_before_id") == nil {
		t.Fatalf("first page: %s", page.body)
	}
	first := evs[0].(map[string]any)
	if first["action"] != "user.create" || first["dialect"] != "rest" || first["remote_addr"] != "127.0.0.1" || first["actor_id"] != float64(e.adminID) {
		t.Errorf("newest event: %v", first)
	}
	next := e.do("GET", "/v1/audit?limit=2&before_id="+itoa(page.int("next_before_id")), e.admin, nil).want(200)
	if n := next.get("events").([]any); len(n) == 0 || n[0].(map[string]any)["id"].(float64) >= evs[1].(map[string]any)["id"].(float64) {
		t.Errorf("second page: %s", next.body)
	}
	mine := e.do("GET", "/v1/audit?user_id="+itoa(id), e.admin, nil).want(200)
	for _, ev := range mine.get("events").([]any) {
		if ev.(map[string]any)["user_id"] != float64(id) {
			t.Errorf("user filter let through %v", ev)
		}
	}
	if mine.get("next_before_id") != nil {
		t.Errorf("short page has a next page: %s", mine.body)
	}
	future := e.do("GET", "/v1/audit?since=2031-01-01T00:00:00Z", e.admin, nil).want(200)
	if len(future.get("events").([]any)) != 0 {
		t.Errorf("since filter: %s", future.body)
	}
	for _, q := range []string{"limit=0", "limit=x", "before_id=-1", "user_id=me", "since=yesterday"} {
		e.do("GET", "/v1/audit?"+q, e.admin, nil).wantError(400, "invalid_input")
	}
}
