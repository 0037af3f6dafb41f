package convert_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
)

var allLayouts = []convert.Layout{convert.DockerArchive, convert.OCIArchive, convert.OCI, convert.Dir}

func convertOptions(to convert.Layout) convert.Options {
	return convert.Options{To: to, Host: ocispec.Platform{OS: "linux", Architecture: "amd64"}, Hashing: convert.Hashing{Parallel: 2}}
}

// convertTo runs a whole conversion in memory: open, plan, write.
func convertTo(name string, data []byte, to convert.Layout) error {
	a, err := convert.Open(convert.Input{Name: name, Archive: bytes.NewReader(data), Size: int64(len(data))})
	if err != nil {
		return err
	}
	p, err := a.Convert(context.Background(), convertOptions(to))
	if err != nil {
		return err
	}
	return p.WriteTar(convert.WriterSink{Writer: io.Discard})
}

func verify(name string, data []byte) error {
	a, err := convert.Open(convert.Input{Name: name, Archive: bytes.NewReader(data), Size: int64(len(data))})
	if err != nil {
		return err
	}
	_, err = a.Verify(context.Background(), convert.Hashing{Parallel: 2})
	return err
}

// digestWant is the DigestError a case must produce.
type digestWant struct {
	what       string // "" for "digest"
	blob       string
	want, got  digest.Digest
	anyWantGot bool // Want and Got are only checked to be set and to differ
}

type badInput struct {
	name   string
	data   func(t testing.TB) []byte
	want   []string // the error names these (besides the source)
	digest *digestWant
	errIs  error // the error wraps this
}

