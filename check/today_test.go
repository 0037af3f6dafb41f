package check_test

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retar-dev/retar/check"
	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
)

var amd64 = ocispec.Platform{OS: "linux", Architecture: "amd64"}

// verdict is one consumer's verdict in a report.
func verdict(t *testing.T, r *check.Report, id string) check.Verdict {
	t.Helper()
	i := slices.IndexFunc(r.Consumers, func(v check.Verdict) bool { return v.Consumer == id })
	require.NotEqual(t, -1, i, "no verdict for %s", id)
	return r.Consumers[i]
}

// want is what one loader's verdict must say.
type want struct {
	consumer string
	loads    bool
	names    []string // exactly, when not nil
	message  string   // Verdict.Message, when set (or always: checkVerdicts' exact)
	problem  string   // a problem must contain this, when set
}

// checkVerdicts compares a report's verdicts with what they must say; with
// exact, an empty message says the verdict quotes nothing.
func checkVerdicts(t *testing.T, r *check.Report, wants []want, exact bool) {
	t.Helper()
	for _, w := range wants {
		v := verdict(t, r, w.consumer)
		assert.Equal(t, w.loads, v.Loads, "%s loads (%q)", w.consumer, v.Problems)
		if w.names != nil {
			assert.Equal(t, w.names, nonNil(v.Names), "%s names", w.consumer)
		}
		if exact || w.message != "" {
			assert.Equal(t, w.message, v.Message, "%s message", w.consumer)
		}
		if w.problem != "" && !slices.ContainsFunc(v.Problems, func(p string) bool { return strings.Contains(p, w.problem) }) {
			t.Errorf("%s: problems %q lack %q", w.consumer, v.Problems, w.problem)
		}
	}
}

// named is the name of the test images of golden/testdata/real.
var named = []string{"docker.io/library/retar-test:1"}

// todaysCases are the archives of each shape make interop measured today's
// loaders with (interop/LOADERS.md), and what they did.
var todaysCases = []verdictCase{
	{"a pure OCI archive", realInput("skopeo-oci-archive-named.tar"), []want{
		{"docker-29-classic", false, nil, "invalid archive: does not contain a manifest.json", "no manifest.json"},
		{"docker-29-containerd", true, named, "Loaded image: retar-test:1", ""},
		{"ctr-2.3", true, named, "", ""},
		{"ctr-2.4", true, named, "", ""},
		{"kind", true, named, "", ""},
		{"k3s", true, named, "", ""},
		{"nerdctl", true, named, "", ""},
	}},
	{"skopeo's nameless docker-archive", realInput("skopeo-docker-archive-unnamed.tar"), []want{
		{"docker-29-classic", true, []string{}, "Loaded image ID: sha256:", "untagged"},
		{"docker-29-containerd", true, []string{}, "Loaded image ID: sha256:", "untagged"},
		{"ctr-2.3", false, nil, "", "registers nothing"},
		{"kind", true, []string{}, "", "import-DATE@sha256"},
		{"k3s", false, nil, "", "registers nothing"},
		{"nerdctl", true, []string{}, "", "overlayfs@sha256"},
	}},
	{"docker 29's save of a pulled image, arm64 absent", docker29Input("d29d-save-absent.tar"), []want{
		{"docker-29-classic", true, []string{"docker.io/library/retar-test:multi"}, "Loaded image: retar-test:multi", ""},
		{"docker-29-containerd", true, []string{"docker.io/library/retar-test:multi"}, "", ""},
		{"ctr-2.3", true, []string{"docker.io/library/retar-test:multi"}, "", "--all-platforms fails"},
		{"ctr-2.4", true, nil, "", "--all-platforms fails"},
		{"kind", false, nil, "content digest sha256:...: not found", "--all-platforms"},
		{"k3s", true, []string{"docker.io/library/retar-test:multi"}, "", "skips them"},
		{"nerdctl", true, nil, "", ""},
	}},
	{"the pre-1.10 shape", thirdParty("google__go-containerregistry/pkg/v1/tarball/testdata/no_manifest.tar"), []want{
		{"docker-25", true, nil, "", ""},
		{"docker-29-classic", false, nil, "invalid archive: does not contain a manifest.json", "docker 29 dropped"},
		{"docker-29-containerd", false, nil, "unrecognized image format", ""},
		{"ctr-2.3", false, nil, "unrecognized image format", ""},
		{"kind", false, nil, "unrecognized image format", ""},
		{"k3s", false, nil, "unrecognized image format", ""},
	}},
	{"a docker foreign layer without its bytes", thirdParty("google__go-containerregistry/pkg/v1/tarball/testdata/sparse_foreign.tar"), []want{
		{"docker-29-classic", false, nil, "no such file or directory", "foreign"},
		{"docker-29-containerd", false, nil, "failed to resolve layers: layer ... not found", "foreign"},
		{"ctr-2.3", false, nil, "failed to resolve layers: layer ... not found", "foreign"},
		{"kind", false, nil, "failed to resolve layers: layer ... not found", "foreign"},
		{"k3s", false, nil, "failed to resolve layers: layer ... not found", "foreign"},
		{"nerdctl", false, nil, "", "foreign"},
	}},
}

