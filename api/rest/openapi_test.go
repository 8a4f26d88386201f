package rest_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/mfad/mfad/api/rest"
)

// doc is the parsed OpenAPI document, with a small JSON Schema checker
// (type, enum, properties, required, additionalProperties, items, oneOf,
// $ref): enough to hold every answer of the tests against it.
type doc struct {
	root  map[string]any
	paths map[string]map[string]any // path template -> method -> operation
}

var (
	docOnce sync.Once
	docVal  *doc
	docErr  error
)

func apiDoc(t testing.TB) *doc {
	t.Helper()
	docOnce.Do(func() {
		var root map[string]any
		if docErr = json.Unmarshal(rest.OpenAPI(), &root); docErr != nil {
			return
		}
		d := &doc{root: root, paths: map[string]map[string]any{}}
		paths, _ := root["paths"].(map[string]any)
		for p, item := range paths {
			d.paths[p] = map[string]any{}
			for m, op := range item.(map[string]any) {
				d.paths[p][strings.ToUpper(m)] = op
			}
		}
		docVal = d
	})
	if docErr != nil {
		t.Fatalf("openapi.json: %v", docErr)
	}
	return docVal
}

// resolve follows a local $ref.
func (d *doc) resolve(v any) (any, error) {
	for range 10 {
		m, ok := v.(map[string]any)
		if !ok {
			return v, nil
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return v, nil
		}
		if !strings.HasPrefix(ref, "#/") {
			return nil, fmt.Errorf("non-local $ref %q", ref)
		}
		var cur any = d.root
		for _, k := range strings.Split(ref[2:], "/") {
			cm, ok := cur.(map[string]any)
			if !ok || cm[k] == nil {
				return nil, fmt.Errorf("$ref %q does not resolve", ref)
			}
			cur = cm[k]
		}
		v = cur
	}
	return nil, errors.New("$ref loop")
}

// match finds the path template of a concrete path.
func (d *doc) match(path string) string {
	segs := strings.Split(path, "/")
	for tmpl := range d.paths {
		ts := strings.Split(tmpl, "/")
		if len(ts) != len(segs) {
			continue
		}
		ok := true
		for i := range ts {
			if !(strings.HasPrefix(ts[i], "{") || ts[i] == segs[i]) {
				ok = false
				break
			}
		}
		if ok {
			return tmpl
		}
	}
	return ""
}

// checkResponse holds one answer against the document: its status must be
// documented (only 405 and 500 fall to default), its body must match the
// schema, and an answer without content must have no body.
func (d *doc) checkResponse(method, path string, status int, h http.Header, body []byte) error {
	path, _, _ = strings.Cut(path, "?")
	var schema any = map[string]any{"$ref": "#/components/schemas/Error"}
	if tmpl := d.match(path); tmpl != "" && d.paths[tmpl][method] != nil {
		op := d.paths[tmpl][method].(map[string]any)
		responses := op["responses"].(map[string]any)
		r := responses[strconv.Itoa(status)]
		if r == nil {
			// default covers only what can happen on any route.
			if status != http.StatusMethodNotAllowed && status != http.StatusInternalServerError {
				return fmt.Errorf("status %d is not documented", status)
			}
			r = responses["default"]
		}
		rv, err := d.resolve(r)
		if err != nil {
			return err
		}
		content, _ := rv.(map[string]any)["content"].(map[string]any)
		if content == nil {
			if len(body) != 0 {
				return fmt.Errorf("documented without content, answered %d bytes", len(body))
			}
			return nil
		}
		schema = content["application/json"].(map[string]any)["schema"]
		if tmpl == "/v1/openapi.json" {
			return nil
		}
	}
	if !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		return fmt.Errorf("content type %q", h.Get("Content-Type"))
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return err
	}
	return d.validate(schema, v, "$")
}

