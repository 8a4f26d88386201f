package mfad_test

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mfad/mfad/internal/fronts"
)

// One core call per wire operation (docs/architecture.md §3): a handler
// that makes two core calls on one path does half its work when the second
// fails (a Cloudreve PATCH that changed the password and then refused the
// code) and spends two transactions. chainAllowed is the short list of
// functions ("package Type.method") that may, each with its reason; each
// counts as one call for its callers.
var chainAllowed = map[string]string{
	"api/tchmi Handler.serve": "a WebSocket connection's whole life: binding the cookie's session at connect " +
		"is one operation, then each frame is one (Session.Handle)",
	"api/tchmi Handler.ServeHTTP": "routes to serve (above)",
	"web handler.adminView": "the administration page shows two listings, users and recent events: " +
		"two reads for one page, nothing written",
}

// frontPackages are the packages whose handlers the chain check reads:
// every front of the registry.
func frontPackages() []string {
	var out []string
	for _, p := range fronts.Packages() {
		out = append(out, "./"+p)
	}
	return out
}

// TestOneCoreCallPerHandler lists, for every function of every front, the
// most calls on *auth.Service that one path through it makes (calls into
// functions of its own package counted with theirs; exclusive branches
// taken one at a time; calls without a context, which reach no store, not
// counted) and fails on two or more, but for chainAllowed. Authenticate is
// counted apart: a handler may authenticate its caller once and then make
// its one call (a front with a token-taking call, such as StepUpToken or
// LogoutToken, uses that instead).
func TestOneCoreCallPerHandler(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks every front")
	}
	pkgs := loadFronts(t, frontPackages())
	var bad []string
	for _, p := range pkgs {
		for name, n := range p.chains() {
			if n >= 2 {
				bad = append(bad, fmt.Sprintf("%s %s: %d core calls on one path", p.path, name, n))
			}
		}
		for name, n := range p.authentications() {
			if n >= 2 {
				bad = append(bad, fmt.Sprintf("%s %s: %d Authenticate calls on one path", p.path, name, n))
			}
		}
	}
	slices.Sort(bad)
	for _, b := range bad {
		t.Error(b)
	}
	for name := range chainAllowed {
		if !slices.ContainsFunc(pkgs, func(p *frontPkg) bool {
			_, ok := p.funcs[strings.TrimPrefix(name, p.path+" ")]
			return ok && strings.HasPrefix(name, p.path+" ")
		}) {
			t.Errorf("chainAllowed names %s, which no longer exists", name)
		}
	}
}

