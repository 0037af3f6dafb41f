package check_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retar-dev/retar/check"
	"github.com/retar-dev/retar/convert"
)

// supply is an input of golden/testdata/supply (go run ./golden/testdata/mksupply).
func supply(n string) string { return filepath.Join("..", "golden", "testdata", "supply", n) }

// sig is cosign's tag for signed.tar's image (less its suffix); cosign are
// the tags of signed.tar's entries that refer to it.
const sig = "sha256-03ba6c90c08adc46facf68123b6ca7e9975be6af077d6e8f88ba128622d455c9"

var cosign = []string{sig + ".att", sig + ".sbom", sig + ".sig", "sha256-c5ec6ff77b8aa67ff879c05ab454e1c0175aceec0685407d1b356f56a48dba9b.sig"}

// prefixed is signed.tar's image name, then each of ns under the prefix p.
func prefixed(p string, ns []string) []string {
	out := []string{"docker.io/library/signed:1"}
	for _, n := range ns {
		out = append(out, p+n)
	}
	return out
}

// supplyCases are the supply inputs and what make interop measured each
// loader do with them.
var supplyCases = []verdictCase{
	// cosign's tag-scheme entries (ref.name sha256-<hex>.sig) are named:
	// every containerd importer registers them; OCI 1.1 referrers
	// (io.containerd.manifest.subject, no name) only kind does, as
	// digest references
	{"cosign tags and referrers in index.json", supply("signed.tar"), []want{
		{"ctr-1.6", false, nil, "no processor for media-type", "registers each as an image"},
		{"ctr-2.0", true, prefixed("import-YYYY-MM-DD:", cosign), "", "import-YYYY-MM-DD:TAG"},
		{"ctr-2.3", true, prefixed("import-YYYY-MM-DD:", cosign), "", "garbage collection"},
		{"ctr-2.4", true, prefixed("import-YYYY-MM-DD:", cosign), "", "registers each as an image"},
		{"kind", true, prefixed("import-YYYY-MM-DD:", cosign), "", "2 referrers in index.json: kind imports with --digests"},
		{"k3s", true, prefixed("", cosign), "failed to retag images: failed to parse tag for image " + sig + ".sig", "fails to retag"},
		{"docker-29-containerd", true, []string{"docker.io/library/signed:1"}, "Loaded image: signed:1", "keeps them as referrers"},
		{"podman", false, nil, "more than one image in oci, choose an image", "7 entries"},
		{"skopeo", true, nil, "", "needs the image's ref name"},
	}},
	// the same layout as a directory: no loader but skopeo reads it
	{"cosign tags, a layout directory", supply("signed-layout"), []want{
		{"ctr-2.3", false, nil, "", "a directory"},
		{"skopeo", true, nil, "", ""},
	}},
	// BuildKit's attestation manifests live in the image's index: no name, nothing extra
	{"BuildKit attestations in the index", supply("buildkit-attestations.tar"), []want{
		{"ctr-1.6", true, []string{"docker.io/library/app:1"}, "", ""},
		{"ctr-2.3", true, []string{"docker.io/library/app:1"}, "", ""},
		{"kind", true, []string{"docker.io/library/app:1"}, "", ""},
		{"docker-24", true, []string{"docker.io/library/app:1"}, "", ""},
	}},
	// zstd:chunked's variant (both manifests linux/amd64): containerd 2
	// unpacks both and fails on the sentinel; ctr 1.6 unpacks the first
	{"the sentinel variant", supply("zstd-chunked-sentinel.tar"), []want{
		{"ctr-1.6", true, []string{"docker.io/library/sentinel:1"}, "", "the image beside it"},
		{"ctr-2.0", false, nil, "number of layers and diffIDs don't match", "sentinel"},
		{"ctr-2.3", false, nil, "number of layers and diffIDs don't match", "sentinel"},
		{"ctr-2.4", false, nil, "number of layers and diffIDs don't match", "sentinel"},
		{"kind", false, nil, "number of layers and diffIDs don't match", "sentinel"},
		{"docker-29-containerd", true, []string{"docker.io/library/sentinel:1"}, "mismatched image rootfs and manifest layers", "sentinel"},
		{"k3s", true, []string{"docker.io/library/sentinel:1"}, "", "without unpacking"},
		{"podman", true, []string{"docker.io/library/sentinel:1"}, "", ""},
		{"nerdctl", false, nil, "", "sentinel"}, // from its code: no message quoted
	}},
	// zstd labelled gzip (amd64: containerd looks at the bytes) and gzip
	// labelled tar (arm64: containerd goes by the label)
	{"mislabelled layers", supply("mislabelled.tar"), []want{
		{"ctr-1.6", true, []string{"docker.io/library/mislabelled:1"}, "", ""},
		{"ctr-2.3", true, []string{"docker.io/library/mislabelled:1"}, "", "--all-platforms fails"},
		{"ctr-2.4", true, []string{"docker.io/library/mislabelled:1"}, "", "--all-platforms fails"},
		{"kind", false, nil, "failed to extract layer", "labelled plain tar"},
		{"docker-29-containerd", true, []string{"docker.io/library/mislabelled:1"}, "Loaded image: mislabelled:1", ""},
		{"k3s", true, []string{"docker.io/library/mislabelled:1"}, "", "without unpacking"},
		{"podman", true, []string{"docker.io/library/mislabelled:1"}, "", ""},
	}},
	{"a v2s2 manifest with zstd layers", supply("v2s2-oci-zstd.tar"), []want{
		{"podman", false, nil, "unsupported docker v2s2 media type", "v2s2"},
		{"skopeo", false, nil, "", "unsupported docker v2s2 media type"},
		{"ctr-2.3", true, []string{"docker.io/library/nerdctl:1"}, "", ""},
		{"docker-29-containerd", true, []string{"docker.io/library/nerdctl:1"}, "Loaded image: nerdctl:1", ""},
	}},
}

