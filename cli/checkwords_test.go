package cli_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retar-dev/retar/internal/imagetest"
)

// lines are a command's output lines.
func lines(s string) []string { return strings.Split(strings.TrimSuffix(s, "\n"), "\n") }

// TestConvertSaysEachFactOnce: after a conversion, one line per fact, the
// loaders it stops named together; convert's notice of the same fact is
// not printed as well.
func TestConvertSaysEachFactOnce(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := run(t, "convert", realInput("skopeo-docker-archive-unnamed.tar"), "docker-archive:"+filepath.Join(dir, "x.tar"))
	require.Equal(t, 0, code, stderr)
	got := lines(stderr)
	require.Len(t, got, 2, stderr)
	assert.Equal(t, "retar: no name: docker 25–28 with the containerd store, containerd 1.6–2.4 and k3s will register nothing; give one with -t NAME", got[0])
	assert.True(t, strings.HasPrefix(got[1], "wrote docker-archive:"), got[1])

	// a name given: nothing to say
	code, _, stderr = run(t, "convert", "-t", "example.com/app:1", realInput("skopeo-docker-archive-unnamed.tar"), "docker-archive:"+filepath.Join(dir, "y.tar"))
	require.Equal(t, 0, code, stderr)
	assert.Len(t, lines(stderr), 1, stderr)

	// standard output cannot be read back: convert's notice says it
	code, _, stderr = run(t, "convert", realInput("skopeo-docker-archive-unnamed.tar"), "docker-archive:-")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "retar: notice: image @0 has no name")
}

// TestConvertReadersFirst: the output's main readers come first: docker's
// for an image that came from a docker-archive, containerd's importers
// for an OCI one.
func TestConvertReadersFirst(t *testing.T) {
	dir := t.TempDir()
	facts := func(src, dst string) []string {
		code, _, stderr := run(t, "convert", "--compress", "zstd", src, dst)
		require.Equal(t, 0, code, stderr)
		var out []string
		for _, l := range lines(stderr) {
			if strings.HasPrefix(l, "retar: ") && !strings.HasPrefix(l, "retar: notice:") {
				out = append(out, strings.SplitN(strings.TrimPrefix(l, "retar: "), ":", 2)[0])
			}
		}
		return out
	}
	assert.Equal(t, []string{"zstd layers, as --compress zstd asked", "no name"},
		facts(realInput("skopeo-docker-archive-unnamed.tar"), "docker-archive:"+filepath.Join(dir, "d.tar")))
	assert.Equal(t, []string{"no name", "zstd layers, as --compress zstd asked"},
		facts(realInput("skopeo-oci-archive-unnamed.tar"), "oci-archive:"+filepath.Join(dir, "o.tar")))
}

// TestConvertForNarrows: with --for, the loaders asked for only: nothing
// about the others, and one error line for those that will not load it.
func TestConvertForNarrows(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := run(t, "convert", "--for", "docker-20,podman", realInput("skopeo-docker-archive-unnamed.tar"), "docker-archive:"+filepath.Join(dir, "x.tar"))
	require.Equal(t, 0, code, stderr)
	assert.Len(t, lines(stderr), 1, stderr)
	assert.NotContains(t, stderr, "containerd")
	assert.NotContains(t, stderr, "retar: no name")

	code, _, stderr = run(t, "convert", "--for", "docker-20", "--compress", "keep", "oci:"+realInput("skopeo-oci-zstd"), "docker-archive:"+filepath.Join(dir, "z.tar"))
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, stderr, "--compress keep")
}