func badInputs(t testing.TB) []badInput {
	i1, i2 := imagetest.New(t), imagetest.New(t, imagetest.Layers(2))
	return []badInput{
		{
			name: "truncated tar, in a layer",
			data: func(t testing.TB) []byte {
				b := i2.DockerArchive(t).Tar(t)
				i := bytes.Index(b, []byte("layer 1 of a retar test image"))
				return b[:i+100]
			},
			want:  []string{i2.DockerLayerPath(1), "truncated"},
			errIs: convert.ErrLayout,
		},
		{
			name: "truncated tar, in a header",
			data: func(t testing.TB) []byte {
				b := i2.DockerArchive(t).Tar(t)
				i := bytes.Index(b, []byte("manifest.json"))
				return b[:i+200]
			},
			want:  []string{"broken tar"},
			errIs: convert.ErrLayout,
		},
		{
			name: "truncated tar, half",
			data: func(t testing.TB) []byte {
				b := i2.DockerArchive(t).Tar(t)
				return b[:len(b)/2]
			},
			errIs: convert.ErrLayout,
		},
		{
			name: "truncated tar, end blocks and last entry gone",
			data: func(t testing.TB) []byte {
				// Cut where the last entry's header starts: the tar ends
				// cleanly on a block boundary, so the only sign is what is
				// missing.
				ms := i2.DockerArchive(t)
				ms = ms.Drop(t, i2.DockerLayerPath(1)).Add(imagetest.Member{Name: i2.DockerLayerPath(1), Body: ms.Get(t, i2.DockerLayerPath(1))})
				b := ms.Tar(t)
				i := bytes.LastIndex(b, []byte(i2.DockerLayerPath(1)))
				return b[:i-(i%512)]
			},
			want: []string{i2.DockerLayerPath(1), "not in the archive"},
		},
		{
			name: "docker save, one flipped byte in a layer",
			data: func(t testing.TB) []byte {
				ms := i2.DockerArchive(t)
				return ms.Edit(t, i2.DockerLayerPath(1), imagetest.Flip).Tar(t)
			},
			want: []string{i2.DockerLayerPath(1), "diff_id"},
			digest: &digestWant{what: "diff_id", blob: i2.DockerLayerPath(1), want: digest.FromBytes(i2.Layers[1]),
				got: digest.FromBytes(imagetest.Flip(i2.Layers[1]))},
			errIs: convert.ErrDigestMismatch,
		},
		{
			name: "oci-archive, one flipped byte in a layer",
			data: func(t testing.TB) []byte {
				img := i2
				ms := img.OCIArchive(t)
				return ms.Set(t, imagetest.BlobPath(img.Layers[0]), imagetest.Flip(img.Layers[0])).Tar(t)
			},
			want: []string{imagetest.BlobPath(i2.Layers[0])},
			digest: &digestWant{blob: imagetest.BlobPath(i2.Layers[0]), want: digest.FromBytes(i2.Layers[0]),
				got: digest.FromBytes(imagetest.Flip(i2.Layers[0]))},
			errIs: convert.ErrDigestMismatch,
		},
		{
			name: "oci-archive, one flipped byte in the config",
			data: func(t testing.TB) []byte {
				img := i1
				return img.OCIArchive(t).Set(t, imagetest.BlobPath(img.Config), imagetest.Flip(img.Config)).Tar(t)
			},
			want:   []string{imagetest.BlobPath(i1.Config)},
			digest: &digestWant{blob: imagetest.BlobPath(i1.Config), anyWantGot: true},
			errIs:  convert.ErrDigestMismatch,
		},
		{
			name: "oci-archive, one flipped byte in the manifest",
			data: func(t testing.TB) []byte {
				img := i1
				m := img.Manifest(t)
				return img.OCIArchive(t).Set(t, imagetest.BlobPath(m), imagetest.Flip(m)).Tar(t)
			},
			digest: &digestWant{anyWantGot: true},
			errIs:  convert.ErrDigestMismatch,
		},
		{
			name: "random bytes",
			data: func(t testing.TB) []byte {
				b := make([]byte, 64<<10)
				rand.New(rand.NewSource(1)).Read(b)
				b[0] = 'x' // not a compression magic
				return b
			},
			want:  []string{"not a tar archive"},
			errIs: convert.ErrLayout,
		},
		{
			name:  "random bytes, short",
			data:  func(testing.TB) []byte { return []byte("this is not a tar") },
			want:  []string{"not a tar archive"},
			errIs: convert.ErrLayout,
		},
		{
			name:  "empty file",
			data:  func(testing.TB) []byte { return []byte{} },
			want:  []string{"empty"},
			errIs: convert.ErrLayout,
		},
		{
			name:  "tar of zero blocks",
			data:  func(testing.TB) []byte { return make([]byte, 10240) },
			want:  []string{"not a tar archive"},
			errIs: convert.ErrLayout,
		},
		{
			name: "manifest.json Layers point to ../../etc/passwd",
			data: func(t testing.TB) []byte {
				img := i1
				m := imagetest.JSON(t, []map[string]any{{"Config": img.DockerConfigPath(), "RepoTags": []string{imagetest.Name}, "Layers": []string{"../../etc/passwd"}}})
				return img.DockerArchive(t).Set(t, "manifest.json", m).Tar(t)
			},
			want:  []string{"manifest.json", "../../etc/passwd"},
			errIs: convert.ErrLayout,
		},
		{
			name: "manifest.json Config points to ../../etc/passwd",
			data: func(t testing.TB) []byte {
				img := i1
				m := imagetest.JSON(t, []map[string]any{{"Config": "../../etc/passwd", "Layers": []string{img.DockerLayerPath(0)}}})
				return img.DockerArchive(t).Set(t, "manifest.json", m).Tar(t)
			},
			want:  []string{"manifest.json", "../../etc/passwd"},
			errIs: convert.ErrLayout,
		},
		{
			name: "manifest.json Layers point to an absolute /etc/passwd",
			data: func(t testing.TB) []byte {
				img := i1
				m := imagetest.JSON(t, []map[string]any{{"Config": img.DockerConfigPath(), "Layers": []string{"/etc/passwd"}}})
				return img.DockerArchive(t).Set(t, "manifest.json", m).Tar(t)
			},
			want:  []string{"etc/passwd"},
			errIs: convert.ErrLayout,
		},
		{
			name: "tar entry named ../x",
			data: func(t testing.TB) []byte {
				return i1.DockerArchive(t).Add(imagetest.Member{Name: "../x", Body: []byte("escape")}).Tar(t)
			},
			want:  []string{`"../x"`, "unsafe"},
			errIs: convert.ErrLayout,
		},
		{
			name: "tar entry named a/../../x",
			data: func(t testing.TB) []byte {
				return imagetest.Members{{Name: "a/../../x", Body: []byte("escape")}}.Add(i1.DockerArchive(t)...).Tar(t)
			},
			want:  []string{`"a/../../x"`},
			errIs: convert.ErrLayout,
		},
		{
			name: "docker-archive, a layer missing",
			data: func(t testing.TB) []byte {
				return i2.DockerArchive(t).Drop(t, i2.DockerLayerPath(1)).Tar(t)
			},
			want:  []string{i2.DockerLayerPath(1), "not in the archive"},
			errIs: convert.ErrLayout,
		},
		{
			name: "docker-archive, the config missing",
			data: func(t testing.TB) []byte {
				img := i1
				return img.DockerArchive(t).Drop(t, img.DockerConfigPath()).Tar(t)
			},
			want:  []string{i1.DockerConfigPath(), "not in the archive"},
			errIs: convert.ErrLayout,
		},
		{
			name: "broken JSON in manifest.json",
			data: func(t testing.TB) []byte {
				return i1.DockerArchive(t).Set(t, "manifest.json", []byte(`[{"Config": "x.json", "Layers": [`)).Tar(t)
			},
			want:  []string{"manifest.json", "JSON"},
			errIs: convert.ErrLayout,
		},
		{
			name: "manifest.json of the wrong shape",
			data: func(t testing.TB) []byte {
				return i1.DockerArchive(t).Set(t, "manifest.json", []byte(`{"Config": 1}`)).Tar(t)
			},
			want:  []string{"manifest.json"},
			errIs: convert.ErrLayout,
		},
		{
			name: "broken JSON in index.json",
			data: func(t testing.TB) []byte {
				return i1.OCIArchive(t).Set(t, "index.json", []byte(`{"schemaVersion": 2, "manifests": [{]}`)).Tar(t)
			},
			want:  []string{"index.json", "JSON"},
			errIs: convert.ErrLayout,
		},
		{
			name: "broken JSON in a manifest blob",
			data: func(t testing.TB) []byte {
				img := i1
				img.RawManifest = []byte(`{"schemaVersion": 2, "config": {"digest": "sha256:`)
				return img.OCIArchive(t).Tar(t)
			},
			want:  []string{imagetest.BlobPath([]byte(`{"schemaVersion": 2, "config": {"digest": "sha256:`)), "JSON"},
			errIs: convert.ErrLayout,
		},
		{
			// Found by FuzzMetadata (testdata/fuzz/FuzzMetadata/371a9a6d8d9117f0).
			name: "oci-archive, a manifest with no layers for a config with two diff_ids",
			data: func(t testing.TB) []byte {
				var m map[string]any
				if err := json.Unmarshal(i2.Manifest(t), &m); err != nil {
					t.Fatal(err)
				}
				delete(m, "layers")
				img := i2
				img.RawManifest = imagetest.JSON(t, m)
				return img.OCIArchive(t).Tar(t)
			},
			want:  []string{"diff_ids"},
			errIs: convert.ErrLayout,
		},
		{
			name: "broken JSON in the config",
			data: func(t testing.TB) []byte {
				img := i1
				return img.DockerArchive(t).Set(t, img.DockerConfigPath(), []byte(`{"rootfs": {"diff_ids": [`)).Tar(t)
			},
			want: []string{i1.DockerConfigPath()},
		},
		{
			name: "manifest.json of 50 MB",
			data: func(t testing.TB) []byte {
				img := i1
				m := imagetest.JSON(t, []map[string]any{{"Config": img.DockerConfigPath(), "Layers": []string{img.DockerLayerPath(0)}}})
				return img.DockerArchive(t).Set(t, "manifest.json", imagetest.Padded(m, 50<<20)).Tar(t)
			},
			want:  []string{"manifest.json", "limit"},
			errIs: convert.ErrLayout,
		},
		{
			name: "index.json of 50 MB",
			data: func(t testing.TB) []byte {
				img := i1
				ms := img.OCIArchive(t)
				return ms.Set(t, "index.json", imagetest.Padded(ms.Get(t, "index.json"), 50<<20)).Tar(t)
			},
			want:  []string{"index.json", "limit"},
			errIs: convert.ErrLayout,
		},
		{
			name: "manifest.json nested 100 000 deep",
			data: func(t testing.TB) []byte {
				return i1.DockerArchive(t).Set(t, "manifest.json", imagetest.Nested(100000)).Tar(t)
			},
			want:  []string{"manifest.json"},
			errIs: convert.ErrLayout,
		},
		{
			name: "index.json nested 100 000 deep",
			data: func(t testing.TB) []byte {
				return i1.OCIArchive(t).Set(t, "index.json", imagetest.Nested(100000)).Tar(t)
			},
			want:  []string{"index.json"},
			errIs: convert.ErrLayout,
		},
		{
			name: "index.json nested 100 000 deep inside a valid prefix",
			data: func(t testing.TB) []byte {
				deep := []byte(`{"schemaVersion":2,"manifests":[{"annotations":{"x":` + strings.Repeat(`{"a":`, 100000) + `1` + strings.Repeat("}", 100000) + `}}]}`)
				return i1.OCIArchive(t).Set(t, "index.json", deep).Tar(t)
			},
			want:  []string{"index.json"},
			errIs: convert.ErrLayout,
		},
		{
			name: "symlink loop as a layer path",
			data: func(t testing.TB) []byte {
				img := i1
				m := imagetest.JSON(t, []map[string]any{{"Config": img.DockerConfigPath(), "Layers": []string{"a"}}})
				ms := img.DockerArchive(t).Set(t, "manifest.json", m)
				return ms.Add(imagetest.Member{Name: "a", Type: tar.TypeSymlink, Link: "b"}, imagetest.Member{Name: "b", Type: tar.TypeSymlink, Link: "a"}).Tar(t)
			},
			want:  []string{"a", "links"},
			errIs: convert.ErrLayout,
		},
		{
			name: "symlink out of the archive as a layer path",
			data: func(t testing.TB) []byte {
				img := i1
				m := imagetest.JSON(t, []map[string]any{{"Config": img.DockerConfigPath(), "Layers": []string{"l.tar"}}})
				ms := img.DockerArchive(t).Set(t, "manifest.json", m)
				return ms.Add(imagetest.Member{Name: "l.tar", Type: tar.TypeSymlink, Link: "../../etc/passwd"}).Tar(t)
			},
			want:  []string{"l.tar", "../../etc/passwd"},
			errIs: convert.ErrLayout,
		},
		{
			name: "hardlink to a missing entry as a layer path",
			data: func(t testing.TB) []byte {
				img := i1
				m := imagetest.JSON(t, []map[string]any{{"Config": img.DockerConfigPath(), "Layers": []string{"l.tar"}}})
				ms := img.DockerArchive(t).Set(t, "manifest.json", m)
				return ms.Add(imagetest.Member{Name: "l.tar", Type: tar.TypeLink, Link: "nowhere/layer.tar"}).Tar(t)
			},
			want:  []string{"l.tar"},
			errIs: convert.ErrLayout,
		},
		{
			name: "a layer path with a newline in it",
			data: func(t testing.TB) []byte {
				img := i1
				m := imagetest.JSON(t, []map[string]any{{"Config": img.DockerConfigPath(), "Layers": []string{"evil\nretar: ok"}}})
				return img.DockerArchive(t).Set(t, "manifest.json", m).Tar(t)
			},
			want:  []string{"evil"},
			errIs: convert.ErrLayout,
		},
		// Digests that would escape: every digest read from any document is
		// validated before it is a path, a map key or an output.
		{
			name: "foreign layer digest that climbs out",
			data: func(t testing.TB) []byte {
				img := i1
				ids := []digest.Digest{digest.FromBytes(img.Layers[0])}
				m := imagetest.JSON(t, []map[string]any{{"Config": img.DockerConfigPath(), "RepoTags": []string{imagetest.Name}, "Layers": []string{"absent/layer.tar"},
					"LayerSources": map[string]any{ids[0].String(): map[string]any{"mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
						"digest": "sha256:../../../../tmp/x", "size": 10, "urls": []string{"https://example.com/x"}}}}})
				return img.DockerArchive(t).Set(t, "manifest.json", m).Tar(t)
			},
			want:  []string{"invalid digest", "LayerSources"},
			errIs: convert.ErrLayout,
		},
		{
			name: "LayerSources key that is no digest",
			data: func(t testing.TB) []byte {
				img := i1
				m := imagetest.JSON(t, []map[string]any{{"Config": img.DockerConfigPath(), "Layers": []string{img.DockerLayerPath(0)},
					"LayerSources": map[string]any{"sha256:../x": map[string]any{"mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
						"digest": digest.FromBytes(img.Layers[0]), "size": len(img.Layers[0])}}}})
				return img.DockerArchive(t).Set(t, "manifest.json", m).Tar(t)
			},
			want:  []string{"invalid digest", "LayerSources key"},
			errIs: convert.ErrLayout,
		},
		{
			name: "index entry digest that climbs out",
			data: func(t testing.TB) []byte {
				ms := i1.OCIArchive(t)
				idx := strings.Replace(string(ms.Get(t, "index.json")), digest.FromBytes(i1.Manifest(t)).String(), "sha256:../../../etc/passwd", 1)
				return ms.Set(t, "index.json", []byte(idx)).Tar(t)
			},
			want:  []string{"invalid digest", "index.json"},
			errIs: convert.ErrLayout,
		},
		{
			name: "absent foreign layer of an unknown algorithm",
			data: func(t testing.TB) []byte {
				var m map[string]any
				json.Unmarshal(i1.Manifest(t), &m)
				m["layers"].([]any)[0] = map[string]any{"mediaType": "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
					"digest": "md5:0123", "size": 4, "urls": []string{"https://example.com/x"}}
				img := i1
				img.RawManifest = imagetest.JSON(t, m)
				return img.OCIArchive(t).Tar(t)
			},
			want:  []string{"invalid digest", "layer 0"},
			errIs: convert.ErrLayout,
		},
		{
			name: "absent foreign layer of negative size",
			data: func(t testing.TB) []byte {
				var m map[string]any
				json.Unmarshal(i1.Manifest(t), &m)
				m["layers"].([]any)[0] = map[string]any{"mediaType": "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
					"digest": digest.FromString("elsewhere"), "size": -5, "urls": []string{"https://example.com/x"}}
				img := i1
				img.RawManifest = imagetest.JSON(t, m)
				return img.OCIArchive(t).Tar(t)
			},
			want:  []string{"negative size"},
			errIs: convert.ErrLayout,
		},
		{
			name: "diff_id that is no digest",
			data: func(t testing.TB) []byte {
				cfg := strings.Replace(string(i1.Config), digest.FromBytes(i1.Layers[0]).String(), "sha256:../../x", 1)
				img := imagetest.Image{Layers: i1.Layers, Config: []byte(cfg)}
				return img.OCIArchive(t).Tar(t)
			},
			want:  []string{"invalid digest", "diff_ids"},
			errIs: convert.ErrLayout,
		},
		// JSON that means two things: one member named twice, or in two
		// cases where the decoder folds them.
		{
			name: "manifest naming its layers twice",
			data: func(t testing.TB) []byte {
				img := i2
				img.RawManifest = []byte(strings.Replace(string(i2.Manifest(t)), `"layers":`, `"layers":[],"layers":`, 1))
				return img.OCIArchive(t).Tar(t)
			},
			want:  []string{imagetest.BlobPath([]byte(strings.Replace(string(i2.Manifest(t)), `"layers":`, `"layers":[],"layers":`, 1))), "names one member twice", `"layers"`},
			errIs: convert.ErrLayout,
		},
		{
			name: "manifest.json naming Layers in two cases",
			data: func(t testing.TB) []byte {
				m := strings.Replace(string(i1.DockerArchive(t).Get(t, "manifest.json")), `"Layers":`, `"layers":[],"Layers":`, 1)
				return i1.DockerArchive(t).Set(t, "manifest.json", []byte(m)).Tar(t)
			},
			want:  []string{"manifest.json", "names one member twice"},
			errIs: convert.ErrLayout,
		},
		{
			name: "two manifest.json members",
			data: func(t testing.TB) []byte {
				ms := i1.DockerArchive(t)
				return ms.Add(imagetest.Member{Name: "./manifest.json", Body: []byte(`[]`)}).Tar(t)
			},
			want:  []string{"manifest.json", "two tar members"},
			errIs: convert.ErrLayout,
		},
		{
			name: "two members for one layer",
			data: func(t testing.TB) []byte {
				ms := i1.OCIArchive(t)
				return ms.Add(imagetest.Member{Name: imagetest.BlobPath(i1.Layers[0]), Body: []byte("other bytes")}).Tar(t)
			},
			want:  []string{imagetest.BlobPath(i1.Layers[0]), "two tar members"},
			errIs: convert.ErrLayout,
		},
	}
}

