package cli_test

import (
	"bufio"
	"encoding/json"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVersion(t *testing.T) {
	out := mustRun(t, "version")
	assert.True(t, strings.HasPrefix(out, "retar "), out)
	assert.Contains(t, out, "go: "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH)

	var v struct {
		Version, Go, Platform string
	}
	require.NoError(t, json.Unmarshal([]byte(mustRun(t, "version", "--json")), &v))
	assert.NotEmpty(t, v.Version)
	assert.Equal(t, runtime.Version(), v.Go)
	assert.Equal(t, runtime.GOOS+"/"+runtime.GOARCH, v.Platform)

	assert.Equal(t, "retar "+v.Version+"\n", mustRun(t, "--version"))
	code, _, stderr := run(t, "version", "extra")
	assert.Equal(t, 2, code, stderr)
}

// GNU-style flags: anywhere on the line, before or after the positionals,
// global ones before the command, --flag=value, -t NAME.
func TestFlagsAnywhere(t *testing.T) {
	dir, src := sourceArchive(t)
	for _, args := range [][]string{
		{"convert", src, "oci-archive:" + filepath.Join(dir, "a.tar"), "-q", "--format", "oci", "-t", "example.com/x:2"},
		{"-q", "convert", src, "--format=oci", "oci-archive:" + filepath.Join(dir, "b.tar"), "--tag=example.com/x:2"},
		{"convert", "--quiet", src, "oci-archive:" + filepath.Join(dir, "c.tar"), "--additional-tag", "example.com/x:2", "--format", "oci"},
	} {
		code, stdout, stderr := run(t, args...)
		require.Equal(t, 0, code, "%v: %s", args, stderr)
		assert.Empty(t, stdout)
		assert.Empty(t, stderr, "-q anywhere silences notices")
	}
	for _, name := range []string{"a.tar", "b.tar", "c.tar"} {
		v := inspectJSON(t, filepath.Join(dir, name))
		names, _ := v["RepoTags"].([]any)
		assert.Contains(t, names, "example.com/x:2", name)
	}
	assert.Equal(t, sha(t, filepath.Join(dir, "a.tar")), sha(t, filepath.Join(dir, "b.tar")))
	assert.Equal(t, sha(t, filepath.Join(dir, "a.tar")), sha(t, filepath.Join(dir, "c.tar")))
}

func TestHelpLayout(t *testing.T) {
	out := mustRun(t, "convert", "--help")
	for _, want := range []string{
		"Usage:\n  retar convert [flags] SRC [SRC...] DST",
		"Examples:\n  retar convert docker-archive:image.tar",
		"What is at DST:", // the destination policy
		"org.opencontainers.image.ref.name",
		"-t, --tag stringArray",
		"--additional-tag stringArray",
		"--platform stringArray",
		"--max-expansion RATIO",
		"Global Flags:",
		"-q, --quiet",
		"--progress string",
	} {
		assert.Contains(t, out, want)
	}
	out = mustRun(t, "--help")
	for _, want := range []string{"convert", "inspect", "verify", "check", "manifest-digest", "version", "completion", "TRANSPORT:PATH[:REF]"} {
		assert.Contains(t, out, want)
	}
}

// --progress=json prints JSON lines with the phase, bytes done and total;
// plain prints lines a person reads; neither goes to stdout; -q and a
// non-terminal stderr print none.
func TestProgressModes(t *testing.T) {
	dir, src := sourceArchive(t)
	code, stdout, stderr := run(t, "convert", "--progress=json", src, "oci-archive:"+filepath.Join(dir, "j.tar"))
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stdout)
	phases := map[string]bool{}
	var lines int
	sc := bufio.NewScanner(strings.NewReader(stderr))
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, "{") {
			continue
		}
		lines++
		var p struct {
			Phase      string
			Bytes      int64
			TotalBytes int64 `json:"totalBytes"`
			Blobs      int
			TotalBlobs int `json:"totalBlobs"`
			Done       bool
		}
		require.NoError(t, json.Unmarshal([]byte(l), &p), l)
		assert.LessOrEqual(t, p.Bytes, p.TotalBytes, l)
		if p.Done {
			phases[p.Phase] = true
			assert.Equal(t, p.TotalBytes, p.Bytes, "a phase ends with every byte: %s", l)
			assert.Equal(t, p.TotalBlobs, p.Blobs, l)
		}
	}
	assert.Greater(t, lines, 2)
	assert.True(t, phases["verifying"] && phases["writing"], "phases done: %v", phases)

	code, _, stderr = run(t, "convert", "--progress", "plain", src, "oci-archive:"+filepath.Join(dir, "p.tar"))
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "verifying: 3 blobs") // two layers and the config, checked where they land
	assert.Contains(t, stderr, "verifying: done,")
	assert.Contains(t, stderr, "writing: done,")

	for _, args := range [][]string{
		{"convert", "-q", "--progress=json", src, "oci-archive:" + filepath.Join(dir, "q.tar")},
		{"verify", "--progress=plain", "--quiet", src},
	} {
		code, _, stderr = run(t, args...)
		require.Equal(t, 0, code, stderr)
		assert.Empty(t, stderr, "-q silences all: %v", args)
	}
	code, _, stderr = run(t, "convert", src, "oci-archive:"+filepath.Join(dir, "n.tar"))
	require.Equal(t, 0, code, stderr)
	assert.NotContains(t, stderr, "verifying", "no progress on a non-terminal by default")

	code, _, stderr = run(t, "verify", "--progress=bars", src)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--progress")
}
