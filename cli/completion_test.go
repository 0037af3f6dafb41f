package cli_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retar-dev/retar/internal/imagetest"
)

// complete asks retar for completions as the shells' scripts do
// (retar __complete ARGS... WORD) and returns them and the directive.
func complete(t *testing.T, args ...string) ([]string, int) {
	t.Helper()
	code, out, stderr := run(t, append([]string{"__complete"}, args...)...)
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	require.True(t, strings.HasPrefix(last, ":"), "no directive in %q", out)
	directive, err := strconv.Atoi(last[1:])
	require.NoError(t, err)
	var got []string
	for _, l := range lines[:len(lines)-1] {
		if l != "" && !strings.HasPrefix(l, "Completion ended") {
			got = append(got, l)
		}
	}
	return got, directive
}

// cobra's directives, as the scripts read them.
const (
	noSpace    = 2
	noFileComp = 4
)

func TestCompleteTransportsAndPaths(t *testing.T) {
	dir := t.TempDir()
	wd, _ := os.Getwd()
	t.Cleanup(func() { os.Chdir(wd) })
	require.NoError(t, os.Chdir(dir))
	os.WriteFile("app.tar", nil, 0o644)
	os.WriteFile("apple.tar.gz", nil, 0o644)
	os.WriteFile(".hidden", nil, 0o644)
	os.Mkdir("app-layout", 0o755)

	got, d := complete(t, "convert", "oci-a")
	assert.Equal(t, []string{"oci-archive:"}, got)
	assert.Equal(t, noSpace|noFileComp, d, "the word goes on after a transport")

	got, _ = complete(t, "convert", "")
	assert.Subset(t, got, []string{"docker-archive:", "oci-archive:", "oci:", "dir:", "app.tar", "app-layout/"})
	assert.NotContains(t, got, ".hidden")

	got, _ = complete(t, "inspect", "docker-archive:app")
	assert.ElementsMatch(t, []string{"docker-archive:app.tar", "docker-archive:apple.tar.gz", "docker-archive:app-layout/"}, got)

	got, _ = complete(t, "convert", "x.tar", "oci:ap")
	assert.Equal(t, []string{"oci:app-layout/"}, got, "oci: and dir: are directories")

	got, d = complete(t, "verify", "app.t")
	assert.Equal(t, []string{"app.tar"}, got)
	assert.Equal(t, noFileComp, d, "a file name ends the word")

	got, _ = complete(t, "check", "oci-archive:app.tar:")
	assert.Empty(t, got, "nothing to offer for a REF")
}

func TestCompleteFlagValues(t *testing.T) {
	got, _ := complete(t, "convert", "--compress", "")
	assert.Equal(t, []string{"keep", "gzip", "zstd", "none"}, got)
	got, _ = complete(t, "convert", "--format", "")
	assert.Equal(t, []string{"oci", "v2s2"}, got)
	got, _ = complete(t, "verify", "--progress", "j")
	assert.Equal(t, []string{"json"}, got)
	got, _ = complete(t, "check", "--for", "docker,p")
	assert.Equal(t, []string{"docker,podman"}, got)
	got, _ = complete(t, "check", "--for", "ctr-")
	assert.Equal(t, []string{"ctr-1.6", "ctr-2.0", "ctr-2.1", "ctr-2.3", "ctr-2.4"}, got)
	got, _ = complete(t, "convert", "--for", "ki")
	assert.Equal(t, []string{"kind"}, got)
	got, _ = complete(t, "convert", "--attestations", "re")
	assert.Equal(t, []string{"referrers"}, got)
}

// --platform offers the platforms the source on the line holds.
func TestCompletePlatformsFromSource(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "multi.tar")
	imagetest.New(t, imagetest.Platforms("linux/amd64", "linux/arm64/v8")).OCIArchive(t).WriteFile(t, src)
	got, _ := complete(t, "convert", src, "--platform", "")
	assert.Equal(t, []string{"linux/amd64", "linux/arm64/v8"}, got)
	got, _ = complete(t, "inspect", "oci-archive:"+src, "--platform", "linux/arm")
	assert.Equal(t, []string{"linux/arm64/v8"}, got)
	got, _ = complete(t, "convert", filepath.Join(dir, "missing.tar"), "--platform", "")
	assert.Empty(t, got)
}

func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		code, out, stderr := run(t, "completion", shell)
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, out, "__complete", shell)
	}
}