// checkError asserts what every error on a hostile input must be: one line,
// naming the source and what the case names, and typed as the case says.
func checkError(t *testing.T, c badInput, source string, err error) {
	t.Helper()
	require.Error(t, err)
	msg := err.Error()
	t.Log(msg)
	assert.False(t, strings.ContainsAny(msg, "\n\r"), "error is not one line: %q", msg)
	assert.Contains(t, msg, source, "error does not name the source")
	for _, w := range c.want {
		assert.Contains(t, msg, w)
	}
	if c.errIs != nil {
		assert.ErrorIs(t, err, c.errIs)
	}
	if c.digest == nil {
		return
	}
	var de *convert.DigestError
	require.ErrorAs(t, err, &de)
	assert.NotEmpty(t, de.Want, "DigestError Want")
	assert.NotEmpty(t, de.Got, "DigestError Got")
	assert.NotEqual(t, de.Want, de.Got, "DigestError Want and Got")
	assert.Equal(t, source, de.Source, "DigestError Source")
	d := c.digest
	if d.blob != "" {
		assert.Equal(t, d.blob, de.Blob, "DigestError Blob")
	}
	if d.what != "" || de.What != "digest" { // "" stands for "digest"
		assert.Equal(t, d.what, de.What, "DigestError What")
	}
	if !d.anyWantGot {
		assert.Equal(t, d.want, de.Want, "DigestError Want")
		assert.Equal(t, d.got, de.Got, "DigestError Got")
	}
}

