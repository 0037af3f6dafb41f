package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	pathpkg "path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// schemaDir holds a JSON Schema for each JSON document retar prints; made
// absolute before any test changes directory (the examples run elsewhere).
var schemaDir = func() string {
	d, err := filepath.Abs(filepath.Join("..", "docs", "schema"))
	if err != nil {
		panic(err)
	}
	return d
}()

// jsonOutput is one JSON document retar prints: the schema describing it
// (docs/schema/NAME.schema.json), the command lines that print it, and a
// command line that does, for the table test (SRC: an archive).
type jsonOutput struct {
	schema  string
	command string // the command; "" for any
	flag    string // the flag that asks for JSON; "" when the command always prints it
	lines   bool   // JSON lines on stderr, among other lines, rather than a document on stdout
	example []string
}

// jsonOutputs lists them all: a command that prints JSON adds a schema file
// and a row here, and every CLI test's output of it is validated (run).
var jsonOutputs = []jsonOutput{
	{schema: "inspect", command: "inspect", example: []string{"inspect", "SRC"}},
	{schema: "check", command: "check", flag: "--json", example: []string{"check", "--json", "SRC"}},
	{schema: "verify", command: "verify", flag: "--json", example: []string{"verify", "--json", "SRC"}},
	{schema: "version", command: "version", flag: "--json", example: []string{"version", "--json"}},
	{schema: "digests", command: "digests", flag: "--json", example: []string{"digests", "--json", "SRC"}},
	{schema: "diff", command: "diff", flag: "--json", example: []string{"diff", "--json", "--files", "SRC", "SRC"}},
	{schema: "explain", command: "explain", flag: "--json", example: []string{"explain", "--json", "more than one image in oci archive", "SRC"}},
	{schema: "progress", flag: "--progress=json", lines: true, example: []string{"verify", "--progress=json", "SRC"}},
}

// printsJSON says whether args ask for o's JSON: its command, its flag, and
// no --format but json (a template prints something else; --raw and
// --config print the stored bytes).
func (o jsonOutput) printsJSON(args []string) bool {
	if slices.Contains(args, "--help") || slices.Contains(args, "-h") {
		return false
	}
	if o.command != "" && (len(args) == 0 || args[0] != o.command) {
		return false
	}
	hasFlag := o.flag == "" || slices.Contains(args, o.flag)
	if name, value, ok := strings.Cut(o.flag, "="); ok && !hasFlag {
		hasFlag = slices.Contains(args, name) && slices.Index(args, name)+1 < len(args) && args[slices.Index(args, name)+1] == value
	}
	format, hasFormat := flagValue(args, "--format")
	if o.lines {
		return hasFlag
	}
	if hasFormat && format != "" {
		return format == "json" // the JSON itself, as --json prints it
	}
	return hasFlag && !slices.Contains(args, "--raw") && !slices.Contains(args, "--config")
}

// flagValue is the value of a string flag, as --name VALUE or --name=VALUE.
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1], true
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

var (
	schemasOnce sync.Once
	schemas     map[string]*jsonschema.Schema
	schemasErr  error
	validated   atomic.Int64 // documents and lines validated, all tests together
)

// loadSchemas compiles every schema, each object with properties and no
// additionalProperties of its own closed to others: the published schemas
// let a later minor version add keys, the tests hold the code to the keys
// its schema lists, so that a key printed and not documented fails.
func loadSchemas() (map[string]*jsonschema.Schema, error) {
	schemasOnce.Do(func() {
		files, err := filepath.Glob(filepath.Join(schemaDir, "*.schema.json"))
		if err != nil || len(files) == 0 {
			schemasErr = fmt.Errorf("no schemas in %s (%v)", schemaDir, err)
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		ids := map[string]string{}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				schemasErr = err
				return
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				schemasErr = fmt.Errorf("%s: %w", f, err)
				return
			}
			closeObjects(doc)
			id, _ := doc.(map[string]any)["$id"].(string)
			if err := c.AddResource(id, doc); err != nil {
				schemasErr = fmt.Errorf("%s: %w", f, err)
				return
			}
			ids[strings.TrimSuffix(filepath.Base(f), ".schema.json")] = id
		}
		schemas = map[string]*jsonschema.Schema{}
		for name, id := range ids {
			if schemas[name], schemasErr = c.Compile(id); schemasErr != nil {
				return
			}
		}
	})
	return schemas, schemasErr
}