// TestCheckTodaysLoaders pins the rules for docker 29 in both stores,
// containerd 2.3/2.4, kind and k3s to the outcomes interop/LOADERS.md
// measured for archives of each shape (and nerdctl's to its code): loads,
// names, the message the loader prints. The sparse archives are written
// here (todaysCases are files).
func TestCheckTodaysLoaders(t *testing.T) {
	sparse := imagetest.New(t, imagetest.Layers(2), imagetest.Names("docker.io/library/retar-test:1"))
	checkCases(t, append(slices.Clone(todaysCases),
		verdictCase{"a sparse OCI archive: a layer absent", write(t, "sparse.tar", sparse.OCIArchive(t).Drop(t, imagetest.BlobPath(sparse.LayerBlob(t, 1)))), []want{
			{"docker-29-classic", false, nil, "invalid archive: does not contain a manifest.json", ""},
			{"docker-29-containerd", true, named, "Error unpacking image", "sparse"},
			{"ctr-2.3", false, nil, "failed to extract layer", "sparse"},
			{"kind", false, nil, "failed to extract layer", "sparse"},
			{"k3s", true, named, "", "without unpacking"},
			{"nerdctl", false, nil, "", "sparse"},
		}},
		verdictCase{"a sparse OCI archive: the config absent", write(t, "sparse-config.tar", sparse.OCIArchive(t).Drop(t, imagetest.BlobPath(sparse.Config))), []want{
			{"docker-24", false, nil, "", "no manifest.json"},
			{"docker-29-containerd", true, named, "Loaded image: retar-test:1", "without its config"},
			{"ctr-2.4", false, nil, "content digest sha256:...: not found", "sparse"},
			{"kind", false, nil, "content digest sha256:...: not found", "sparse"},
			{"k3s", true, named, "", "sparse"},
			{"nerdctl", false, nil, "", "sparse"},
		}},
	), false)
}

func write(t *testing.T, name string, ms imagetest.Members) string {
	p := filepath.Join(t.TempDir(), name)
	ms.WriteFile(t, p)
	return p
}