// TestConvertAdviceFitsWhatWasDone: advice never undoes what the user just
// asked for without saying so, nor asks for what was done.
func TestConvertAdviceFitsWhatWasDone(t *testing.T) {
	dir := t.TempDir()
	out := func(n string) string { return filepath.Join(dir, n) }
	s390x := out("s390x.tar")
	imagetest.New(t, imagetest.Layers(1), imagetest.Names("example.com/x:1"), imagetest.Platform("linux/s390x")).OCIArchive(t).WriteFile(t, s390x)
	multi := filepath.Join("..", "golden", "testdata", "real-docker29", "d29d-save-multiplatform.tar")
	for _, c := range []struct {
		name         string
		args         []string
		want, unwant []string
	}{
		{"an oci-archive with --oci-strict", []string{"--oci-strict", realInput("skopeo-docker-archive-named.tar"), "oci-archive:" + out("a.tar")},
			[]string{"no manifest.json, as --oci-strict asked", "without --oci-strict"}, []string{"convert it to an oci-archive"}},
		{"--compress zstd into a docker-archive", []string{"--compress", "zstd", realInput("docker-save-single.tar"), "docker-archive:" + out("b.tar")},
			[]string{"zstd layers, as --compress zstd asked"}, []string{"retar convert", "has zstd layers"}},
		{"--platform another than the host's", []string{"--platform", "linux/s390x", s390x, "oci-archive:" + out("c.tar")},
			[]string{"as --platform linux/s390x asked"}, []string{"use --platform", "choose with --platform"}},
		{"every platform kept", []string{multi, "oci-archive:" + out("d.tar")},
			[]string{"the index keeps every platform"}, []string{"took linux/"}},
		{"a .gz DST", []string{realInput("docker-save-single.tar"), out("e.tar.gz")},
			[]string{"a compressed archive, as its .gz name asked"}, []string{"decompress it"}},
		{"--keep-absent", []string{"--keep-absent", filepath.Join("..", "golden", "testdata", "real-docker29", "d29d-save-absent.tar"), "oci-archive:" + out("f.tar")},
			[]string{"are absent, as --keep-absent asked: kind will fail"}, []string{"kept in the index (--keep-absent)", "retar convert leaves them out"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := run(t, append([]string{"convert"}, c.args...)...)
			require.Equal(t, 0, code, stderr)
			for _, w := range c.want {
				assert.Contains(t, stderr, w)
			}
			for _, w := range c.unwant {
				assert.NotContains(t, stderr, w)
			}
		})
	}
}

// TestCheckWords: check starts with its summary, fits a terminal's screen
// on a nameless archive, keeps the basis for --verbose and --json, and
// --for reports on those loaders only.
func TestCheckWords(t *testing.T) {
	src := realInput("skopeo-docker-archive-unnamed.tar")
	code, stdout, stderr := run(t, "check", src)
	require.Equal(t, 0, code, stderr)
	out := lines(stdout)
	assert.LessOrEqual(t, len(out), 24, stdout)
	assert.Equal(t, "loads in 8 of 15 loaders: docker (but 25–28 with the containerd store), kind, nerdctl, podman and skopeo", out[0])
	assert.NotContains(t, stdout, "measured")
	assert.NotContains(t, stdout, "loader's code")
	assert.Equal(t, 1, strings.Count(stdout, "registers nothing"), "one block for one reason:\n%s", stdout)
	assert.Contains(t, stdout, "retar convert -t NAME "+src)

	_, stdout, _ = run(t, "check", "--verbose", src)
	assert.Contains(t, stdout, "measured: containerd 1.6.20")
	assert.Contains(t, stdout, "from the loader's code, not measured")
	assert.Contains(t, stdout, "$ docker load -i "+src)

	_, stdout, _ = run(t, "check", "--json", src)
	var rep struct {
		Consumers []struct {
			Consumer, Basis string
			Facts           []struct{ Fact string }
		}
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	assert.Len(t, rep.Consumers, 15)
	for _, v := range rep.Consumers {
		assert.NotEmpty(t, v.Basis, v.Consumer)
	}

	code, stdout, stderr = run(t, "check", "--for", "containerd", src)
	assert.Equal(t, 1, code)
	for _, l := range lines(stdout)[2:] { // the source's path says skopeo and docker
		if !strings.HasPrefix(l, "    $ ") {
			for _, other := range []string{"docker", "podman", "skopeo"} {
				assert.NotContains(t, l, other)
			}
		}
	}
	assert.True(t, strings.HasPrefix(stdout, "loads in 2 of the 8 asked for: kind and nerdctl\n"), stdout)
	oneLineFailure(t, code, stderr, 1, "will not load in containerd 1.6–2.4 and k3s", "--for containerd")

	// a group stands for each of its loaders, and says which will not
	code, stdout, stderr = run(t, "check", "--for", "docker", src)
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout, "loads in 4 of the 5 asked for")
	oneLineFailure(t, code, stderr, 1, "will not load in docker 25–28 with the containerd store")
	code, _, stderr = run(t, "check", "--for", "docker-29", "--for", "docker-20", src)
	assert.Equal(t, 0, code, stderr)

	code, stdout, _ = run(t, "check", "--help")
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "check [--for LOADERS]")
	assert.NotContains(t, strings.ToLower(stdout), "consumer")
}