// TestChainCheckCatches proves the check sees a chain, one through a
// helper of the package, a chain inside a closure, and lets exclusive
// branches and early returns pass, so that TestOneCoreCallPerHandler
// passing means something.
func TestChainCheckCatches(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks a package")
	}
	dir := t.TempDir()
	src := `package probe

import (
	"context"

	"github.com/mfad/mfad/auth"
)

type h struct{ svc *auth.Service }

func (x h) chain(ctx context.Context, a auth.Actor) error {
	if _, err := x.svc.GetUser(ctx, a, auth.ByID(1)); err != nil {
		return err
	}
	_, err := x.svc.Status(ctx, a, auth.ByID(1))
	return err
}

func (x h) lookup(ctx context.Context, a auth.Actor) int64 {
	u, _ := x.svc.GetUser(ctx, a, auth.ByLogin("bob"))
	return u.ID
}

func (x h) throughHelper(ctx context.Context, a auth.Actor) error {
	_, err := x.svc.Reset(ctx, a, auth.ByID(x.lookup(ctx, a)))
	return err
}

func (x h) branches(ctx context.Context, a auth.Actor, on bool) error {
	var err error
	switch {
	case on:
		_, err = x.svc.Status(ctx, a, auth.ByID(1))
	default:
		err = x.svc.Unlock(ctx, a, 1)
	}
	if err != nil {
		return err
	}
	return nil
}

func (x h) early(ctx context.Context, a auth.Actor, on bool) error {
	if on {
		return x.svc.Disable(ctx, a, auth.DisableRequest{UserID: 1})
	}
	return x.svc.Unlock(ctx, a, 1)
}

func (x h) refused(ctx context.Context, a auth.Actor) error {
	if err := x.svc.Unlock(ctx, a, 1); err != nil {
		_, serr := x.svc.Status(ctx, a, auth.ByID(1)) // the page that shows the refusal
		return serr
	}
	return nil
}

func (x h) afterSuccess(ctx context.Context, a auth.Actor) error {
	if err := x.svc.Unlock(ctx, a, 1); err != nil {
		return err
	}
	_, err := x.svc.Status(ctx, a, auth.ByID(1))
	return err
}

func (x h) closure(ctx context.Context, a auth.Actor) func() error {
	return func() error {
		if err := x.svc.Unlock(ctx, a, 1); err != nil {
			return err
		}
		return x.svc.Disable(ctx, a, auth.DisableRequest{UserID: 1})
	}
}
`
	if err := os.WriteFile(filepath.Join(dir, "probe.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p := checkPackage(t, "probe", []string{filepath.Join(dir, "probe.go")}, exportLookup(t, []string{"./auth"}))
	got := p.chains()
	want := map[string]int{"h.chain": 2, "h.lookup": 1, "h.throughHelper": 2, "h.branches": 1, "h.early": 1,
		"h.refused": 1, "h.afterSuccess": 2, "h.closure": 0, "h.closure.func1": 2}
	for name, n := range want {
		if got[name] != n {
			t.Errorf("%s: %d core calls, want %d (all: %v)", name, got[name], n, got)
		}
	}
}

// frontPkg is one type-checked package and its functions by name
// ("Type.method", "func", "Type.method.func1" for a closure).
type frontPkg struct {
	path  string // "api/rest", "web": the prefix of chainAllowed's names
	auth  bool   // counting Authenticate calls (else every other core call)
	info  *types.Info
	funcs map[string]*ast.FuncLit // a FuncDecl's body is wrapped as a FuncLit
	decls map[*types.Func]string  // the package's functions, to follow calls
	memo  map[string]int
}

func loadFronts(t *testing.T, patterns []string) []*frontPkg {
	t.Helper()
	lookup := exportLookup(t, patterns)
	var out []*frontPkg
	for _, pat := range patterns {
		files, err := filepath.Glob(filepath.Join(pat, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		files = slices.DeleteFunc(files, func(f string) bool { return strings.HasSuffix(f, "_test.go") })
		out = append(out, checkPackage(t, strings.TrimPrefix(pat, "./"), files, lookup))
	}
	return out
}

// exportLookup finds the compiler's export data of the packages patterns
// depend on, as go vet does (go list -export).
func exportLookup(t *testing.T, patterns []string) func(string) (io.ReadCloser, error) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-export", "-deps", "-f", "{{.ImportPath}} {{.Export}}"}, patterns...)...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -export: %v", err)
	}
	exports := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if path, file, ok := strings.Cut(sc.Text(), " "); ok && file != "" {
			exports[path] = file
		}
	}
	return func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	}
}

func checkPackage(t *testing.T, path string, files []string, lookup func(string) (io.ReadCloser, error)) *frontPkg {
	t.Helper()
	fset := token.NewFileSet()
	var parsed []*ast.File
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, af)
	}
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}, Defs: map[*ast.Ident]types.Object{}, Selections: map[*ast.SelectorExpr]*types.Selection{}}
	conf := types.Config{Importer: importer.ForCompiler(fset, "gc", lookup)}
	if _, err := conf.Check(path, fset, parsed, info); err != nil {
		t.Fatalf("type-checking %s: %v", path, err)
	}
	p := &frontPkg{path: path, info: info, funcs: map[string]*ast.FuncLit{}, decls: map[*types.Func]string{}, memo: map[string]int{}}
	for _, f := range parsed {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			name := fd.Name.Name
			if fd.Recv != nil {
				name = recvName(fd.Recv.List[0].Type) + "." + name
			}
			p.add(name, &ast.FuncLit{Type: fd.Type, Body: fd.Body})
			if obj, ok := info.Defs[fd.Name].(*types.Func); ok {
				p.decls[obj] = name
			}
		}
	}
	return p
}

// add records fn under name and each closure inside it as name.funcN.
func (p *frontPkg) add(name string, fn *ast.FuncLit) {
	p.funcs[name] = fn
	n := 0
	ast.Inspect(fn.Body, func(x ast.Node) bool {
		if lit, ok := x.(*ast.FuncLit); ok {
			n++
			p.add(fmt.Sprintf("%s.func%d", name, n), lit)
			return false
		}
		return true
	})
}

func recvName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.StarExpr:
		return recvName(x.X)
	case *ast.IndexExpr:
		return recvName(x.X)
	case *ast.Ident:
		return x.Name
	}
	return "?"
}

