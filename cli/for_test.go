package cli_test

import (
	"encoding/json"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retar-dev/retar/internal/imagetest"
)

// member is the body of one member of a tar retar wrote ("" if none).
func member(t *testing.T, p, name string) string {
	t.Helper()
	for _, m := range imagetest.ReadTarFile(t, p) {
		if m.Name == name {
			return string(m.Body)
		}
	}
	return ""
}

// blobJSON decodes a blob of an archive retar wrote.
func blobJSON(t *testing.T, p, dg string) map[string]any {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(member(t, p, "blobs/sha256/"+strings.TrimPrefix(dg, "sha256:"))), &v), dg)
	return v
}

// layerTypes are the layers' media types of the one manifest index.json names.
func layerTypes(t *testing.T, p string) []string {
	t.Helper()
	var idx struct{ Manifests []struct{ Digest string } }
	require.NoError(t, json.Unmarshal([]byte(member(t, p, "index.json")), &idx))
	var types []string
	for _, l := range blobJSON(t, p, idx.Manifests[0].Digest)["layers"].([]any) {
		types = append(types, l.(map[string]any)["mediaType"].(string))
	}
	return types
}

// entries are the manifests a nested index lists, by platform.
func entries(t *testing.T, p string) []string {
	t.Helper()
	var idx struct {
		Manifests []struct{ Digest, MediaType string }
	}
	require.NoError(t, json.Unmarshal([]byte(member(t, p, "index.json")), &idx))
	var out []string
	for _, m := range idx.Manifests {
		if !strings.Contains(m.MediaType, "index") && !strings.Contains(m.MediaType, "list") {
			return []string{"one manifest"}
		}
		for _, e := range blobJSON(t, p, m.Digest)["manifests"].([]any) {
			pl, _ := e.(map[string]any)["platform"].(map[string]any)
			out = append(out, pl["os"].(string)+"/"+pl["architecture"].(string))
		}
		break
	}
	return out
}

