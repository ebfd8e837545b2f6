package layout_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aloft-run/aloft/layout"
)

// keyPrefixes are the bucket's top-level prefixes: a string literal starting
// with one builds or parses a key by hand.
var keyPrefixes = []string{
	layout.ExecutionsRoot, layout.CatalogRoot, layout.DataRoot, layout.RegistryRoot, layout.RequestsRoot,
	layout.IndexRoot, layout.ActiveRoot, layout.QuarantineRoot, layout.IncomingRoot, layout.TriggeredRoot,
}

// keyNames are object names that only layout may spell.
var keyNames = []string{"state.json", layout.OutputsFile, layout.ErrorFile}

// exempt are the folders (relative to the module root) whose literals may
// spell keys: layout itself, the store port's conformance data, and the CDK
// app (its own module).
var exempt = []string{"layout", filepath.Join("store", "storetest"), "cdk"}

// keyLiteral reports whether a string literal's value spells a bucket key.
func keyLiteral(s string) bool {
	for _, p := range keyPrefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	for _, n := range keyNames {
		if s == n || strings.HasSuffix(s, "/"+n) {
			return true
		}
	}
	return false
}

func TestKeyLiteral(t *testing.T) {
	for s, want := range map[string]bool{
		"executions/": true, "data/x/y/1/": true, "requests/launch/": true, "quarantine/k": true,
		"state.json": true, "x/outputs.json": true, "/error.json": true,
		"data": false, "my data/": false, "outputs.json.bak": false, "the state.json file": false, "": false,
	} {
		assert.Equal(t, want, keyLiteral(s), "%q", s)
	}
}

// TestNoKeysOutsideLayout keeps Decision 20: no non-test Go file of the
// module outside the exempt folders has a string literal that spells a
// bucket key (doc comments may mention keys).
func TestNoKeysOutsideLayout(t *testing.T) {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(root, "go.mod"))
	require.NoError(t, err, "the module root is the layout package's parent")

	fset := token.NewFileSet()
	var files int
	var found []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			base := d.Name()
			if rel != "." && (strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") || base == "testdata" || base == "node_modules") {
				return filepath.SkipDir
			}
			for _, e := range exempt {
				if rel == e {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files++
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			if s, err := strconv.Unquote(lit.Value); err == nil && keyLiteral(s) {
				pos := fset.Position(lit.Pos())
				rp, _ := filepath.Rel(root, pos.Filename)
				found = append(found, rp+":"+strconv.Itoa(pos.Line)+": "+lit.Value)
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, files, 50, "the walk found the module's Go files")
	assert.Empty(t, found, "string literals spelling bucket keys outside package layout (use layout's builders and parsers)")
}