func TestBadInput(t *testing.T) {
	for _, c := range badInputs(t) {
		t.Run(c.name, func(t *testing.T) {
			data := c.data(t)
			before := digest.FromBytes(data)
			source := "hostile-" + strings.ReplaceAll(c.name, " ", "-") + ".tar"
			for _, to := range allLayouts {
				t.Run(string(to), func(t *testing.T) {
					checkError(t, c, source, convertTo(source, data, to))
				})
			}
			t.Run("verify", func(t *testing.T) {
				checkError(t, c, source, verify(source, data))
			})
			if digest.FromBytes(data) != before {
				t.Error("the input changed")
			}
		})
	}
}

// The valid images the hostile inputs are made from convert and verify, so
// that each failure above is the mutation's doing.
func TestBadInputBaselines(t *testing.T) {
	for _, c := range []struct {
		name string
		ms   imagetest.Members
	}{
		{"docker-archive, 1 layer", imagetest.New(t).DockerArchive(t)},
		{"docker-archive, 2 layers", imagetest.New(t, imagetest.Layers(2)).DockerArchive(t)},
		{"oci-archive, 1 layer", imagetest.New(t).OCIArchive(t)},
		{"oci-archive, 2 layers", imagetest.New(t, imagetest.Layers(2)).OCIArchive(t)},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := c.ms.Tar(t)
			for _, to := range allLayouts {
				assert.NoError(t, convertTo(c.name, data, to), "to %s", to)
			}
			assert.NoError(t, verify(c.name, data), "verify")
		})
	}
}