// closeObjects sets additionalProperties to false in every schema object
// that lists properties and says nothing of others.
func closeObjects(v any) {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["properties"]; ok {
			if _, ok := x["additionalProperties"]; !ok {
				x["additionalProperties"] = false
			}
		}
		for _, e := range x {
			closeObjects(e)
		}
	case []any:
		for _, e := range x {
			closeObjects(e)
		}
	}
}

// validateOutput validates what a successful retar run printed as JSON
// against its schema; run calls it for every CLI test.
func validateOutput(t *testing.T, args []string, code int, stdout, stderr string) {
	t.Helper()
	if code != 0 {
		return // a failure prints no JSON
	}
	for _, o := range jsonOutputs {
		if !o.printsJSON(args) {
			continue
		}
		docs := []string{stdout}
		if o.lines {
			docs = nil
			for _, l := range strings.Split(stderr, "\n") {
				if strings.HasPrefix(l, "{") {
					docs = append(docs, l)
				}
			}
		}
		for _, d := range docs {
			if err := validate(o.schema, d); err != nil {
				t.Errorf("retar %s: %v", strings.Join(args, " "), err)
			}
		}
	}
}

// validate checks one document against docs/schema/NAME.schema.json.
func validate(name, doc string) error {
	s, err := loadSchemas()
	if err != nil {
		return err
	}
	if s[name] == nil {
		return fmt.Errorf("no schema %s in %s", name, schemaDir)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
	if err != nil {
		return fmt.Errorf("not JSON (%v): %.200s", err, doc)
	}
	validated.Add(1)
	if err := s[name].Validate(inst); err != nil {
		return fmt.Errorf("%s.schema.json: %v\n%.2000s", name, err, doc)
	}
	return nil
}

// Every schema file has its row in jsonOutputs, and every row its file.
func TestJSONSchemasListed(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(schemaDir, "*.schema.json"))
	require.NoError(t, err)
	var have, want []string
	for _, f := range files {
		have = append(have, strings.TrimSuffix(filepath.Base(f), ".schema.json"))
	}
	for _, o := range jsonOutputs {
		want = append(want, o.schema)
	}
	sort.Strings(want)
	assert.Equal(t, want, have, "docs/schema and jsonOutputs list the same documents")
	_, err = loadSchemas()
	require.NoError(t, err)
}

// Each JSON document, printed on an archive with several images, names,
// signatures and SBOMs, holds to its schema, carries schemaVersion 1 at the
// top, and fails the schema when any of its keys is renamed or a required
// one removed: the schemas are strict enough to catch a changed contract.
func TestJSONSchemas(t *testing.T) {
	srcs := []string{filepath.Join("..", "golden", "testdata", "supply", "signed.tar"),
		filepath.Join("..", "golden", "testdata", "real", "docker-save-two-images.tar")}
	for _, o := range jsonOutputs {
		t.Run(o.schema, func(t *testing.T) {
			for _, src := range srcs {
				args := slices.Clone(o.example)
				for i, a := range args {
					args[i] = strings.ReplaceAll(a, "SRC", src)
				}
				require.True(t, o.printsJSON(args), "the example %q prints its JSON", args)
				code, stdout, stderr := run(t, args...)
				require.Equal(t, 0, code, stderr)
				doc := stdout
				if o.lines {
					doc, _, _ = strings.Cut(stderr, "\n")
				}
				require.NoError(t, validate(o.schema, doc))
				var top map[string]any
				require.NoError(t, json.Unmarshal([]byte(doc), &top))
				assert.Equal(t, 1.0, top["schemaVersion"], "schemaVersion at the top")
				mustFail(t, o.schema, doc)
			}
		})
	}
}