func (d *doc) validate(schema, v any, at string) error {
	s0, err := d.resolve(schema)
	if err != nil {
		return err
	}
	s, _ := s0.(map[string]any)
	if one, ok := s["oneOf"].([]any); ok {
		n := 0
		var errs []error
		for _, alt := range one {
			if err := d.validate(alt, v, at); err == nil {
				n++
			} else {
				errs = append(errs, err)
			}
		}
		if n != 1 {
			return fmt.Errorf("%s: %d of oneOf match: %v", at, n, errors.Join(errs...))
		}
		return nil
	}
	if t, ok := s["type"]; ok {
		var types []string
		switch t := t.(type) {
		case string:
			types = []string{t}
		case []any:
			for _, x := range t {
				types = append(types, x.(string))
			}
		}
		if !slices.Contains(types, jsonType(v)) && !(jsonType(v) == "integer" && slices.Contains(types, "number")) {
			return fmt.Errorf("%s: %s, want %v", at, jsonType(v), types)
		}
	}
	if enum, ok := s["enum"].([]any); ok && !slices.Contains(enum, v) {
		return fmt.Errorf("%s: %v not in %v", at, v, enum)
	}
	switch v := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		for _, r := range asStrings(s["required"]) {
			if _, ok := v[r]; !ok {
				return fmt.Errorf("%s: required %q missing", at, r)
			}
		}
		for k, x := range v {
			ps, ok := props[k]
			if !ok {
				if s["additionalProperties"] == false {
					return fmt.Errorf("%s: property %q not documented", at, k)
				}
				continue
			}
			if err := d.validate(ps, x, at+"."+k); err != nil {
				return err
			}
		}
	case []any:
		if items, ok := s["items"]; ok {
			for i, x := range v {
				if err := d.validate(items, x, fmt.Sprintf("%s[%d]", at, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if v == math.Trunc(v) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

func asStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// TestOpenAPIMatchesRoutes holds the document against the route table in
// both directions, and checks that every route is really registered.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	d := apiDoc(t)
	if v, _ := d.root["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Fatalf("openapi version %q, want 3.1.x", v)
	}
	registered := map[string]rest.Route{}
	for _, r := range rest.Routes() {
		key := r.Method + " " + r.Path
		if _, dup := registered[key]; dup {
			t.Errorf("route %s twice in the table", key)
		}
		registered[key] = r
	}
	documented := map[string]map[string]any{}
	for p, ops := range d.paths {
		for m, op := range ops {
			documented[m+" "+p] = op.(map[string]any)
		}
	}
	for key := range registered {
		if documented[key] == nil {
			t.Errorf("route %s is not in openapi.json", key)
		}
	}
	for key := range documented {
		if _, ok := registered[key]; !ok {
			t.Errorf("openapi.json documents %s, which is not a registered route", key)
		}
	}
	var keys []string
	for k := range documented {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		checkOperation(t, d, key, documented[key], registered[key])
	}
	checkRefs(t, d, d.root, "#")
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

func checkOperation(t *testing.T, d *doc, key string, op map[string]any, r rest.Route) {
	t.Helper()
	if op["operationId"] == nil || op["summary"] == nil {
		t.Errorf("%s: no operationId or summary", key)
	}
	var params []string
	list, _ := op["parameters"].([]any)
	for _, p := range list {
		pv, err := d.resolve(p)
		if err != nil {
			t.Errorf("%s: %v", key, err)
			continue
		}
		if pm := pv.(map[string]any); pm["in"] == "path" {
			params = append(params, pm["name"].(string))
		}
	}
	var want []string
	for _, m := range pathParam.FindAllStringSubmatch(key, -1) {
		want = append(want, m[1])
	}
	if !slices.Equal(params, want) {
		t.Errorf("%s: path parameters %v documented, want %v", key, params, want)
	}
	responses, _ := op["responses"].(map[string]any)
	ok2xx := false
	for code := range responses {
		if strings.HasPrefix(code, "2") {
			ok2xx = true
		}
	}
	if !ok2xx || responses["default"] == nil {
		t.Errorf("%s: needs a 2xx and a default response", key)
	}
	sec, hasSec := op["security"].([]any)
	if public := hasSec && len(sec) == 0; public != r.Public {
		t.Errorf("%s: documented public=%v, registered public=%v", key, public, r.Public)
	}
	if !r.Public && responses["401"] == nil {
		t.Errorf("%s: needs a token but documents no 401", key)
	}
}

func checkRefs(t *testing.T, d *doc, v any, at string) {
	switch v := v.(type) {
	case map[string]any:
		if ref, ok := v["$ref"].(string); ok {
			if _, err := d.resolve(v); err != nil {
				t.Errorf("%s: %v (%s)", at, err, ref)
			}
		}
		for k, x := range v {
			checkRefs(t, d, x, at+"/"+k)
		}
	case []any:
		for i, x := range v {
			checkRefs(t, d, x, fmt.Sprintf("%s/%d", at, i))
		}
	}
}

// TestRoutesRegistered sends each route of the table a request without a
// token: it must reach its handler (400 or 401, or the document), never the
// JSON 404 or 405 of an unknown route.
func TestRoutesRegistered(t *testing.T) {
	e := newEnv(t)
	for _, r := range rest.Routes() {
		path := pathParam.ReplaceAllString(r.Path, "1")
		res := e.do(r.Method, path, "", nil)
		switch {
		case r.Path == "/v1/openapi.json":
			res.want(200)
			if string(res.body) != string(rest.OpenAPI()) {
				t.Errorf("GET /v1/openapi.json does not serve the embedded document")
			}
		case r.Public:
			res.wantError(400, "invalid_input")
		default:
			res.wantError(401, "unauthenticated")
		}
	}
}

// TestUnknownRoutes: JSON 404 for unknown paths, JSON 405 with Allow for a
// known path with another method.
func TestUnknownRoutes(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/v1/", "/v1/nope", "/v1/users/1/nope", "/v1/users/", "/v1/me/verify/x"} {
		e.do("GET", p, e.admin, nil).wantError(404, "not_found")
	}
	for _, c := range []struct{ method, path, allow string }{
		{"GET", "/v1/login", "POST"},
		{"DELETE", "/v1/policy", "GET, PUT, HEAD"},
		{"PATCH", "/v1/users/1", "GET, DELETE, HEAD"},
		{"PUT", "/v1/users/me/2fa", "GET, HEAD"},
	} {
		r := e.do(c.method, c.path, e.admin, nil)
		r.wantError(405, "method_not_allowed")
		if got := r.header.Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
	}
}
