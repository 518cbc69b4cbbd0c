package calendar

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDeterministicSource keeps the package fit for workflow code: no clock,
// no zone loading, no I/O or randomness, no goroutines or channels, and no
// range over a map (whose order varies from run to run).
func TestDeterministicSource(t *testing.T) {
	allowedImports := map[string]bool{
		"cmp": true, "fmt": true, "math": true, "slices": true, "strings": true, "time": true, "unicode/utf8": true,
	}
	forbidden := map[string]bool{
		"time.Now": true, "time.Since": true, "time.Until": true, "time.LoadLocation": true,
		"time.LoadLocationFromTZData": true, "time.Local": true, "time.Sleep": true, "time.After": true,
		"time.AfterFunc": true, "time.Tick": true, "time.NewTimer": true, "time.NewTicker": true,
	}
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
		for _, imp := range f.Imports {
			if p := strings.Trim(imp.Path.Value, `"`); !allowedImports[p] {
				t.Errorf("%s imports %s", name, p)
			}
		}
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: importer.Default()}
	if _, err := conf.Check("calendar", fset, files, info); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				t.Errorf("%s: go statement", fset.Position(n.Pos()))
			case *ast.ChanType, *ast.SelectStmt:
				t.Errorf("%s: channel", fset.Position(n.Pos()))
			case *ast.RangeStmt:
				if _, isMap := info.Types[n.X].Type.Underlying().(*types.Map); isMap {
					t.Errorf("%s: range over a map", fset.Position(n.Pos()))
				}
			case *ast.SelectorExpr:
				if obj := info.Uses[n.Sel]; obj != nil && obj.Pkg() != nil {
					if name := obj.Pkg().Path() + "." + obj.Name(); forbidden[name] {
						t.Errorf("%s: uses %s", fset.Position(n.Pos()), name)
					}
				}
			}
			return true
		})
	}
}