// chains returns, for every function, the most core calls on one path
// (Authenticate aside: see authentications).
func (p *frontPkg) chains() map[string]int { return p.tally(false) }

// authentications returns, for every function, the most Authenticate
// calls on one path: a wire operation authenticates its caller once.
func (p *frontPkg) authentications() map[string]int { return p.tally(true) }

func (p *frontPkg) tally(auth bool) map[string]int {
	p.auth, p.memo = auth, map[string]int{}
	out := map[string]int{}
	for name := range p.funcs {
		out[name] = p.count(name, map[string]bool{})
	}
	return out
}

func (p *frontPkg) count(name string, visiting map[string]bool) int {
	if n, ok := p.memo[name]; ok {
		return n
	}
	if visiting[name] {
		return 0 // recursion: counted once
	}
	visiting[name] = true
	r := p.seq(p.funcs[name].Body.List, visiting)
	delete(visiting, name)
	n := max(r.through, r.exit, 0)
	if chainAllowed[p.path+" "+name] != "" {
		n = min(n, 1) // allowed as one operation, for itself and its callers
	}
	p.memo[name] = n
	return n
}

// paths is the most core calls on the paths through a statement that go
// on to the next one (through) and on those that leave the function
// (exit); none means there is no such path.
type paths struct{ through, exit int }

const none = -1

func (a paths) plus(n int) paths {
	if a.through != none {
		a.through += n
	}
	if a.exit != none {
		a.exit += n
	}
	return a
}

// either is a choice between two paths (branches of an if or a switch).
func either(a, b paths) paths { return paths{max(a.through, b.through), max(a.exit, b.exit)} }

// seq is a statement list: each statement's calls in turn, until one
// always leaves the function.
func (p *frontPkg) seq(list []ast.Stmt, v map[string]bool) paths {
	cur := paths{0, none}
	for _, s := range list {
		if cur.through == none {
			break
		}
		if ifs, ok := s.(*ast.IfStmt); ok && errCheck(ifs) {
			// Answering a refusal: the calls that failed changed nothing
			// the client relies on, so the branch that answers it (and
			// leaves) is counted on its own, not after them.
			if body := p.seq(ifs.Body.List, v); body.through == none {
				head := cur.through + p.simple(ifs.Init, v) + p.expr(ifs.Cond, v)
				cur = paths{head, max(cur.exit, head, body.exit)}
				continue
			}
		}
		r := p.stmt(s, v).plus(cur.through)
		cur = paths{r.through, max(cur.exit, r.exit)}
	}
	return cur
}

// errCheck reports whether ifs is "if err != nil { ... }" (any variable
// named err or ending in err) with no else.
func errCheck(ifs *ast.IfStmt) bool {
	b, ok := ifs.Cond.(*ast.BinaryExpr)
	if !ok || b.Op != token.NEQ || ifs.Else != nil {
		return false
	}
	id, ok := b.X.(*ast.Ident)
	nilY, ok2 := b.Y.(*ast.Ident)
	return ok && ok2 && nilY.Name == "nil" && strings.HasSuffix(strings.ToLower(id.Name), "err")
}

func (p *frontPkg) stmt(s ast.Stmt, v map[string]bool) paths {
	switch x := s.(type) {
	case *ast.ReturnStmt:
		n := 0
		for _, e := range x.Results {
			n += p.expr(e, v)
		}
		return paths{none, n}
	case *ast.BlockStmt:
		return p.seq(x.List, v)
	case *ast.IfStmt:
		els := paths{0, none}
		if x.Else != nil {
			els = p.stmt(x.Else, v)
		}
		return either(p.seq(x.Body.List, v), els).plus(p.simple(x.Init, v) + p.expr(x.Cond, v))
	case *ast.SwitchStmt:
		return p.cases(x.Body, v).plus(p.simple(x.Init, v) + p.expr(x.Tag, v))
	case *ast.TypeSwitchStmt:
		return p.cases(x.Body, v).plus(p.simple(x.Init, v) + p.simple(x.Assign, v))
	case *ast.SelectStmt:
		return p.cases(x.Body, v)
	case *ast.ForStmt:
		return either(paths{0, none}, p.seq(x.Body.List, v)).plus(p.simple(x.Init, v) + p.expr(x.Cond, v))
	case *ast.RangeStmt:
		return either(paths{0, none}, p.seq(x.Body.List, v)).plus(p.expr(x.X, v))
	case *ast.LabeledStmt:
		return p.stmt(x.Stmt, v)
	}
	return paths{p.expr(s, v), none}
}

