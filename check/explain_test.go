package check_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retar-dev/retar/check"
)

// realistic is a loader's output for a known message: each "..." filled
// with what a loader prints there (another digest, path, media type or
// name each time: n), numbers changed, and the loader's own prefix.
func realistic(k check.KnownMessage, n int) string {
	hex := strings.Repeat(fmt.Sprintf("%02x", byte(17*n+3)), 32)
	parts := strings.Split(k.Message, "...")
	var b strings.Builder
	for i, p := range parts {
		b.WriteString(p)
		if i == len(parts)-1 {
			break
		}
		next := parts[i+1]
		switch {
		case strings.HasSuffix(p, "sha256:"):
			b.WriteString(hex)
		case strings.HasPrefix(next, "/"):
			fmt.Fprintf(&b, "/var/lib/docker/tmp/docker-import-%d", 480000+n)
		case strings.HasSuffix(p, "layer "):
			b.WriteString("sha256:" + hex)
		case strings.HasSuffix(p, "for "):
			b.WriteString("application/vnd.in-toto+json")
		case strings.HasSuffix(p, "image "):
			fmt.Fprintf(&b, "%q", fmt.Sprintf("registry.example.com:5000/team/app-%d:v%d.2", n, n))
		default:
			fmt.Fprintf(&b, "thing-%d", n)
		}
	}
	s := strings.ReplaceAll(b.String(), "1 != 2", fmt.Sprintf("%d != %d", n+3, n+5))
	switch {
	case strings.HasPrefix(k.Loader, "ctr-"):
		return "ctr: " + s
	case strings.HasPrefix(k.Loader, "docker-"):
		return "Error response from daemon: " + s
	case k.Loader == "k3s":
		return fmt.Sprintf(`time="2026-11-%02dT10:42:07Z" level=error msg="Unable to import %s: %s"`, n%28+1, "/var/lib/rancher/k3s/agent/images/app.tar", s)
	case k.Loader == "podman":
		return "Error: " + s
	}
	return s
}

// Every message check knows, its variable parts other realistic values,
// is explained as said by its loader for its fact.
func TestExplainEveryKnownMessage(t *testing.T) {
	known := check.KnownMessages()
	require.Greater(t, len(known), 40)
	for i, k := range known {
		for _, n := range []int{i, i + 7} {
			out := realistic(k, n)
			found := false
			for _, m := range check.Match(out) {
				found = found || m.Loader == k.Loader && m.Fact == k.Fact
			}
			assert.True(t, found, "%s (%s, %s) not explained: %q", k.Message, k.Loader, k.Fact, out)
		}
	}
}

// The most specific quote that fits comes first, and words out of order
// or another loader's words do not match.
func TestExplainMatchOrder(t *testing.T) {
	ms := check.Match("ctr: failed to extract layer sha256:" + strings.Repeat("ab", 32) + ": failed to copy: unexpected EOF")
	require.NotEmpty(t, ms)
	assert.Equal(t, "failed to extract layer ...: unexpected EOF", ms[0].Message)
	assert.Empty(t, check.Match("format image unrecognized"))
	assert.Empty(t, check.Match("Loaded image: example.com/app:1"))
	// a path keeps its last part: docker's blobs/json is no other file
	for _, m := range check.Match("open /var/tmp/oci2878030881/index.json: no such file or directory") {
		assert.NotEqual(t, "open .../blobs/json: no such file or directory", m.Message)
	}
	assert.NotEmpty(t, check.Match("open /var/lib/docker/tmp/docker-import-2/blobs/json: no such file or directory"))
	near := check.Nearest("ctr: unrecognised image formats", 3)
	require.NotEmpty(t, near)
	assert.Equal(t, "unrecognized image format", near[0].Message)
	assert.Greater(t, near[0].Score, 0.0)
}

// The messages users bring, as they quote them (a part of the loader's
// line, an ellipsis for the digest), are explained to the fact behind
// them; messages no loader check judges prints for an archive are not.
func TestExplainUsersMessages(t *testing.T) {
	for _, c := range []struct {
		msg, loader string
		fact        check.Fact
	}{
		{"content digest sha256:… not found", "kind", check.FactAbsentManifests},
		{"unexpected EOF", "docker-24", check.FactZstdLayers},
		{"failed to get stream processor for application/vnd.in-toto+json", "ctr-1.6", check.FactNamedReferrers},
		{"Error: payload does not match any of the supported image formats", "podman", check.FactCompressed},
		{"mismatched image rootfs and manifest layers", "docker-29-containerd", check.FactChunked},
		{"Error response from daemon: invalid archive: does not contain a manifest.json", "docker-29-classic", check.FactNoManifestJSON},
		{`level=error msg="Unable to import /var/lib/rancher/k3s/agent/images/app.tar.zst: window size exceeded"`, "k3s", check.FactK3sZstdWindow},
	} {
		found := false
		for _, m := range check.Match(c.msg) {
			found = found || m.Loader == c.loader && m.Fact == c.fact
		}
		assert.True(t, found, "%q: not explained as %s's %s", c.msg, c.loader, c.fact)
	}
	// docker save's, and go-containerregistry's (crane, trivy): no loader
	// check judges prints them reading an archive
	assert.Empty(t, check.Match("Error response from daemon: no suitable export target found for platform linux/s390x"))
	assert.Empty(t, check.Match("file manifest.json not found in tar"))
	// a part too short to stand for a quote
	assert.Empty(t, check.Match("image ... not found"))
}

