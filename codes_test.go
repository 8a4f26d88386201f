package mfad_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"testing"

	"github.com/mfad/mfad"
	"github.com/mfad/mfad/internal/fronts"
)

// TestCodesRegistry holds mfad.Codes to the Code constants of errors.go:
// a constant left out of the registry would escape every front's check.
func TestCodesRegistry(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var consts []mfad.Code
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			v := s.(*ast.ValueSpec)
			if id, ok := v.Type.(*ast.Ident); !ok || id.Name != "Code" {
				continue
			}
			for _, val := range v.Values {
				c, err := strconv.Unquote(val.(*ast.BasicLit).Value)
				if err != nil {
					t.Fatal(err)
				}
				consts = append(consts, mfad.Code(c))
			}
		}
	}
	if got := mfad.Codes(); !slices.Equal(got, consts) {
		t.Errorf("mfad.Codes() = %v\nconstants of errors.go: %v", got, consts)
	}
}

// TestEveryCodeHasAWireForm checks that each front's error table answers
// every code of the registry, and holds no code the registry lacks. A code
// missing from a table would fall through to that front's internal error.
func TestEveryCodeHasAWireForm(t *testing.T) {
	codes := mfad.Codes()
	if len(codes) < 16 {
		t.Fatalf("only %d codes registered", len(codes))
	}
	if len(fronts.All) < 6 {
		t.Fatalf("the registry of fronts holds %d fronts", len(fronts.All))
	}
	for _, f := range fronts.All {
		name, forms := f.Name, f.Errors()
		for _, c := range codes {
			if forms[c] == "" {
				t.Errorf("%s: no wire form for %s", name, c)
			}
		}
		for c := range forms {
			if !slices.Contains(codes, c) {
				t.Errorf("%s: wire form for %q, which mfad.Codes() does not list", name, c)
			}
		}
	}
}