// A config named for a digest it does not have loads in docker (the content is
// what counts), so convert goes on with a notice naming it; verify fails.
func TestConfigNameClaimsWrongDigest(t *testing.T) {
	img := imagetest.New(t)
	wrong := digest.FromString("not the config").Encoded() + ".json"
	ms := img.DockerArchive(t).Drop(t, img.DockerConfigPath())
	m := imagetest.JSON(t, []map[string]any{{"Config": wrong, "RepoTags": []string{imagetest.Name}, "Layers": []string{img.DockerLayerPath(0)}}})
	ms = ms.Set(t, "manifest.json", m).Add(imagetest.Member{Name: wrong, Body: img.Config})
	data := ms.Tar(t)
	const source = "claims.tar"

	c := badInput{want: []string{wrong}, errIs: convert.ErrDigestMismatch,
		digest: &digestWant{blob: wrong, want: digest.NewDigestFromEncoded(digest.SHA256, strings.TrimSuffix(wrong, ".json")), got: digest.FromBytes(img.Config)}}
	checkError(t, c, source, verify(source, data))

	a, err := convert.Open(convert.Input{Name: source, Archive: bytes.NewReader(data), Size: int64(len(data))})
	require.NoError(t, err)
	if !strings.Contains(strings.Join(a.Warnings, "\n"), wrong) {
		t.Errorf("no notice names %s: %q", wrong, a.Warnings)
	}
	for _, to := range allLayouts {
		assert.NoError(t, convertTo(source, data, to), "to %s", to)
	}
}

