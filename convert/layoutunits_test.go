package convert

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// unitFiles are the layout units and the registry that lists them: the
// only files that may name a layout.
var unitFiles = map[string]bool{
	"layout.go":        true,
	"registry.go":      true,
	"dockerarchive.go": true,
	"dockerlegacy.go":  true,
	"dockerwrite.go":   true,
	"ocilayout.go":     true,
	"dirlayout.go":     true,
	"schema1.go":       true,
}

// Outside the layout units, nothing tells one layout from another by name:
// the stages and the rest ask the destination's unit, through its holding.
func TestLayoutsNamedInUnitsOnly(t *testing.T) {
	layouts := map[string]bool{"DockerArchive": true, "OCIArchive": true, "OCI": true, "Dir": true}
	if len(layouts) != len(Layouts()) {
		t.Fatalf("the registry lists %d layouts, this test knows %d of them", len(Layouts()), len(layouts))
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || unitFiles[f] {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		// Names that are not the layout constants: fields and selectors
		// (in.Dir, path.Dir) and keys of composite literals.
		notLayout := map[*ast.Ident]bool{}
		ast.Inspect(af, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				notLayout[n.Sel] = true
			case *ast.Field:
				for _, id := range n.Names {
					notLayout[id] = true
				}
			case *ast.KeyValueExpr:
				if id, ok := n.Key.(*ast.Ident); ok {
					notLayout[id] = true
				}
			case *ast.Ident:
				if layouts[n.Name] && !notLayout[n] {
					t.Errorf("%s: names the layout %s outside the layout units: ask the unit's holding instead", fset.Position(n.Pos()), n.Name)
				}
			}
			return true
		})
	}
}