// TestCheckSupply pins the rules for what vouches for an image and the
// layers that break loaders to what make interop measured on each loader
// with the supply inputs (interop/supply.sh; interop/LOADERS.md, "Supply-chain
// inputs"): loads, the names registered, the message it prints, and for
// ctr-2.3/2.4 whether --all-platforms fails.
func TestCheckSupply(t *testing.T) {
	checkCases(t, supplyCases, true)
}

// TestCheckSupplyRetar: retar's outputs of the supply inputs, as make interop
// loads them: the sentinel variant stays in an oci-archive (containerd 2
// fails on it) and never reaches a docker-archive; mislabelled layers are
// repaired, so every containerd loader takes them, --all-platforms too;
// --attestations strip leaves nothing for containerd to register; the OCI
// 1.1 referrers --attestations referrers makes get kind's digest references.
func TestCheckSupplyRetar(t *testing.T) {
	out := t.TempDir()
	for _, c := range []struct {
		name, src, dst string
		set            []string
		wants          []want
	}{
		{"sentinel, oci-archive", "zstd-chunked-sentinel.tar", "oci-sentinel.tar", nil, []want{
			{"ctr-2.3", false, nil, "", "sentinel"},
			{"ctr-1.6", true, []string{"docker.io/library/sentinel:1"}, "", ""},
			{"docker-24", true, []string{"docker.io/library/sentinel:1"}, "", ""}, // manifest.json names the gzip image
		}},
		{"sentinel, docker-archive", "zstd-chunked-sentinel.tar", "docker-sentinel.tar", nil, []want{
			{"ctr-2.3", true, []string{"docker.io/library/sentinel:1"}, "", ""},
			{"kind", true, []string{"docker.io/library/sentinel:1"}, "", ""},
		}},
		{"mislabelled, repaired", "mislabelled.tar", "oci-mislabelled.tar", nil, []want{
			{"kind", true, []string{"docker.io/library/mislabelled:1"}, "", ""},
			{"ctr-2.3", true, []string{"docker.io/library/mislabelled:1"}, "", ""},
			{"docker-24", false, nil, "", "zstd"}, // the amd64 layer is zstd (no longer labelled gzip)
		}},
		{"signed, --attestations strip", "signed.tar", "oci-signed-strip.tar", []string{"attestations", "strip"}, []want{
			{"ctr-1.6", true, []string{"docker.io/library/signed:1"}, "", ""},
			{"ctr-2.3", true, []string{"docker.io/library/signed:1"}, "", ""},
			{"k3s", true, []string{"docker.io/library/signed:1"}, "", ""},
		}},
		{"signed, kept", "signed.tar", "oci-signed.tar", nil, []want{
			// retar names no cosign artifact: ctr takes them for referrers
			{"ctr-1.6", true, []string{"docker.io/library/signed:1"}, "", ""},
			{"ctr-2.3", true, []string{"docker.io/library/signed:1"}, "", "garbage collection"},
			{"kind", true, []string{"docker.io/library/signed:1"}, "", "referrers in index.json"},
			{"docker-24", true, []string{"docker.io/library/signed:1"}, "", ""},
			{"podman", true, []string{"docker.io/library/signed:1"}, "", ""},
		}},
		{"BuildKit attestations as referrers", "buildkit-attestations.tar", "oci-referrers.tar", []string{"attestations", "referrers"}, []want{
			{"kind", true, []string{"docker.io/library/app:1"}, "", "2 referrers in index.json"},
			{"ctr-2.3", true, []string{"docker.io/library/app:1"}, "", "garbage collection"},
			{"docker-29-containerd", true, []string{"docker.io/library/app:1"}, "", "keeps them as referrers"},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			checkVerdicts(t, check.Archive(openPath(t, convertTo(t, supply(c.src), filepath.Join(out, c.dst), c.set...)), amd64), c.wants, false)
		})
	}
}

// convertTo converts src to dst, a docker-archive where its name starts
// with docker, else an oci-archive, with the options set (name, value...).
func convertTo(t *testing.T, src, dst string, set ...string) string {
	t.Helper()
	o := convert.Options{To: convert.OCIArchive, Host: amd64}
	if strings.HasPrefix(filepath.Base(dst), "docker") {
		o.To = convert.DockerArchive
	}
	for i := 0; i+1 < len(set); i += 2 {
		require.NoError(t, o.Set(set[i], set[i+1]))
	}
	p, err := openPath(t, src).Convert(t.Context(), o)
	require.NoError(t, err)
	w, err := os.Create(dst)
	require.NoError(t, err)
	defer w.Close()
	require.NoError(t, p.WriteTar(convert.WriterSink{Writer: w}))
	return dst
}
