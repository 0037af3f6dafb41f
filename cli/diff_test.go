package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/retar-dev/retar/internal/imagetest"
)

// retar diff exits as diff does: 0 the same, 1 different, 2 trouble; in
// trouble it says so in one line and prints no report.
func TestDiffExitStatus(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.tar")
	b := filepath.Join(dir, "b.tar")
	imagetest.New(t, imagetest.Env("N=1")).DockerArchive(t).WriteFile(t, a)
	imagetest.New(t, imagetest.Env("N=2")).DockerArchive(t).WriteFile(t, b)
	broken := filepath.Join(dir, "broken.tar")
	data, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(broken, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		out  string // in stdout
		err  string // in stderr, one line
	}{
		{args: []string{a, a}, code: 0, out: "the same"},
		{args: []string{a, "docker-archive:" + a}, code: 0, out: "A and B hold the same images."},
		{args: []string{"../golden/testdata/real/docker-save-single.tar", "../golden/testdata/real-docker29/d29d-save-single.tar"},
			code: 0, out: "A and B hold the same images, A as docker-archive, B as oci-archive."},
		{args: []string{a, b}, code: 1, out: `env N: "1" → "2"`},
		{args: []string{"--json", a, b}, code: 1, out: `"schemaVersion": 1`},
		{args: []string{a, filepath.Join(dir, "missing.tar")}, code: 2, err: "missing.tar"},
		{args: []string{a, broken}, code: 2, err: "broken.tar"},
		{args: []string{a + ":example.com/none:1", b}, code: 2, err: "example.com/none:1"},
		{args: []string{a}, code: 2, err: "two sources"},
		{args: []string{"-", "-"}, code: 2, err: "standard input"},
	} {
		code, stdout, stderr := run(t, append([]string{"diff"}, tc.args...)...)
		name := strings.Join(tc.args, " ")
		if code != tc.code {
			t.Errorf("diff %s: exit %d, want %d (%s)", name, code, tc.code, stderr)
		}
		if tc.err != "" {
			oneLineFailure(t, code, stderr, tc.code, tc.err)
			if stdout != "" {
				t.Errorf("diff %s: a report in trouble: %q", name, stdout)
			}
			continue
		}
		if !strings.Contains(stdout, tc.out) || stderr != "" {
			t.Errorf("diff %s: stdout %q lacks %q; stderr %q", name, stdout, tc.out, stderr)
		}
	}
}

// A layer that is not a tar, met by --files, is one line naming the
// archive and the layer; without --files its bytes are not read.
func TestDiffFilesBadLayer(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.tar")
	b := filepath.Join(dir, "b.tar")
	imagetest.New(t).OCIArchive(t).WriteFile(t, a)
	bad := []byte("this layer is not a tar archive, though its digests are right")
	imagetest.New(t, imagetest.LayerTars(bad)).OCIArchive(t).WriteFile(t, b)
	code, stdout, stderr := run(t, "diff", "--files", a, b)
	oneLineFailure(t, code, stderr, 2, "b.tar", digest.FromBytes(bad).String())
	if stdout != "" {
		t.Errorf("a report in trouble: %q", stdout)
	}
	if code, _, stderr := run(t, "diff", a, b); code != 1 {
		t.Errorf("without --files: exit %d, want 1: %s", code, stderr)
	}
}
