package check_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retar-dev/retar/check"
	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
)

func openPath(t *testing.T, p string) *convert.Archive {
	t.Helper()
	fi, err := os.Stat(p)
	require.NoError(t, err)
	in := convert.Input{Name: p}
	if fi.IsDir() {
		in.Dir = os.DirFS(p)
	} else {
		f, err := os.Open(p)
		require.NoError(t, err)
		t.Cleanup(func() { f.Close() })
		in.Archive, in.Size = f, fi.Size()
	}
	a, err := convert.Open(in)
	require.NoError(t, err)
	return a
}

// realInput, thirdParty and docker29Input are inputs of golden/testdata.
func realInput(n string) string  { return filepath.Join("..", "golden", "testdata", "real", n) }
func thirdParty(n string) string { return filepath.Join("..", "golden", "testdata", "thirdparty", n) }
func docker29Input(n string) string {
	return filepath.Join("..", "golden", "testdata", "real-docker29", n)
}

// A verdictCase is an input and what the loaders' verdicts on it must say.
type verdictCase struct {
	name, path string
	wants      []want
}

// checkCases checks each case's verdicts, for the host amd64.
func checkCases(t *testing.T, cases []verdictCase, exact bool) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkVerdicts(t, check.Archive(openPath(t, c.path), amd64), c.wants, exact)
		})
	}
}

// ruleCases pin each rule of retar check to an archive of the shape it is
// about, with what the consumer was measured to do with such archives.
var ruleCases = []verdictCase{
	{"skopeo's nameless docker-archive", realInput("skopeo-docker-archive-unnamed.tar"), []want{
		{"ctr-1.6", false, nil, "", "registers nothing"},
		{"ctr-2.1", false, nil, "", "registers nothing"},
		{"docker-24", true, []string{}, "", "untagged"},
		{"podman", true, []string{}, "", ""},
	}},
	{"docker save's short RepoTags", realInput("docker-save-two-images.tar"), []want{
		{"docker-24", true, []string{"docker.io/library/retar-test:1", "docker.io/library/retar-test:2"}, "", ""},
		{"ctr-1.6", true, []string{"docker.io/library/retar-test:1", "docker.io/library/retar-test:2"}, "", ""},
		{"podman", true, []string{"localhost/retar-test:1", "localhost/retar-test:2"}, "", "localhost/"},
		{"skopeo", true, nil, "", "2 images"},
	}},
	{"a pure OCI archive", realInput("skopeo-oci-archive-named.tar"), []want{
		{"docker-24", false, nil, "", "no manifest.json"},
		{"docker-25", false, nil, "", "no manifest.json"},
		{"ctr-1.6", true, []string{"docker.io/library/retar-test:1"}, "", ""},
		{"podman", true, []string{"docker.io/library/retar-test:1"}, "", ""},
	}},
	{"zstd layers", thirdParty("wagoodman__dive/.data/test-oci-zstd-image.tar"), []want{
		{"docker-24", false, nil, "", "zstd"},
		{"skopeo", true, nil, "", "zstd"},
	}},
	{"a platform-sparse ctr export", thirdParty("oras-project__oras-go/content/oci/testdata/hello-world.tar"), []want{
		{"ctr-1.6", true, []string{"docker.io/library/hello-world:latest"}, "", "--all-platforms fails"},
		{"ctr-2.1", true, nil, "", "--all-platforms fails"},
		{"ctr-2.0", true, nil, "", "no unpack platforms defined"},
		{"docker-24", true, []string{"docker.io/library/hello-world:latest"}, "", ""},
	}},
	{"the pre-1.10 shape", thirdParty("google__go-containerregistry/pkg/v1/tarball/testdata/no_manifest.tar"), []want{
		{"docker-25", true, nil, "", ""},
		{"docker-containerd", false, nil, "", "unrecognized image format"},
		{"docker-29-classic", false, nil, "", "docker 29 dropped"},
		{"docker-29-containerd", false, nil, "", "unrecognized image format"},
		{"ctr-1.6", false, nil, "", "pre-1.10"},
		{"skopeo", false, nil, "", "pre-1.10"},
	}},
	{"an OCI layout directory", thirdParty("aquasecurity__trivy/pkg/fanal/test/testdata/test_image_tag.oci"), []want{
		{"ctr-1.6", false, nil, "", "a directory"},
	}},
	{"a dir: layout", realInput("skopeo-dir-v2s2"), []want{
		{"ctr-2.1", false, nil, "", ""},
		{"docker-24", false, nil, "", ""},
	}},
	{"a foreign layer without its bytes", thirdParty("google__go-containerregistry/pkg/v1/tarball/testdata/sparse_foreign.tar"), []want{
		{"docker-24", false, nil, "", "foreign"},
		{"ctr-1.6", false, nil, "", "foreign"},
	}},
	// podman reads a one-image index through its OCI path: the
	// containerd name, not manifest.json's short RepoTag (measured)
	{"ctr export's hybrid", realInput("ctr-export-oci.tar"), []want{
		{"docker-24", true, []string{"docker.io/library/retar-test:1"}, "", ""},
		{"podman", true, []string{"docker.io/library/retar-test:1"}, "", ""},
	}},
}