// The variable parts of a message are placeholders, whatever they are.
func TestNormalize(t *testing.T) {
	for _, c := range []struct{ a, b string }{
		{"content digest sha256:" + strings.Repeat("0f", 32) + ": not found", "content digest sha256:...: not found"},
		{"open /var/lib/docker/tmp/docker-import-1/blobs/json: no such file or directory", "open .../blobs/json: no such file or directory"},
		{`unsupported docker v2s2 media type: "application/vnd.oci.image.layer.v1.tar+zstd"`, `unsupported docker v2s2 media type: "x"`},
		{"number of layers and diffIDs don't match: 3 != 7", "number of layers and diffIDs don't match: 1 != 2"},
	} {
		assert.Equal(t, check.Normalize(c.b), check.Normalize(c.a))
	}
}

// notLoaderErrors are quotes in the rules' texts that are no error to
// explain: docker's line for whatever name it loads an image under.
var notLoaderErrors = map[string]bool{
	"Loaded image: TAG:latest": true,
	"Loaded image: %s:latest":  true,
}

// quoted finds the messages a rule quotes: \"...\" inside a string, of
// two words or more, and the values given to Verdict.Message.
var quotedInText = regexp.MustCompile(`"([^"%]*\s[^"]*)"`)

// Every message check's rules quote, in their source, is one explain knows:
// no rule says a message the table leaves out. A quote is a \"...\" inside
// a string, of two words or more; a string given as what a loader prints
// (a verdict's Message, refuse, quote); or a constant passed to quoteMsg.
func TestExplainKnowsEveryQuotedMessage(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	var parsed []*ast.File
	consts := map[string]ast.Expr{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || name == "say.go" || name == "for.go" {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		parsed = append(parsed, f)
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
				for _, sp := range g.Specs {
					vs := sp.(*ast.ValueSpec)
					for i, n := range vs.Names {
						if i < len(vs.Values) {
							consts[n.Name] = vs.Values[i]
						}
					}
				}
			}
		}
	}
	n := 0
	check1 := func(pos token.Pos, q string) {
		n++
		if !knownQuote(q) {
			t.Errorf("%s: %q is quoted by a rule but unknown to retar explain", fset.Position(pos), q)
		}
	}
	for _, f := range parsed {
		if strings.HasPrefix(fset.Position(f.Pos()).Filename, "explain") {
			continue
		}
		ast.Inspect(f, func(node ast.Node) bool {
			if e, ok := messageExpr(node); ok {
				if s, ok := constString(e, consts); ok && s != "" {
					check1(node.Pos(), s)
				}
			}
			lit, ok := node.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			require.NoError(t, err)
			for _, q := range quotedInText.FindAllStringSubmatch(s, -1) {
				if !notLoaderErrors[q[1]] && strings.Contains(q[1], " ") {
					check1(lit.Pos(), q[1])
				}
			}
			return true
		})
	}
	assert.Greater(t, n, 40, "quotes found in the rules")
}

// messageExpr is what a rule gives as what the loader prints: assigned to
// a verdict's Message, passed to refuse, quote or quoteMsg.
func messageExpr(node ast.Node) (ast.Expr, bool) {
	switch n := node.(type) {
	case *ast.AssignStmt:
		if sel, ok := n.Lhs[0].(*ast.SelectorExpr); ok && sel.Sel.Name == "Message" && len(n.Rhs) == len(n.Lhs) {
			return n.Rhs[0], true
		}
	case *ast.CallExpr:
		name := ""
		switch fn := n.Fun.(type) {
		case *ast.SelectorExpr:
			name = fn.Sel.Name
		case *ast.Ident:
			name = fn.Name
		}
		if (name == "refuse" || name == "quote" || name == "quoteMsg") && len(n.Args) > 0 {
			return n.Args[0], true
		}
	}
	return nil, false
}

// constString is the value of a constant string expression: literals,
// constants and their sums.
func constString(e ast.Expr, consts map[string]ast.Expr) (string, bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(x.Value)
		return s, err == nil
	case *ast.Ident:
		if v, ok := consts[x.Name]; ok {
			return constString(v, consts)
		}
	case *ast.BinaryExpr:
		a, ok1 := constString(x.X, consts)
		b, ok2 := constString(x.Y, consts)
		return a + b, ok1 && ok2 && x.Op == token.ADD
	}
	return "", false
}

// knownQuote: a message is known when a known one fits it, or it fits a
// known one (a rule may quote a message shorter: "content digest ...: not
// found" for "content digest sha256:...: not found").
func knownQuote(q string) bool {
	if len(check.Match(q)) > 0 {
		return true
	}
	for _, k := range check.KnownMessages() {
		if check.Says(k.Message, q) {
			return true
		}
	}
	return false
}

// Any text a user pastes is matched without a panic, and what matches is
// a known message.
func FuzzExplainMatch(f *testing.F) {
	for _, k := range check.KnownMessages() {
		f.Add(k.Message)
	}
	f.Add("ctr: content digest sha256:…: not found \x00 '\"\\ ‹any›")
	f.Fuzz(func(t *testing.T, s string) {
		for _, m := range check.Match(s) {
			if m.Message == "" || m.Loader == "" {
				t.Fatalf("%q matched an empty row: %+v", s, m)
			}
		}
		check.Nearest(s, 3)
	})
}
