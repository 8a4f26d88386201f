package mfad_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mfad/mfad/internal/fronts"
)

const module = "github.com/mfad/mfad"

// importRule says what one set of packages must never depend on, directly
// or through another package of the module. Paths are relative to the
// module ("" is the domain at the root); a pattern ending in "/..." matches
// the folder and everything below it.
type importRule struct {
	pkgs   []string
	why    string
	only   []string // when set: the only module packages it may depend on
	forbid []string // else: the module packages it may not depend on
}

// importRules is the layering of docs/architecture.md §3: data flows front -> core ->
// store, the pure packages stay pure, and a front knows nothing about SQL.
var importRules = []importRule{
	{pkgs: []string{""}, only: []string{}, why: "the domain types import nothing of mfad"},
	{pkgs: []string{"otp", "weak"}, only: []string{}, why: "otp and weak are pure libraries"},
	{pkgs: []string{"seal"}, only: []string{"weak"}, why: "seal is a pure library; it checks keys with weak"},
	{pkgs: []string{"auth"}, only: []string{"", "otp", "seal", "weak"}, why: "the core knows no front, no store and no wiring"},
	{pkgs: []string{"store/..."}, forbid: []string{"auth", "api/...", "web", "cmd/...", "metrics", "internal/..."},
		why: "a store serves the core through mfad.Store and knows no front"},
	{pkgs: []string{"api/...", "web"}, forbid: []string{"store/...", "cmd/...", "internal/...", "metrics"},
		why: "a front translates wire <-> core calls and never reaches the store"},
	{pkgs: fronts.Packages(), forbid: fronts.Packages(),
		why: "fronts share only api/httpx and the core, never each other"},
	{pkgs: []string{"api/httpx"}, forbid: append(fronts.Packages(), "store/..."),
		why: "what the fronts share depends on none of them"},
	{pkgs: []string{"metrics", "internal/load"}, forbid: append(fronts.Packages(), "store/...", "cmd/...", "internal/fronts"),
		why: "metrics and the load generator see the server from outside: no front, no store (metrics names no dialect)"},
	{pkgs: []string{"internal/fronts"}, forbid: []string{"store/...", "cmd/...", "metrics"},
		why: "the registry of fronts knows the fronts and the core, no store"},
	{pkgs: []string{"internal/stores"}, forbid: []string{"auth", "api/...", "web", "cmd/...", "metrics"},
		why: "the registry of stores knows the stores, no core and no front"},
}

// TestImportRules reads the imports of every non-test Go file of the
// module (every build tag included) and checks importRules on what each
// package depends on, directly or not.
func TestImportRules(t *testing.T) {
	graph := moduleImports(t, ".")
	if len(graph) < 10 || graph["auth"] == nil {
		t.Fatalf("read %d packages; is the test running at the module root?", len(graph))
	}
	for _, v := range importViolations(graph, importRules) {
		t.Error(v)
	}
}

// TestImportRulesCatch proves the checker sees a direct and an indirect
// break, so TestImportRules passing means something.
func TestImportRulesCatch(t *testing.T) {
	graph := map[string][]string{
		"":              nil,
		"otp":           {""},
		"auth":          {"", "otp"},
		"api/httpx":     {"auth"},
		"api/rest":      {"api/httpx", "internal/x"},
		"internal/x":    {"store/sqlite"},
		"store/sqlite":  {""},
		"api/zimbra":    {"api/rest"},
		"store/another": {"auth"},
	}
	got := importViolations(graph, importRules)
	for _, want := range []string{
		"otp depends on (the root package)",
		"api/rest depends on store/sqlite (through internal/x)",
		"api/rest depends on internal/x",
		"api/zimbra depends on api/rest",
		"store/another depends on auth",
	} {
		if !slices.ContainsFunc(got, func(v string) bool { return strings.HasPrefix(v, want) }) {
			t.Errorf("missing violation %q in:\n%s", want, strings.Join(got, "\n"))
		}
	}
	if len(got) != 7 { // the five above, and zimbra reaching internal/x and store through rest
		t.Errorf("%d violations, want 7:\n%s", len(got), strings.Join(got, "\n"))
	}
}

