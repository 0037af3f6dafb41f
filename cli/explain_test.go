package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retar-dev/retar/check"
	"github.com/retar-dev/retar/cli"
)

// quotedMessage is a message a problem's text quotes: two words or more.
var quotedMessage = regexp.MustCompile(`"([^"]*\s[^"]*)"`)

// copyInput copies a fixture into dir, so a fix can write beside it.
func copyInput(t *testing.T, src, dir string) string {
	t.Helper()
	to := filepath.Join(dir, filepath.Base(src))
	fi, err := os.Stat(src)
	require.NoError(t, err)
	if fi.IsDir() {
		require.NoError(t, os.CopyFS(to, os.DirFS(src)))
		return to
	}
	b, err := os.ReadFile(src)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, b, 0o644))
	return to
}

// explainJSON runs retar explain --json and reads its answer.
func explainJSON(t *testing.T, args ...string) (int, cli.Explanation) {
	t.Helper()
	code, stdout, stderr := run(t, append([]string{"explain", "--json"}, args...)...)
	var x cli.Explanation
	require.NoError(t, json.Unmarshal([]byte(stdout), &x), stderr)
	require.Equal(t, 1, x.SchemaVersion)
	return code, x
}

// For every archive check has a fact for, each message a verdict that will
// not load it quotes (what it prints, or what its reason quotes) is
// explained, against that archive, as that loader's fact; the command it
// prints for the archive runs, and check then finds the fact no more.
func TestExplainEveryCheckMessage(t *testing.T) {
	dir := t.TempDir()
	seen, fixed := 0, 0
	for i, orig := range adviceFixtures(t, dir) {
		work := filepath.Join(dir, fmt.Sprintf("in%d", i))
		require.NoError(t, os.MkdirAll(work, 0o755))
		src := copyInput(t, orig, work)
		for id, v := range verdicts(t, src) {
			for _, p := range v.Facts {
				if !p.Fails {
					continue
				}
				msgs := quotedMessage.FindAllStringSubmatch(p.Text, -1)
				if v.Message != "" {
					msgs = append(msgs, []string{"", v.Message})
				}
				for _, m := range msgs {
					seen++
					fixed += explainOne(t, src, id, p, m[1])
				}
			}
		}
	}
	assert.Greater(t, seen, 20, "messages quoted by failing verdicts")
	assert.Greater(t, fixed, 10, "fixes run")
}

// explainOne explains one loader's message against src, checks it names
// p's fact for loader id, and runs the fix it prints: 1 when it ran one.
func explainOne(t *testing.T, src, id string, p check.Problem, msg string) int {
	t.Helper()
	hex := strings.Repeat("5e", 32)
	out := strings.ReplaceAll(msg, "sha256:...", "sha256:"+hex)
	out = strings.ReplaceAll(out, ".../", "/var/lib/docker/tmp/docker-import-2231/")
	out = strings.ReplaceAll(out, "...", "sha256:"+hex)
	code, x := explainJSON(t, "-t", "example.com/fixed:1", out, src)
	require.Equal(t, 0, code, "%s: %q unknown", src, out)
	require.NotNil(t, x.Archive)
	// without the archive, explain gives the fix the verdict gives
	if p.Fix != nil {
		ff := check.FactFix(p.Fact, id)
		if assert.NotNil(t, ff, "%s: no fix without an archive for %s's %s", src, id, p.Fact) {
			assert.Equal(t, p.Fix.Advice, ff.Advice, "%s: %s's %s", src, id, p.Fact)
		}
	}
	var fit *check.Fit
	for i, f := range x.Archive.Fits {
		if f.Loader == id && f.Fact == p.Fact && f.Confirmed {
			fit = &x.Archive.Fits[i]
		}
	}
	if !assert.NotNil(t, fit, "%s: %s's %q not confirmed as %s: %+v", src, id, out, p.Fact, x.Archive.Fits) || fit.Command == "" {
		return 0
	}
	args := strings.Fields(strings.ReplaceAll(fit.Command, "'", ""))
	require.Equal(t, "retar", args[0], fit.Command)
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, ":"+check.PickPlaceholder, ":@0")
	}
	dst := args[len(args)-1]
	if i := strings.Index(dst, ":"); i > 0 && !strings.HasPrefix(dst, "/") {
		dst = dst[i+1:]
	}
	os.RemoveAll(dst)
	c, _, stderr := run(t, append(args[1:], "-q")...)
	require.Equal(t, 0, c, "%s: %s", fit.Command, stderr)
	after := verdicts(t, dst)[id]
	for _, q := range after.Facts {
		assert.NotEqual(t, p.Fact, q.Fact, "%s: after %s, %s still says %q", src, fit.Command, id, q.Text)
	}
	if onlyFailure(verdicts(t, src)[id], p) {
		assert.True(t, after.Loads, "%s: after %s, %s still will not load it: %q", src, fit.Command, id, after.Problems)
	}
	return 1
}

// Unknown messages exit 1 and list the nearest known ones; a usage error
// or an archive that cannot be read exits 2; text output names the fact
// and prints the fix.
func TestExplainStatuses(t *testing.T) {
	code, x := explainJSON(t, "the disk caught fire while reading layer sha256:"+strings.Repeat("ab", 32))
	assert.Equal(t, 1, code)
	assert.False(t, x.Known)
	assert.NotEmpty(t, x.Nearest)
	code, _, stderr := run(t, "explain")
	assert.Equal(t, 2, code, stderr)
	code, _, stderr = run(t, "explain", "unrecognized image format", filepath.Join(t.TempDir(), "absent.tar"))
	assert.Equal(t, 2, code, stderr)
	var out, errb bytes.Buffer
	code = cli.Main([]string{"explain", "-"}, strings.NewReader("ctr: content digest sha256:"+strings.Repeat("0c", 32)+": not found\n"), &out, &errb)
	assert.Equal(t, 0, code, errb.String())
	assert.Contains(t, out.String(), "manifests the index lists are absent")
	code, stdout, _ := run(t, "explain", "ctr: unrecognized image format")
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "a dir: layout")
	assert.Contains(t, stdout, "$ retar convert ARCHIVE oci-archive:ARCHIVE-fixed.tar")
}