// mustFail changes doc in the ways a broken contract would, one at a time,
// and wants each change rejected: each key renamed (in objects with fixed
// keys: Labels and Annotations map names to values), each required key of
// the top removed, schemaVersion 2, a string where a number was.
func mustFail(t *testing.T, schema, doc string) {
	t.Helper()
	var top map[string]any
	require.NoError(t, json.Unmarshal([]byte(doc), &top))
	changes := 0
	reject := func(what string, v any) {
		t.Helper()
		b, err := json.Marshal(v)
		require.NoError(t, err)
		changes++
		if validate(schema, string(b)) == nil {
			t.Errorf("%s.schema.json takes the document with %s", schema, what)
		}
	}
	renameEach(top, "", func(path string, restore func()) {
		reject("the key "+path+" renamed", top)
		restore()
	})
	for _, k := range requiredKeys(t, schema) {
		v := top[k]
		delete(top, k)
		reject("no "+k, top)
		top[k] = v
	}
	top["schemaVersion"] = 2
	reject("schemaVersion 2", top)
	top["schemaVersion"] = "1"
	reject("schemaVersion a string", top)
	assert.Greater(t, changes, 5)
}

// requiredKeys are the keys a schema requires at the top.
func requiredKeys(t *testing.T, schema string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(schemaDir, schema+".schema.json"))
	require.NoError(t, err)
	var s struct{ Required []string }
	require.NoError(t, json.Unmarshal(b, &s))
	require.Contains(t, s.Required, "schemaVersion")
	return s.Required
}

// renameEach renames each key of the objects in v in turn (path/key), calls
// try, which restores it; the keys of maps from names to values are left.
func renameEach(v any, path string, try func(path string, restore func())) {
	switch x := v.(type) {
	case map[string]any:
		if k := pathpkg.Base(path); k == "Labels" || k == "Annotations" {
			return
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			e := x[k]
			delete(x, k)
			x[k+"Renamed"] = e
			try(path+"/"+k, func() { delete(x, k+"Renamed"); x[k] = e })
			renameEach(e, path+"/"+k, try)
		}
	case []any:
		if len(x) > 0 {
			renameEach(x[0], path+"/0", try)
		}
	}
}

// curatedPath finds the third-party inputs the golden tests convert.
var curatedPath = regexp.MustCompile(`path: "([^"]+)"`)

// goldenInputs are the archives and layouts the golden tests read:
// testdata/real, real-docker29 and supply, and the curated third-party ones.
func goldenInputs(t *testing.T) []string {
	t.Helper()
	root := filepath.Join("..", "golden", "testdata")
	var ins []string
	for _, d := range []string{"real", "real-docker29", "supply"} {
		es, err := os.ReadDir(filepath.Join(root, d))
		require.NoError(t, err)
		for _, e := range es {
			if !strings.HasSuffix(e.Name(), ".md") {
				ins = append(ins, filepath.Join(root, d, e.Name()))
			}
		}
	}
	b, err := os.ReadFile(filepath.Join("..", "golden", "golden_test.go"))
	require.NoError(t, err)
	for _, m := range curatedPath.FindAllStringSubmatch(string(b), -1) {
		ins = append(ins, filepath.Join(root, "thirdparty", m[1]))
	}
	return ins
}

// Every JSON document inspect, check and verify print of the golden tests'
// inputs holds to its schema (run validates each one).
func TestJSONSchemasOnGoldenInputs(t *testing.T) {
	ins := goldenInputs(t)
	require.Greater(t, len(ins), 30, "the golden inputs")
	before := validated.Load()
	ok := 0
	for _, in := range ins {
		for _, args := range [][]string{{"inspect", in}, {"check", "--json", in}, {"verify", "--json", "--progress=json", in}} {
			if code, _, _ := run(t, args...); code == 0 {
				ok++
			}
		}
	}
	t.Logf("%d inputs, %d outputs, %d documents validated", len(ins), ok, validated.Load()-before)
	assert.Greater(t, ok, 2*len(ins), "most inputs are read")
	assert.Greater(t, validated.Load()-before, int64(ok), "every output validated, progress lines too")
}