// An index.json entry whose manifest is not in the archive leaves nothing to
// convert: the image is missing, and saying so is the only right answer.
func TestIndexEntryManifestMissing(t *testing.T) {
	img := imagetest.New(t)
	data := img.OCIArchive(t).Drop(t, imagetest.BlobPath(img.Manifest(t))).Tar(t)
	const source = "no-manifest.tar"
	c := badInput{want: []string{digest.FromBytes(img.Manifest(t)).String()}}
	for _, to := range allLayouts {
		t.Run(string(to), func(t *testing.T) {
			err := convertTo(source, data, to)
			checkError(t, c, source, err)
			if errors.Is(err, convert.ErrUsage) {
				t.Errorf("a missing manifest is reported as a usage error: %v", err)
			}
		})
	}
	t.Run("verify", func(t *testing.T) {
		checkError(t, c, source, verify(source, data))
	})
	t.Run("inspect", func(t *testing.T) {
		a, err := convert.Open(convert.Input{Name: source, Archive: bytes.NewReader(data), Size: int64(len(data))})
		if err == nil {
			err = noPanic(t, func() error {
				_, err := a.Inspect(context.Background(), convert.InspectOptions{Host: convertOptions(convert.OCI).Host})
				return err
			})
		}
		checkError(t, c, source, err)
	})
}