// moduleImports maps each package folder below root to the module
// packages its non-test files import.
func moduleImports(t *testing.T, root string) map[string][]string {
	t.Helper()
	graph := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(filepath.Dir(p))
		if pkg == "." {
			pkg = ""
		}
		if _, ok := graph[pkg]; !ok {
			graph[pkg] = nil
		}
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			if ip == module {
				ip = ""
			} else if rel, ok := strings.CutPrefix(ip, module+"/"); ok {
				ip = rel
			} else {
				continue
			}
			if !slices.Contains(graph[pkg], ip) {
				graph[pkg] = append(graph[pkg], ip)
			}
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return graph
}

// importViolations lists, for each rule and package it covers, every
// module package it may not depend on, with the path it is reached by.
func importViolations(graph map[string][]string, rules []importRule) []string {
	var out []string
	pkgs := make([]string, 0, len(graph))
	for p := range graph {
		pkgs = append(pkgs, p)
	}
	slices.Sort(pkgs)
	for _, r := range rules {
		for _, p := range pkgs {
			if !matchAny(p, r.pkgs) {
				continue
			}
			for dep, via := range dependencies(graph, p) {
				bad := matchAny(dep, r.forbid)
				if r.only != nil {
					bad = !matchAny(dep, r.only)
				}
				if !bad {
					continue
				}
				v := name(p) + " depends on " + name(dep)
				if via != p {
					v += " (through " + name(via) + ")"
				}
				out = append(out, v+": "+r.why)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// dependencies maps each package p depends on to the package that imports
// it on the way (p itself for a direct import).
func dependencies(graph map[string][]string, p string) map[string]string {
	via := map[string]string{}
	queue := []string{p}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, dep := range graph[cur] {
			if _, seen := via[dep]; seen || dep == p {
				continue
			}
			via[dep] = cur
			queue = append(queue, dep)
		}
	}
	return via
}

func matchAny(p string, patterns []string) bool {
	for _, pat := range patterns {
		if dir, ok := strings.CutSuffix(pat, "/..."); ok {
			if p == dir || strings.HasPrefix(p, dir+"/") {
				return true
			}
		} else if p == pat {
			return true
		}
	}
	return false
}

func name(p string) string {
	if p == "" {
		return "(the root package)"
	}
	return path.Clean(p)
}

// TestSystemOnlyFromCmd: auth.System, the actor of the mfad command (an
// administrator without a session), is called only from cmd/ and
// internal/ (the load generator, the registry's tests); a front calling it
// would act as an administrator for anyone.
func TestSystemOnlyFromCmd(t *testing.T) {
	bad := systemCalls(t, ".")
	for _, b := range bad {
		t.Error(b)
	}
	// The check sees a call: a front file that makes one is caught.
	dir := filepath.Join(t.TempDir(), "api", "probe")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := "package probe\n\nimport \"github.com/mfad/mfad/auth\"\n\nvar _ = auth.System(\"probe\")\n"
	if err := os.WriteFile(filepath.Join(dir, "probe.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := systemCalls(t, filepath.Dir(filepath.Dir(dir))); len(got) != 1 {
		t.Errorf("the probe's call to auth.System was not caught: %v", got)
	}
}

// systemCalls lists the calls of auth.System in non-test files outside
// cmd/ and internal/ below root.
func systemCalls(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || rel == "cmd" || rel == "internal") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		name := ""
		for _, imp := range f.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); path == module+"/auth" {
				name = "auth"
				if imp.Name != nil {
					name = imp.Name.Name
				}
			}
		}
		if name == "" {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "System" {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == name {
					out = append(out, fmt.Sprintf("%s: calls auth.System outside cmd/ and internal/", fset.Position(sel.Pos())))
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
