package sla

import (
	"bytes"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDeterministicSource keeps the package fit for workflow code, as
// workflows/calendar does: no clock, no zone loading, no I/O or randomness, no
// goroutines or channels, and no range over a map (whose order varies from run
// to run). The calendar and policy packages it uses are pure themselves.
func TestDeterministicSource(t *testing.T) {
	allowedImports := map[string]bool{
		"errors": true, "fmt": true, "slices": true, "time": true,
		"github.com/closeloop/closeloop/workflows/calendar": true,
		"github.com/closeloop/closeloop/workflows/policy":   true,
	}
	forbidden := map[string]bool{
		"time.Now": true, "time.Since": true, "time.Until": true, "time.LoadLocation": true,
		"time.LoadLocationFromTZData": true, "time.Local": true, "time.Sleep": true, "time.After": true,
		"time.AfterFunc": true, "time.Tick": true, "time.NewTimer": true, "time.NewTicker": true,
		"github.com/closeloop/closeloop/workflows/policy.Location":         true, // loads zones: outside workflow code
		"github.com/closeloop/closeloop/workflows/policy.CalendarFromJSON": true,
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
	if len(files) == 0 {
		t.Fatal("no source files")
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: exportImporter(t, fset)}
	if _, err := conf.Check("sla", fset, files, info); err != nil {
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
				// Package-level names only: the method time.Time.After is fine.
				if obj := info.Uses[n.Sel]; obj != nil && obj.Pkg() != nil && obj.Parent() == obj.Pkg().Scope() {
					if name := obj.Pkg().Path() + "." + obj.Name(); forbidden[name] {
						t.Errorf("%s: uses %s", fset.Position(n.Pos()), name)
					}
				}
			}
			return true
		})
	}
}

// exportImporter imports packages from the export data the go command built
// for this package's dependencies, the module's own packages included (the
// default importer finds only the standard library's).
func exportImporter(t *testing.T, fset *token.FileSet) types.Importer {
	t.Helper()
	out, err := exec.Command("go", "list", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -export: %v", err)
	}
	exports := map[string]string{}
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		if path, file, ok := bytes.Cut(line, []byte("\t")); ok && len(file) > 0 {
			exports[string(path)] = string(file)
		}
	}
	return importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		return os.Open(exports[path])
	})
}