// TestCheckRules pins each rule of retar check to an archive of the shape it
// is about (ruleCases, and a layout with tag-only names written as a tar).
func TestCheckRules(t *testing.T) {
	checkCases(t, append(slices.Clone(ruleCases),
		verdictCase{"tag-only ref names", tarDir(t, realInput("umoci-layout")), []want{
			{"ctr-1.6", true, []string{"import-YYYY-MM-DD:1", "import-YYYY-MM-DD:2"}, "", "import-YYYY-MM-DD:1"},
			{"podman", false, nil, "", "more than one image"},
		}},
	), false)
}

// tarDir writes a directory layout into a tar, as an oci-archive holds it.
func tarDir(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(dir)+".tar")
	imagetest.ReadDir(t, dir).WriteFile(t, out)
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// TestCheckCompressed: a compressed archive is read by docker and containerd
// 2 (which decompress it), not by ctr 1.6, podman or skopeo (measured with a
// gzip-compressed docker save).
func TestCheckCompressed(t *testing.T) {
	p := filepath.Join("..", "golden", "testdata", "real", "docker-save-single.tar")
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	fi, _ := f.Stat()
	a, err := convert.Open(convert.Input{Name: p + ".gz", Archive: f, Size: fi.Size(), Compression: "gzip"})
	require.NoError(t, err)
	r := check.Archive(a, ocispec.Platform{OS: "linux", Architecture: "amd64"})
	for id, want := range map[string]bool{"docker-24": true, "ctr-1.6": false, "ctr-2.0": true, "ctr-2.1": true, "podman": false, "skopeo": false} {
		i := slices.IndexFunc(r.Consumers, func(v check.Verdict) bool { return v.Consumer == id })
		if r.Consumers[i].Loads != want {
			t.Errorf("%s: loads %v, want %v (%q)", id, r.Consumers[i].Loads, want, r.Consumers[i].Problems)
		}
	}
}

// TestCheckPodmanTagOnly: podman registers a bare-tag ref.name T as
// localhost/T:latest (measured on skopeo's oci-archive with ref.name 1.0).
func TestCheckPodmanTagOnly(t *testing.T) {
	src := filepath.Join("..", "golden", "testdata", "real", "skopeo-oci-archive-named.tar")
	// rewrite index.json's name to a bare tag, in a copy of the archive
	out := filepath.Join(t.TempDir(), "tagonly.tar")
	imagetest.ReadTarFile(t, src).Edit(t, "index.json", func(b []byte) []byte {
		return bytes.ReplaceAll(b, []byte(`"docker.io/library/retar-test:1"`), []byte(`"1.0"`))
	}).WriteFile(t, out)
	r := check.Archive(openPath(t, out), ocispec.Platform{OS: "linux", Architecture: "amd64"})
	for _, v := range r.Consumers {
		switch v.Consumer {
		case "podman":
			if !slices.Equal(v.Names, []string{"localhost/1.0:latest"}) {
				t.Errorf("podman names %q, want localhost/1.0:latest", v.Names)
			}
		case "ctr-1.6":
			if !slices.Equal(v.Names, []string{"import-YYYY-MM-DD:1.0"}) {
				t.Errorf("ctr names %q, want import-YYYY-MM-DD:1.0", v.Names)
			}
		}
	}
}

// TestCheckFails: --for groups fail when one member will not load.
func TestCheckFails(t *testing.T) {
	r := check.Archive(openPath(t, filepath.Join("..", "golden", "testdata", "real", "skopeo-oci-archive-named.tar")), ocispec.Platform{OS: "linux", Architecture: "amd64"})
	for name, want := range map[string]bool{"docker": true, "containerd": false, "podman": false, "ctr-2.0": false} {
		got, err := r.Fails(name)
		assert.NoError(t, err, "Fails(%q)", name)
		assert.Equal(t, want, got, "Fails(%q)", name)
	}
	_, err := r.Fails("lxd")
	assert.Error(t, err, "an unknown loader is an error")
}

// The name k3s should be given for an archive is the same on every call:
// its stem loses every archive suffix, whatever order a map gives them in.
func TestK3sFileNameIsStable(t *testing.T) {
	for range 200 {
		if got, _ := check.K3sFileName("x.tar.tgz", ""); got != "x.tar" {
			t.Fatalf("x.tar.tgz uncompressed: %q, want x.tar", got)
		}
	}
}