// noPanic runs fn and turns a panic into a test failure, so that one bug
// does not stop every other test of the package.
func noPanic(t *testing.T, fn func() error) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return fn()
}

// fixture returns a file of the third-party corpus (golden/testdata/thirdparty).
func fixture(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "golden", "testdata", "thirdparty", filepath.FromSlash(rel)))
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("fixture %s: %v (golden/testdata/thirdparty is part of the repository)", rel, err)
	}
	require.NoError(t, err)
	return b
}

// Real archives written by other tools convert and verify (positive controls),
// and one flipped byte in a real docker save layer is caught by its diff_id.
func TestBadInputRealFixtures(t *testing.T) {
	for _, rel := range []string{"wagoodman__dive/.data/test-docker-image.tar", "wagoodman__dive/.data/test-oci-gzip-image.tar"} {
		t.Run(rel, func(t *testing.T) {
			data := fixture(t, rel)
			for _, to := range allLayouts {
				assert.NoError(t, convertTo(rel, data, to), "to %s", to)
			}
			assert.NoError(t, verify(rel, data), "verify")
		})
	}
	t.Run("dive docker save with a flipped byte", func(t *testing.T) {
		data := fixture(t, "wagoodman__dive/.data/test-docker-image.tar")
		// Find the first layer.tar's data with archive/tar and flip a byte in it.
		sr := io.NewSectionReader(bytes.NewReader(data), 0, int64(len(data)))
		tr := tar.NewReader(sr)
		var layer string
		var off, size int64
		for {
			h, err := tr.Next()
			if err != nil {
				t.Fatalf("no layer.tar in the fixture: %v", err)
			}
			if strings.HasSuffix(h.Name, "/layer.tar") && h.Typeflag == tar.TypeReg && h.Size > 0 {
				layer, size = h.Name, h.Size
				off, _ = sr.Seek(0, io.SeekCurrent)
				break
			}
		}
		bad := bytes.Clone(data)
		bad[off+size/2] ^= 0xff
		c := badInput{want: []string{layer}, errIs: convert.ErrDigestMismatch, digest: &digestWant{what: "diff_id", blob: layer, anyWantGot: true}}
		const source = "dive-flipped.tar"
		for _, to := range allLayouts {
			checkError(t, c, source, convertTo(source, bad, to))
		}
		checkError(t, c, source, verify(source, bad))
	})
}