// simple counts an init statement (never a branch).
func (p *frontPkg) simple(s ast.Stmt, v map[string]bool) int {
	if s == nil {
		return 0
	}
	return p.expr(s, v)
}

// cases is one clause of a switch or select, whichever has the most; with
// no default, a path past every clause too.
func (p *frontPkg) cases(body *ast.BlockStmt, v map[string]bool) paths {
	out, dflt := paths{none, none}, false
	for _, c := range body.List {
		switch cc := c.(type) {
		case *ast.CaseClause:
			n := 0
			for _, e := range cc.List {
				n += p.expr(e, v)
			}
			dflt = dflt || cc.List == nil
			out = either(out, p.seq(cc.Body, v).plus(n))
		case *ast.CommClause:
			dflt = dflt || cc.Comm == nil
			out = either(out, p.seq(cc.Body, v).plus(p.simple(cc.Comm, v)))
		}
	}
	if !dflt {
		out = either(out, paths{0, none})
	}
	return out
}

// expr counts the core calls in a node, not entering closures (functions
// of their own), and following calls into the package's functions.
func (p *frontPkg) expr(n ast.Node, v map[string]bool) int {
	if n == nil {
		return 0
	}
	total := 0
	ast.Inspect(n, func(x ast.Node) bool {
		switch c := x.(type) {
		case *ast.FuncLit:
			return false
		case *ast.CallExpr:
			if p.coreCall(c) {
				total++
			} else if callee := p.callee(c); callee != "" {
				total += p.count(callee, v)
			}
		}
		return true
	})
	return total
}

// coreCall reports whether c calls a method of *auth.Service.
func (p *frontPkg) coreCall(c *ast.CallExpr) bool {
	sel, ok := c.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	s := p.info.Selections[sel]
	if s == nil || s.Kind() != types.MethodVal {
		return false
	}
	ptr, ok := s.Recv().(*types.Pointer)
	if !ok {
		return false
	}
	named, ok := ptr.Elem().(*types.Named)
	if !ok || named.Obj().Name() != "Service" || named.Obj().Pkg() == nil || named.Obj().Pkg().Path() != module+"/auth" {
		return false
	}
	// Only a call that takes a context reaches the store: Now, Config,
	// Capabilities and the like judge nothing there.
	params := s.Type().(*types.Signature).Params()
	if params.Len() == 0 || types.TypeString(params.At(0).Type(), nil) != "context.Context" {
		return false
	}
	return (sel.Sel.Name == "Authenticate") == p.auth
}

// callee names the function of the package c calls, or "".
func (p *frontPkg) callee(c *ast.CallExpr) string {
	var id *ast.Ident
	switch f := c.Fun.(type) {
	case *ast.Ident:
		id = f
	case *ast.SelectorExpr:
		id = f.Sel
	default:
		return ""
	}
	fn, ok := p.info.Uses[id].(*types.Func)
	if !ok {
		return ""
	}
	return p.decls[fn]
}

// maxCoreMethods bounds the core's API (issue 27: 60 before, shaped by the
// fronts); a new method needs more than one caller or a reason in its
// comment ("One caller (...): ...").
const maxCoreMethods = 45

// TestCoreSurface counts the exported methods of auth.Service and checks
// that one with a single caller outside tests says why it exists.
func TestCoreSurface(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join("auth", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || !fd.Name.IsExported() || recvName(fd.Recv.List[0].Type) != "Service" {
				continue
			}
			docs[fd.Name.Name] = fd.Doc.Text()
		}
	}
	if len(docs) > maxCoreMethods {
		t.Errorf("auth.Service has %d exported methods, at most %d", len(docs), maxCoreMethods)
	}
	callers := coreCallers(t)
	for m, doc := range docs {
		if callers[m] <= 1 && !strings.Contains(doc, "One caller") {
			t.Errorf("auth.Service.%s has %d callers outside tests and no reason in its comment (\"One caller (...): ...\")", m, callers[m])
		}
	}
}

// coreCallers counts, by method name, the calls in the module's non-test
// files outside auth. By name, without types: a name another type shares
// (Status) counts that type's calls too, so it can only let a method
// pass, never fail one wrongly.
func coreCallers(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || p == "auth") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		af, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(af, func(n ast.Node) bool {
			if c, ok := n.(*ast.CallExpr); ok {
				if sel, ok := c.Fun.(*ast.SelectorExpr); ok {
					out[sel.Sel.Name]++
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
