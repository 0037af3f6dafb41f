package cli_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jsonOf runs retar and decodes the JSON it prints.
func jsonOf(t *testing.T, v any, args ...string) {
	t.Helper()
	require.NoError(t, json.Unmarshal([]byte(mustRun(t, args...)), v))
}

// --format's data is the command's JSON, keys as there: each template prints
// what the JSON holds, numbers as integers, with one newline at the end.
func TestFormatTemplates(t *testing.T) {
	signed := filepath.Join("..", "golden", "testdata", "supply", "signed.tar")
	two := filepath.Join("..", "golden", "testdata", "real", "docker-save-two-images.tar")
	var in struct {
		Digest, Os string
		RepoTags   []string
		Layers     []string
		Images     []struct {
			Digest string
			Size   int64
			Names  []string
		}
	}
	jsonOf(t, &in, "inspect", two)
	require.Len(t, in.Images, 2)
	var rep struct {
		Source    string
		Consumers []struct {
			Consumer string
			Loads    bool
		}
	}
	jsonOf(t, &rep, "check", "--json", signed)
	var ver struct{ Blobs, Bytes int64 }
	jsonOf(t, &ver, "verify", "--json", two)
	var v struct{ Version string }
	jsonOf(t, &v, "version", "--json")

	var consumers strings.Builder
	for _, c := range rep.Consumers {
		fmt.Fprintf(&consumers, "%s %v\n", c.Consumer, c.Loads)
	}
	names, _ := json.Marshal(in.Images[1].Names)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"inspect", "--format", "{{.Digest}}", two}, in.Digest + "\n"},
		{[]string{"inspect", "--format={{join .RepoTags \", \"}}: {{len .Layers}} layers", two},
			fmt.Sprintf("%s: %d layers\n", strings.Join(in.RepoTags, ", "), len(in.Layers))},
		{[]string{"inspect", "--format", "{{(index .Images 1).Size}} {{json (index .Images 1).Names}}", two},
			fmt.Sprintf("%d %s\n", in.Images[1].Size, names)},
		{[]string{"inspect", "--format", "{{if gt (index .Images 0).Size 1000}}big{{end}} {{upper .Os}} {{lower \"A\"}}", two},
			fmt.Sprintf("%s %s a\n", map[bool]string{true: "big"}[in.Images[0].Size > 1000], strings.ToUpper(in.Os))},
		{[]string{"inspect", "--format", "{{range split .Digest \":\"}}{{.}}\n{{end}}", two}, strings.ReplaceAll(in.Digest, ":", "\n") + "\n"},
		{[]string{"check", "--format", "{{range .consumers}}{{.consumer}} {{.loads}}{{println}}{{end}}", signed}, consumers.String()},
		{[]string{"check", "--format", "{{.source}}", signed}, rep.Source + "\n"},
		{[]string{"verify", "--format", "{{.blobs}} blobs, {{.bytes}} bytes", two}, fmt.Sprintf("%d blobs, %d bytes\n", ver.Blobs, ver.Bytes)},
		{[]string{"version", "--format", "{{.version}}{{with index . \"nothere\"}}{{.}}{{end}}"}, v.Version + "\n"},
		{[]string{"version", "--format", "{{.schemaVersion}}"}, "1\n"},
		{[]string{"verify", "--format", "json", two}, mustRun(t, "verify", "--json", two)},
		{[]string{"check", "--format", "json", signed}, mustRun(t, "check", "--json", signed)},
		{[]string{"inspect", "--format", "json", two}, mustRun(t, "inspect", two)},
	} {
		code, stdout, stderr := run(t, c.args...)
		require.Equal(t, 0, code, "%q: %s", c.args, stderr)
		assert.Equal(t, c.want, stdout, "%q", c.args)
	}
}

// A template that does not parse, that names a key the JSON lacks (case
// matters: inspect's keys are skopeo's), or --format with --json, --raw or
// --config: a usage error, one line naming the problem, nothing on stdout.
// A template that does not parse is refused before the source is read.
func TestFormatUsageErrors(t *testing.T) {
	two := filepath.Join("..", "golden", "testdata", "real", "docker-save-two-images.tar")
	for _, c := range []struct {
		args  []string
		names []string
	}{
		{[]string{"inspect", "--format", "{{.Name", two}, []string{"--format:1", "unclosed action"}},
		{[]string{"inspect", "--format", "{{.Name", "/no/such/archive.tar"}, []string{"--format:1"}},
		{[]string{"inspect", "--format", "{{jsn .}}", two}, []string{`function "jsn" not defined`}},
		{[]string{"inspect", "--format", "{{.name}}", two}, []string{`key "name"`, "retar inspect --help"}},
		{[]string{"check", "--format", "{{.Source}}", two}, []string{`key "Source"`}},
		{[]string{"verify", "--format", "{{join .blobs \",\"}}", two}, []string{"join", "not a list"}},
		{[]string{"version", "--format", "{{.commit.x}}"}, []string{"--format"}},
		{[]string{"check", "--json", "--format", "{{.source}}", two}, []string{"--format and --json"}},
		{[]string{"verify", "--format", "json", "--json", two}, []string{"--format and --json"}},
		{[]string{"version", "--json", "--format", "{{.version}}"}, []string{"--format and --json"}},
		{[]string{"inspect", "--raw", "--format", "{{.Name}}", two}, []string{"--format and --raw"}},
		{[]string{"inspect", "--config", "--format", "json", two}, []string{"--format and --config"}},
	} {
		code, stdout, stderr := run(t, c.args...)
		oneLineFailure(t, code, stderr, 2, c.names...)
		assert.Empty(t, stdout, "%q", c.args)
	}
}

// --format completes json, docker's word for the JSON itself.
func TestCompleteFormat(t *testing.T) {
	for _, cmd := range []string{"inspect", "check", "verify", "version"} {
		got, _ := complete(t, cmd, "--format", "")
		assert.Equal(t, []string{"json"}, got, cmd)
	}
}