// TestConvertFor: --for makes the output suit the loaders named, says what
// it set, and fails with one line (exit 1) when no output can suit them, or
// when the output written will not load in one of them.
func TestConvertFor(t *testing.T) {
	dir := t.TempDir()
	zstdSrc := "oci:" + realInput("skopeo-oci-zstd")
	absentSrc := filepath.Join("..", "golden", "testdata", "real-docker29", "d29d-save-absent.tar")
	multiSrc := filepath.Join("..", "golden", "testdata", "real-docker29", "d29d-save-multiplatform.tar")
	out := func(n string) string { return filepath.Join(dir, n) }

	t.Run("docker-20: zstd layers become gzip in an oci-archive", func(t *testing.T) {
		code, _, stderr := run(t, "convert", "--for", "docker-20", zstdSrc, "oci-archive:"+out("z.tar"))
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stderr, "re-encoded to gzip")
		for _, mt := range layerTypes(t, out("z.tar")) {
			assert.NotContains(t, mt, "zstd")
		}
		// without --for, an OCI source's zstd layers stay in an oci-archive
		code, _, stderr = run(t, "convert", "-q", zstdSrc, "oci-archive:"+out("z-keep.tar"))
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, strings.Join(layerTypes(t, out("z-keep.tar")), " "), "zstd")
	})
	t.Run("docker-24 and --compress keep: no output suits", func(t *testing.T) {
		code, _, stderr := run(t, "convert", "--for", "docker-24", "--compress", "keep", zstdSrc, "oci-archive:"+out("z2.tar"))
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "--compress keep")
		assert.Equal(t, 1, strings.Count(stderr, "\n"), stderr)
	})
	t.Run("kind: absent index entries dropped; --keep-absent refused", func(t *testing.T) {
		code, _, stderr := run(t, "convert", "--for", "kind", absentSrc, "oci-archive:"+out("k.tar"))
		require.Equal(t, 0, code, stderr)
		assert.Equal(t, []string{"linux/amd64"}, entries(t, out("k.tar")))
		code, _, stderr = run(t, "convert", "--for", "kind", "--keep-absent", absentSrc, "oci-archive:"+out("k2.tar"))
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "--keep-absent")
	})
	t.Run("kind: a docker-archive keeps every platform present", func(t *testing.T) {
		code, _, stderr := run(t, "convert", "--for", "kind", multiSrc, "docker-archive:"+out("k3.tar"))
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stderr, "every platform present kept")
		assert.ElementsMatch(t, []string{"linux/amd64", "linux/arm64"}, entries(t, out("k3.tar")))
	})
	t.Run("containerd-2.0 picks the host platform", func(t *testing.T) {
		code, _, stderr := run(t, "convert", "--for", "containerd-2.0", multiSrc, "oci-archive:"+out("c20.tar"))
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stderr, "the host's platform (linux/"+runtime.GOARCH+")")
		if runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64" {
			assert.Equal(t, []string{"linux/" + runtime.GOARCH}, entries(t, out("c20.tar")))
		}
	})
	t.Run("ctr-2.0 and kind want different platforms", func(t *testing.T) {
		code, _, stderr := run(t, "convert", "--for", "ctr-2.0,kind", multiSrc, "oci-archive:"+out("both.tar"))
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "no output suits both")
		code, _, stderr = run(t, "convert", "--for", "ctr-2.0,kind", "--platform", "linux/arm64", multiSrc, "oci-archive:"+out("both.tar"))
		assert.Equal(t, 0, code, stderr)
	})
	t.Run("k3s: a name, and a file name it picks up", func(t *testing.T) {
		unnamed := realInput("skopeo-docker-archive-unnamed.tar")
		code, _, stderr := run(t, "convert", "--for", "k3s", unnamed, "oci-archive:"+out("k3s.tar"))
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "-t NAME")
		code, _, stderr = run(t, "convert", "--for", "k3s", "-t", "app:1", unnamed, "oci-archive:"+out("k3s.tar"))
		assert.Equal(t, 0, code, stderr)
		code, _, stderr = run(t, "convert", "--for", "rke2", unnamed, "oci-archive:"+out("k3s.oci")+":app:1")
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "k3s.oci.tar")
		// a bare tag with no repository to take it from: k3s cannot retag it
		code, _, stderr = run(t, "convert", "--for", "k3s", unnamed, "oci-archive:"+out("k3s-tag.tar")+":1.0")
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "bare tag")
	})
	t.Run("docker-29-classic refuses --oci-strict", func(t *testing.T) {
		code, _, stderr := run(t, "convert", "--for", "docker-29-classic", "--oci-strict", realInput("skopeo-oci-archive-named.tar"), "oci-archive:"+out("s.tar"))
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "manifest.json")
	})
	t.Run("archives only", func(t *testing.T) {
		code, _, stderr := run(t, "convert", "--for", "containerd", realInput("skopeo-oci-archive-named.tar"), "oci:"+out("layout"))
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "load archives")
	})
	t.Run("the output judged once written: nerdctl and no image for the host", func(t *testing.T) {
		src := out("s390x.tar")
		imagetest.New(t, imagetest.Layers(1), imagetest.Names("example.com/x:1"), imagetest.Platform("linux/s390x")).OCIArchive(t).WriteFile(t, src)
		code, _, stderr := run(t, "convert", "-q", "--for", "nerdctl", src, "oci-archive:"+out("n.tar"))
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "will not load in nerdctl (--for nerdctl): no image for this host's platform")
		assert.Equal(t, 1, strings.Count(stderr, "\n"), stderr)
	})
	t.Run("unknown loader: usage", func(t *testing.T) {
		code, _, stderr := run(t, "convert", "--for", "lxd", realInput("skopeo-oci-archive-named.tar"), out("u.tar"))
		assert.Equal(t, 2, code)
		assert.Contains(t, stderr, "unknown loader")
	})
	t.Run("docker,containerd on a named archive", func(t *testing.T) {
		code, _, stderr := run(t, "convert", "-q", "--for", "docker,containerd,podman", realInput("docker-save-single.tar"), out("all.tar"))
		assert.Equal(t, 0, code, stderr)
		assert.Empty(t, stderr)
	})
}