// TestCheckBareTag: a ref.name that is a bare tag, measured (interop/LOADERS.md
// tagonly): ctr 2.3/2.4 and kind register import-DATE:1.0; k3s registers
// "1.0" as it is and fails to retag it; docker 29's containerd store loads
// it untagged, saying "Loaded image: 1.0:latest"; its classic store, reading
// manifest.json, refuses an archive without one.
func TestCheckBareTag(t *testing.T) {
	src := filepath.Join("..", "golden", "testdata", "real", "skopeo-oci-archive-named.tar")
	out := filepath.Join(t.TempDir(), "tagonly.tar")
	imagetest.ReadTarFile(t, src).Edit(t, "index.json", func(b []byte) []byte {
		return bytes.ReplaceAll(b, []byte(`"docker.io/library/retar-test:1"`), []byte(`"1.0"`))
	}).WriteFile(t, out)
	r := check.Archive(openPath(t, out), amd64)
	for id, names := range map[string][]string{
		"ctr-2.3": {"import-YYYY-MM-DD:1.0"}, "ctr-2.4": {"import-YYYY-MM-DD:1.0"}, "kind": {"import-YYYY-MM-DD:1.0"},
		"k3s": {"1.0"}, "docker-29-containerd": {}, "nerdctl": {"1.0"},
	} {
		v := verdict(t, r, id)
		assert.True(t, v.Loads, id)
		assert.Equal(t, names, nonNil(v.Names), id)
	}
	assert.Equal(t, "failed to retag images: failed to parse tag for image 1.0", verdict(t, r, "k3s").Message)
	assert.Equal(t, "Loaded image: 1.0:latest", verdict(t, r, "docker-29-containerd").Message)
	assert.False(t, verdict(t, r, "docker-29-classic").Loads)
}

// TestCheckK3sFiles: k3s picks agent/images files up by a case-sensitive
// suffix that must match their compression (measured: interop/LOADERS.md).
func TestCheckK3sFiles(t *testing.T) {
	for _, c := range []struct {
		name, compressed, want string
		ok                     bool
	}{
		{"app.tar", "", "app.tar", true},
		{"/x/app.tar.gz", "gzip", "app.tar.gz", true},
		{`Z:\images\app.tar`, "", "app.tar", true}, // a Windows path, as the user gave it
		{`Z:\images\app.oci`, "", "app.oci.tar", false},
		{"app.tgz", "gzip", "app.tgz", true},
		{"app.tar.zst", "zstd", "app.tar.zst", true},
		{"app.tzst", "zstd", "app.tzst", true},
		{"app.tbz", "bzip2", "app.tbz", true},
		{"app.oci", "", "app.oci.tar", false},
		{"app.tar.gz", "", "app.tar", false}, // a plain tar under a gzip name
		{"A.TAR", "", "A.TAR.tar", false},
		{"app.tar.xz", "xz", "", false},
	} {
		got, ok := check.K3sFileName(c.name, c.compressed)
		assert.Equal(t, c.want, got, c.name)
		assert.Equal(t, c.ok, ok, c.name)
	}
}

// TestCheckBasis: every verdict says whether make interop measured it; the
// ones it cannot (docker 25-28, nerdctl, skopeo's) say they come from the
// loader's code.
func TestCheckBasis(t *testing.T) {
	r := check.Archive(openPath(t, filepath.Join("..", "golden", "testdata", "real", "skopeo-oci-archive-named.tar")), amd64)
	measured := map[string]bool{}
	for _, v := range r.Consumers {
		measured[v.Consumer] = v.Measured
		if v.Measured {
			assert.True(t, strings.HasPrefix(v.Basis, "measured: "), "%s: %q", v.Consumer, v.Basis)
		} else {
			assert.Equal(t, check.NotMeasured, v.Basis, v.Consumer)
		}
	}
	for _, id := range []string{"docker-24", "docker-29-classic", "docker-29-containerd", "ctr-1.6", "ctr-2.0", "ctr-2.1", "ctr-2.3", "ctr-2.4", "kind", "k3s", "podman"} {
		assert.True(t, measured[id], id)
	}
	for _, id := range []string{"docker-25", "docker-containerd", "nerdctl", "skopeo"} {
		v, ok := measured[id]
		assert.True(t, ok && !v, id)
	}
	help := check.IDs()
	for id := range measured {
		assert.Contains(t, help, id)
	}
	for _, name := range []string{"docker-20", "containerd-2.0", "rke2", "nerdctl", "kind"} {
		_, err := r.Fails(name)
		assert.NoError(t, err, name)
	}
	bad, err := r.Fails("docker")
	assert.NoError(t, err)
	assert.True(t, bad, "docker includes docker 29's classic store, which refuses a pure OCI archive")
}

var _ = convert.OCIArchive