// A layer stored under a sha512 digest keeps its sha256 diff_id: the diff_id
// is hashed with its own algorithm, not the blob's.
func TestSHA512LayerKeepsSHA256DiffID(t *testing.T) {
	img := imagetest.New(t)
	l := img.Layers[0]
	d512 := digest.SHA512.FromBytes(l)
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest,
		Config: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(img.Config), Size: int64(len(img.Config))},
		Layers: []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageLayer, Digest: d512, Size: int64(len(l))}}}
	m.SchemaVersion = 2
	img.RawManifest = imagetest.JSON(t, m)
	sha512Layer := imagetest.Member{Name: "blobs/sha512/" + d512.Encoded(), Body: l}
	data := img.OCIArchive(t).Drop(t, imagetest.BlobPath(l)).Add(sha512Layer).Tar(t)
	require.NoError(t, verify("sha512.tar", data), "verify")
	for _, to := range []convert.Layout{convert.DockerArchive, convert.OCIArchive, convert.OCI} {
		assert.NoError(t, convertTo("sha512.tar", data, to), "to %s", to)
	}
	// A wrong sha256 diff_id is still caught.
	bad := imagetest.New(t)
	bad.Config = bytes.Replace(bad.Config, []byte(digest.FromBytes(l).Encoded()), []byte(digest.FromString("x").Encoded()), 1)
	m.Config.Digest, m.Config.Size = digest.FromBytes(bad.Config), int64(len(bad.Config))
	bad.RawManifest = imagetest.JSON(t, m)
	err := verify("sha512-bad.tar", bad.OCIArchive(t).Drop(t, imagetest.BlobPath(l)).Add(sha512Layer).Tar(t))
	var de *convert.DigestError
	if !errors.As(err, &de) || de.What != "diff_id" || de.Got != digest.FromBytes(l) {
		t.Errorf("a wrong diff_id of a sha512 layer: %v", err)
	}
}

// withIndex is an oci-archive of img whose index.json names an image index
// (a multi-platform image) listing these manifest descriptors.
func withIndex(t testing.TB, img imagetest.Image, descs func(m []byte) []map[string]any) []byte {
	m := img.Manifest(t)
	idx := imagetest.JSON(t, map[string]any{"schemaVersion": 2, "mediaType": ocispec.MediaTypeImageIndex, "manifests": descs(m)})
	top := imagetest.JSON(t, map[string]any{"schemaVersion": 2, "manifests": []map[string]any{{"mediaType": ocispec.MediaTypeImageIndex,
		"digest": digest.FromBytes(idx), "size": len(idx), "annotations": map[string]string{ocispec.AnnotationRefName: imagetest.Name}}}})
	return img.OCIArchive(t).Set(t, "index.json", top).Add(imagetest.Blob(idx)).Tar(t)
}

// Shapes skopeo converts and retar once failed on: an index listing one
// manifest twice (into dir: with every platform), and index entries without
// mediaType (with --format v2s2).
func TestIndexShapesThatConvert(t *testing.T) {
	img := imagetest.New(t)
	amd64 := map[string]string{"os": "linux", "architecture": "amd64"}
	twice := withIndex(t, img, func(m []byte) []map[string]any {
		d := map[string]any{"mediaType": ocispec.MediaTypeImageManifest, "digest": digest.FromBytes(m), "size": len(m), "platform": amd64}
		return []map[string]any{d, d}
	})
	noType := withIndex(t, img, func(m []byte) []map[string]any {
		return []map[string]any{{"digest": digest.FromBytes(m), "size": len(m), "platform": amd64}}
	})
	ctx := context.Background()
	for _, c := range []struct {
		name string
		data []byte
		opts convert.Options
	}{
		{"one manifest twice, all platforms into dir", twice, convert.Options{To: convert.Dir, AllPlatforms: true}},
		{"one manifest twice, into oci", twice, convert.Options{To: convert.OCIArchive}},
		{"no mediaType, v2s2", noType, convert.Options{To: convert.OCIArchive, Format: convert.FormatV2S2}},
		{"no mediaType, v2s2 into dir", noType, convert.Options{To: convert.Dir, Format: convert.FormatV2S2, AllPlatforms: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, err := convert.Open(convert.Input{Name: "in.tar", Archive: bytes.NewReader(c.data), Size: int64(len(c.data))})
			require.NoError(t, err)
			c.opts.Host = ocispec.Platform{OS: "linux", Architecture: "amd64"}
			p, err := a.Convert(ctx, c.opts)
			require.NoError(t, err)
			var out bytes.Buffer
			if err := p.WriteTar(convert.WriterSink{Writer: &out}); err != nil {
				t.Fatal(err)
			}
			if c.opts.To.IsArchive() {
				if err := verify("out.tar", out.Bytes()); err != nil {
					t.Errorf("the output does not verify: %v", err)
				}
			}
		})
	}
}
