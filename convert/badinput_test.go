package convert_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/retar-dev/retar/convert"
)

// member is one entry of an archive a test builds.
type member struct {
	name string
	typ  byte // tar.TypeReg when zero
	link string
	body []byte
}

// members is an archive as a list of entries, so that a hostile variant of a
// valid archive is one visible edit away from it.
type members []member

func (ms members) tar(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range ms {
		h := &tar.Header{Name: m.name, Typeflag: m.typ, Linkname: m.link, Mode: 0o644, ModTime: time.Unix(1700000000, 0)}
		switch h.Typeflag {
		case 0:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(m.body))
		case tar.TypeDir:
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("tar header %q: %v", m.name, err)
		}
		if _, err := tw.Write(m.body); err != nil {
			t.Fatalf("tar body %q: %v", m.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// set returns a copy with name's body replaced, failing if there is no such entry.
func (ms members) set(t testing.TB, name string, body []byte) members {
	t.Helper()
	out := append(members(nil), ms...)
	for i := range out {
		if out[i].name == name {
			out[i].body = body
			return out
		}
	}
	t.Fatalf("no entry %q in %v", name, ms.names())
	return nil
}

// drop returns a copy without name.
func (ms members) drop(t testing.TB, name string) members {
	t.Helper()
	var out members
	for _, m := range ms {
		if m.name != name {
			out = append(out, m)
		}
	}
	if len(out) == len(ms) {
		t.Fatalf("no entry %q in %v", name, ms.names())
	}
	return out
}

func (ms members) get(t testing.TB, name string) []byte {
	t.Helper()
	for _, m := range ms {
		if m.name == name {
			return m.body
		}
	}
	t.Fatalf("no entry %q in %v", name, ms.names())
	return nil
}

func (ms members) names() []string {
	var s []string
	for _, m := range ms {
		s = append(s, m.name)
	}
	return s
}

// testImage is a small valid image: uncompressed layers and the config that
// lists their diff_ids.
type testImage struct {
	layers [][]byte
	config []byte
}

const testName = "example.com/retar/test:1"

func newTestImage(t testing.TB, nLayers int) testImage {
	t.Helper()
	var img testImage
	var ids []digest.Digest
	for i := range nLayers {
		l := members{
			{name: "etc/", typ: tar.TypeDir},
			{name: fmt.Sprintf("etc/layer%d.txt", i), body: bytes.Repeat([]byte(fmt.Sprintf("layer %d of a retar test image\n", i)), 64)},
		}.tar(t)
		img.layers = append(img.layers, l)
		ids = append(ids, digest.FromBytes(l))
	}
	cfg := map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"created":      "2024-01-01T00:00:00Z",
		"config":       map[string]any{"Env": []string{"PATH=/bin"}},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": ids},
	}
	img.config = mustJSON(t, cfg)
	return img
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// v1ID is the legacy directory of layer i, as docker save names them.
func v1ID(i int) string { return digest.FromString(fmt.Sprint("v1 layer ", i)).Encoded() }

// layerPath is where dockerArchive stores layer i.
func layerPath(i int) string { return v1ID(i) + "/layer.tar" }

// configPath is where dockerArchive stores the config.
func (img testImage) configPath() string { return digest.FromBytes(img.config).Encoded() + ".json" }

// dockerArchive lays the image out as docker save (≤ 24) does: legacy layer
// directories, "<config hex>.json", manifest.json and repositories.
func (img testImage) dockerArchive(t testing.TB) members {
	t.Helper()
	var ms members
	var layers []string
	parent := ""
	for i, l := range img.layers {
		id := v1ID(i)
		v1 := map[string]string{"id": id}
		if parent != "" {
			v1["parent"] = parent
		}
		ms = append(ms,
			member{name: id + "/", typ: tar.TypeDir},
			member{name: id + "/VERSION", body: []byte("1.0")},
			member{name: id + "/json", body: mustJSON(t, v1)},
			member{name: layerPath(i), body: l})
		layers = append(layers, layerPath(i))
		parent = id
	}
	manifest := []map[string]any{{"Config": img.configPath(), "RepoTags": []string{testName}, "Layers": layers}}
	ms = append(ms,
		member{name: img.configPath(), body: img.config},
		member{name: "manifest.json", body: mustJSON(t, manifest)},
		member{name: "repositories", body: mustJSON(t, map[string]map[string]string{"example.com/retar/test": {"1": parent}})})
	return ms
}

func blobName(b []byte) string { return "blobs/sha256/" + digest.FromBytes(b).Encoded() }

// ociManifest is the image's OCI manifest.
func (img testImage) ociManifest(t testing.TB) []byte {
	t.Helper()
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest,
		Config: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(img.config), Size: int64(len(img.config))}}
	m.SchemaVersion = 2
	for _, l := range img.layers {
		m.Layers = append(m.Layers, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: digest.FromBytes(l), Size: int64(len(l))})
	}
	return mustJSON(t, m)
}

// ociIndex is an index.json listing manifest under testName.
func ociIndex(t testing.TB, manifest []byte) []byte {
	t.Helper()
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{{
		MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(manifest), Size: int64(len(manifest)),
		Annotations: map[string]string{ocispec.AnnotationRefName: testName}}}}
	idx.SchemaVersion = 2
	return mustJSON(t, idx)
}

// ociArchive lays the image out as an oci-archive (skopeo's shape).
func (img testImage) ociArchive(t testing.TB) members {
	t.Helper()
	manifest := img.ociManifest(t)
	ms := members{
		{name: "oci-layout", body: []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{name: "index.json", body: ociIndex(t, manifest)},
		{name: "blobs/", typ: tar.TypeDir},
		{name: "blobs/sha256/", typ: tar.TypeDir},
		{name: blobName(manifest), body: manifest},
		{name: blobName(img.config), body: img.config},
	}
	for _, l := range img.layers {
		ms = append(ms, member{name: blobName(l), body: l})
	}
	return ms
}

// flip returns a copy of b with one byte, in the middle, inverted.
func flip(b []byte) []byte {
	c := bytes.Clone(b)
	c[len(c)/2] ^= 0xff
	return c
}

// nested is a JSON value depth arrays deep.
func nested(depth int) []byte {
	return []byte(strings.Repeat("[", depth) + strings.Repeat("]", depth))
}

// padded is a valid JSON value of exactly n bytes: v followed by spaces.
func padded(v []byte, n int) []byte {
	b := bytes.Repeat([]byte{' '}, n)
	copy(b, v)
	return b
}

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
	i1, i2 := newTestImage(t, 1), newTestImage(t, 2)
	return []badInput{
		{
			name: "truncated tar, in a layer",
			data: func(t testing.TB) []byte {
				b := i2.dockerArchive(t).tar(t)
				i := bytes.Index(b, []byte("layer 1 of a retar test image"))
				return b[:i+100]
			},
			want:  []string{layerPath(1), "truncated"},
			errIs: convert.ErrLayout,
		},
		{
			name: "truncated tar, in a header",
			data: func(t testing.TB) []byte {
				b := i2.dockerArchive(t).tar(t)
				i := bytes.Index(b, []byte("manifest.json"))
				return b[:i+200]
			},
			want:  []string{"broken tar"},
			errIs: convert.ErrLayout,
		},
		{
			name: "truncated tar, half",
			data: func(t testing.TB) []byte {
				b := i2.dockerArchive(t).tar(t)
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
				ms := i2.dockerArchive(t)
				ms = append(ms.drop(t, layerPath(1)), member{name: layerPath(1), body: ms.get(t, layerPath(1))})
				b := ms.tar(t)
				i := bytes.LastIndex(b, []byte(layerPath(1)))
				return b[:i-(i%512)]
			},
			want: []string{layerPath(1), "not in the archive"},
		},
		{
			name: "docker save, one flipped byte in a layer",
			data: func(t testing.TB) []byte {
				ms := i2.dockerArchive(t)
				return ms.set(t, layerPath(1), flip(ms.get(t, layerPath(1)))).tar(t)
			},
			want: []string{layerPath(1), "diff_id"},
			digest: &digestWant{what: "diff_id", blob: layerPath(1), want: digest.FromBytes(i2.layers[1]),
				got: digest.FromBytes(flip(i2.layers[1]))},
			errIs: convert.ErrDigestMismatch,
		},
		{
			name: "oci-archive, one flipped byte in a layer",
			data: func(t testing.TB) []byte {
				img := i2
				ms := img.ociArchive(t)
				return ms.set(t, blobName(img.layers[0]), flip(img.layers[0])).tar(t)
			},
			want: []string{blobName(i2.layers[0])},
			digest: &digestWant{blob: blobName(i2.layers[0]), want: digest.FromBytes(i2.layers[0]),
				got: digest.FromBytes(flip(i2.layers[0]))},
			errIs: convert.ErrDigestMismatch,
		},
		{
			name: "oci-archive, one flipped byte in the config",
			data: func(t testing.TB) []byte {
				img := i1
				return img.ociArchive(t).set(t, blobName(img.config), flip(img.config)).tar(t)
			},
			want:   []string{blobName(i1.config)},
			digest: &digestWant{blob: blobName(i1.config), anyWantGot: true},
			errIs:  convert.ErrDigestMismatch,
		},
		{
			name: "oci-archive, one flipped byte in the manifest",
			data: func(t testing.TB) []byte {
				img := i1
				m := img.ociManifest(t)
				return img.ociArchive(t).set(t, blobName(m), flip(m)).tar(t)
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
				m := mustJSON(t, []map[string]any{{"Config": img.configPath(), "RepoTags": []string{testName}, "Layers": []string{"../../etc/passwd"}}})
				return img.dockerArchive(t).set(t, "manifest.json", m).tar(t)
			},
			want:  []string{"manifest.json", "../../etc/passwd"},
			errIs: convert.ErrLayout,
		},
		{
			name: "manifest.json Config points to ../../etc/passwd",
			data: func(t testing.TB) []byte {
				img := i1
				m := mustJSON(t, []map[string]any{{"Config": "../../etc/passwd", "Layers": []string{layerPath(0)}}})
				return img.dockerArchive(t).set(t, "manifest.json", m).tar(t)
			},
			want:  []string{"manifest.json", "../../etc/passwd"},
			errIs: convert.ErrLayout,
		},
		{
			name: "manifest.json Layers point to an absolute /etc/passwd",
			data: func(t testing.TB) []byte {
				img := i1
				m := mustJSON(t, []map[string]any{{"Config": img.configPath(), "Layers": []string{"/etc/passwd"}}})
				return img.dockerArchive(t).set(t, "manifest.json", m).tar(t)
			},
			want:  []string{"etc/passwd"},
			errIs: convert.ErrLayout,
		},
		{
			name: "tar entry named ../x",
			data: func(t testing.TB) []byte {
				return append(i1.dockerArchive(t), member{name: "../x", body: []byte("escape")}).tar(t)
			},
			want:  []string{`"../x"`, "unsafe"},
			errIs: convert.ErrLayout,
		},
		{
			name: "tar entry named a/../../x",
			data: func(t testing.TB) []byte {
				return append(members{{name: "a/../../x", body: []byte("escape")}}, i1.dockerArchive(t)...).tar(t)
			},
			want:  []string{`"a/../../x"`},
			errIs: convert.ErrLayout,
		},
		{
			name: "docker-archive, a layer missing",
			data: func(t testing.TB) []byte {
				return i2.dockerArchive(t).drop(t, layerPath(1)).tar(t)
			},
			want:  []string{layerPath(1), "not in the archive"},
			errIs: convert.ErrLayout,
		},
		{
			name: "docker-archive, the config missing",
			data: func(t testing.TB) []byte {
				img := i1
				return img.dockerArchive(t).drop(t, img.configPath()).tar(t)
			},
			want:  []string{i1.configPath(), "not in the archive"},
			errIs: convert.ErrLayout,
		},
		{
			name: "broken JSON in manifest.json",
			data: func(t testing.TB) []byte {
				return i1.dockerArchive(t).set(t, "manifest.json", []byte(`[{"Config": "x.json", "Layers": [`)).tar(t)
			},
			want:  []string{"manifest.json", "JSON"},
			errIs: convert.ErrLayout,
		},
		{
			name: "manifest.json of the wrong shape",
			data: func(t testing.TB) []byte {
				return i1.dockerArchive(t).set(t, "manifest.json", []byte(`{"Config": 1}`)).tar(t)
			},
			want:  []string{"manifest.json"},
			errIs: convert.ErrLayout,
		},
		{
			name: "broken JSON in index.json",
			data: func(t testing.TB) []byte {
				return i1.ociArchive(t).set(t, "index.json", []byte(`{"schemaVersion": 2, "manifests": [{]}`)).tar(t)
			},
			want:  []string{"index.json", "JSON"},
			errIs: convert.ErrLayout,
		},
		{
			name: "broken JSON in a manifest blob",
			data: func(t testing.TB) []byte {
				img := i1
				bad := []byte(`{"schemaVersion": 2, "config": {"digest": "sha256:`)
				ms := img.ociArchive(t).drop(t, blobName(img.ociManifest(t)))
				ms = ms.set(t, "index.json", ociIndex(t, bad))
				return append(ms, member{name: blobName(bad), body: bad}).tar(t)
			},
			want:  []string{blobName([]byte(`{"schemaVersion": 2, "config": {"digest": "sha256:`)), "JSON"},
			errIs: convert.ErrLayout,
		},
		{
			// Found by FuzzMetadata (testdata/fuzz/FuzzMetadata/371a9a6d8d9117f0).
			name: "oci-archive, a manifest with no layers for a config with two diff_ids",
			data: func(t testing.TB) []byte {
				var m map[string]any
				if err := json.Unmarshal(i2.ociManifest(t), &m); err != nil {
					t.Fatal(err)
				}
				delete(m, "layers")
				bad := mustJSON(t, m)
				ms := i2.ociArchive(t).drop(t, blobName(i2.ociManifest(t))).set(t, "index.json", ociIndex(t, bad))
				return append(ms, member{name: blobName(bad), body: bad}).tar(t)
			},
			want:  []string{"diff_ids"},
			errIs: convert.ErrLayout,
		},
		{
			name: "broken JSON in the config",
			data: func(t testing.TB) []byte {
				img := i1
				return img.dockerArchive(t).set(t, img.configPath(), []byte(`{"rootfs": {"diff_ids": [`)).tar(t)
			},
			want: []string{i1.configPath()},
		},
		{
			name: "manifest.json of 50 MB",
			data: func(t testing.TB) []byte {
				img := i1
				m := mustJSON(t, []map[string]any{{"Config": img.configPath(), "Layers": []string{layerPath(0)}}})
				return img.dockerArchive(t).set(t, "manifest.json", padded(m, 50<<20)).tar(t)
			},
			want:  []string{"manifest.json", "limit"},
			errIs: convert.ErrLayout,
		},
		{
			name: "index.json of 50 MB",
			data: func(t testing.TB) []byte {
				img := i1
				return img.ociArchive(t).set(t, "index.json", padded(ociIndex(t, img.ociManifest(t)), 50<<20)).tar(t)
			},
			want:  []string{"index.json", "limit"},
			errIs: convert.ErrLayout,
		},
		{
			name: "manifest.json nested 100 000 deep",
			data: func(t testing.TB) []byte {
				return i1.dockerArchive(t).set(t, "manifest.json", nested(100000)).tar(t)
			},
			want:  []string{"manifest.json"},
			errIs: convert.ErrLayout,
		},
		{
			name: "index.json nested 100 000 deep",
			data: func(t testing.TB) []byte {
				return i1.ociArchive(t).set(t, "index.json", nested(100000)).tar(t)
			},
			want:  []string{"index.json"},
			errIs: convert.ErrLayout,
		},
		{
			name: "index.json nested 100 000 deep inside a valid prefix",
			data: func(t testing.TB) []byte {
				deep := []byte(`{"schemaVersion":2,"manifests":[{"annotations":{"x":` + strings.Repeat(`{"a":`, 100000) + `1` + strings.Repeat("}", 100000) + `}}]}`)
				return i1.ociArchive(t).set(t, "index.json", deep).tar(t)
			},
			want:  []string{"index.json"},
			errIs: convert.ErrLayout,
		},
		{
			name: "symlink loop as a layer path",
			data: func(t testing.TB) []byte {
				img := i1
				m := mustJSON(t, []map[string]any{{"Config": img.configPath(), "Layers": []string{"a"}}})
				ms := img.dockerArchive(t).set(t, "manifest.json", m)
				return append(ms, member{name: "a", typ: tar.TypeSymlink, link: "b"}, member{name: "b", typ: tar.TypeSymlink, link: "a"}).tar(t)
			},
			want:  []string{"a", "links"},
			errIs: convert.ErrLayout,
		},
		{
			name: "symlink out of the archive as a layer path",
			data: func(t testing.TB) []byte {
				img := i1
				m := mustJSON(t, []map[string]any{{"Config": img.configPath(), "Layers": []string{"l.tar"}}})
				ms := img.dockerArchive(t).set(t, "manifest.json", m)
				return append(ms, member{name: "l.tar", typ: tar.TypeSymlink, link: "../../etc/passwd"}).tar(t)
			},
			want:  []string{"l.tar", "../../etc/passwd"},
			errIs: convert.ErrLayout,
		},
		{
			name: "hardlink to a missing entry as a layer path",
			data: func(t testing.TB) []byte {
				img := i1
				m := mustJSON(t, []map[string]any{{"Config": img.configPath(), "Layers": []string{"l.tar"}}})
				ms := img.dockerArchive(t).set(t, "manifest.json", m)
				return append(ms, member{name: "l.tar", typ: tar.TypeLink, link: "nowhere/layer.tar"}).tar(t)
			},
			want:  []string{"l.tar"},
			errIs: convert.ErrLayout,
		},
		{
			name: "a layer path with a newline in it",
			data: func(t testing.TB) []byte {
				img := i1
				m := mustJSON(t, []map[string]any{{"Config": img.configPath(), "Layers": []string{"evil\nretar: ok"}}})
				return img.dockerArchive(t).set(t, "manifest.json", m).tar(t)
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
				ids := []digest.Digest{digest.FromBytes(img.layers[0])}
				m := mustJSON(t, []map[string]any{{"Config": img.configPath(), "RepoTags": []string{testName}, "Layers": []string{"absent/layer.tar"},
					"LayerSources": map[string]any{ids[0].String(): map[string]any{"mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
						"digest": "sha256:../../../../tmp/x", "size": 10, "urls": []string{"https://example.com/x"}}}}})
				return img.dockerArchive(t).set(t, "manifest.json", m).tar(t)
			},
			want:  []string{"invalid digest", "LayerSources"},
			errIs: convert.ErrLayout,
		},
		{
			name: "LayerSources key that is no digest",
			data: func(t testing.TB) []byte {
				img := i1
				m := mustJSON(t, []map[string]any{{"Config": img.configPath(), "Layers": []string{layerPath(0)},
					"LayerSources": map[string]any{"sha256:../x": map[string]any{"mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
						"digest": digest.FromBytes(img.layers[0]), "size": len(img.layers[0])}}}})
				return img.dockerArchive(t).set(t, "manifest.json", m).tar(t)
			},
			want:  []string{"invalid digest", "LayerSources key"},
			errIs: convert.ErrLayout,
		},
		{
			name: "index entry digest that climbs out",
			data: func(t testing.TB) []byte {
				idx := strings.Replace(string(ociIndex(t, i1.ociManifest(t))), digest.FromBytes(i1.ociManifest(t)).String(), "sha256:../../../etc/passwd", 1)
				return i1.ociArchive(t).set(t, "index.json", []byte(idx)).tar(t)
			},
			want:  []string{"invalid digest", "index.json"},
			errIs: convert.ErrLayout,
		},
		{
			name: "absent foreign layer of an unknown algorithm",
			data: func(t testing.TB) []byte {
				var m map[string]any
				json.Unmarshal(i1.ociManifest(t), &m)
				m["layers"].([]any)[0] = map[string]any{"mediaType": "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
					"digest": "md5:0123", "size": 4, "urls": []string{"https://example.com/x"}}
				mb := mustJSON(t, m)
				return append(i1.ociArchive(t).drop(t, blobName(i1.ociManifest(t))).set(t, "index.json", ociIndex(t, mb)), member{name: blobName(mb), body: mb}).tar(t)
			},
			want:  []string{"invalid digest", "layer 0"},
			errIs: convert.ErrLayout,
		},
		{
			name: "absent foreign layer of negative size",
			data: func(t testing.TB) []byte {
				var m map[string]any
				json.Unmarshal(i1.ociManifest(t), &m)
				m["layers"].([]any)[0] = map[string]any{"mediaType": "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
					"digest": digest.FromString("elsewhere"), "size": -5, "urls": []string{"https://example.com/x"}}
				mb := mustJSON(t, m)
				return append(i1.ociArchive(t).drop(t, blobName(i1.ociManifest(t))).set(t, "index.json", ociIndex(t, mb)), member{name: blobName(mb), body: mb}).tar(t)
			},
			want:  []string{"negative size"},
			errIs: convert.ErrLayout,
		},
		{
			name: "diff_id that is no digest",
			data: func(t testing.TB) []byte {
				cfg := strings.Replace(string(i1.config), digest.FromBytes(i1.layers[0]).String(), "sha256:../../x", 1)
				img := testImage{layers: i1.layers, config: []byte(cfg)}
				return img.ociArchive(t).tar(t)
			},
			want:  []string{"invalid digest", "diff_ids"},
			errIs: convert.ErrLayout,
		},
		// JSON that means two things: one member named twice, or in two
		// cases where the decoder folds them.
		{
			name: "manifest naming its layers twice",
			data: func(t testing.TB) []byte {
				mb := []byte(strings.Replace(string(i2.ociManifest(t)), `"layers":`, `"layers":[],"layers":`, 1))
				return append(i2.ociArchive(t).drop(t, blobName(i2.ociManifest(t))).set(t, "index.json", ociIndex(t, mb)), member{name: blobName(mb), body: mb}).tar(t)
			},
			want:  []string{blobName([]byte(strings.Replace(string(i2.ociManifest(t)), `"layers":`, `"layers":[],"layers":`, 1))), "names one member twice", `"layers"`},
			errIs: convert.ErrLayout,
		},
		{
			name: "manifest.json naming Layers in two cases",
			data: func(t testing.TB) []byte {
				m := strings.Replace(string(i1.dockerArchive(t).get(t, "manifest.json")), `"Layers":`, `"layers":[],"Layers":`, 1)
				return i1.dockerArchive(t).set(t, "manifest.json", []byte(m)).tar(t)
			},
			want:  []string{"manifest.json", "names one member twice"},
			errIs: convert.ErrLayout,
		},
		{
			name: "two manifest.json members",
			data: func(t testing.TB) []byte {
				ms := i1.dockerArchive(t)
				return append(ms, member{name: "./manifest.json", body: []byte(`[]`)}).tar(t)
			},
			want:  []string{"manifest.json", "two tar members"},
			errIs: convert.ErrLayout,
		},
		{
			name: "two members for one layer",
			data: func(t testing.TB) []byte {
				ms := i1.ociArchive(t)
				return append(ms, member{name: blobName(i1.layers[0]), body: []byte("other bytes")}).tar(t)
			},
			want:  []string{blobName(i1.layers[0]), "two tar members"},
			errIs: convert.ErrLayout,
		},
	}
}

// checkError asserts what every error on a hostile input must be: one line,
// naming the source and what the case names, and typed as the case says.
func checkError(t *testing.T, c badInput, source string, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	t.Log(msg)
	if strings.ContainsAny(msg, "\n\r") {
		t.Errorf("error is not one line: %q", msg)
	}
	if !strings.Contains(msg, source) {
		t.Errorf("error does not name the source %q: %q", source, msg)
	}
	for _, w := range c.want {
		if !strings.Contains(msg, w) {
			t.Errorf("error does not mention %q: %q", w, msg)
		}
	}
	if c.errIs != nil && !errors.Is(err, c.errIs) {
		t.Errorf("error is not %v: %q", c.errIs, msg)
	}
	if c.digest == nil {
		return
	}
	var de *convert.DigestError
	if !errors.As(err, &de) {
		t.Fatalf("error is not a *DigestError: %T %q", err, msg)
	}
	if de.Want == "" || de.Got == "" || de.Want == de.Got {
		t.Errorf("DigestError Want %q, Got %q: want both set and different", de.Want, de.Got)
	}
	if de.Source != source {
		t.Errorf("DigestError Source %q, want %q", de.Source, source)
	}
	d := c.digest
	if d.blob != "" && de.Blob != d.blob {
		t.Errorf("DigestError Blob %q, want %q", de.Blob, d.blob)
	}
	if de.What != d.what && !(d.what == "" && de.What == "digest") {
		t.Errorf("DigestError What %q, want %q", de.What, d.what)
	}
	if !d.anyWantGot && (de.Want != d.want || de.Got != d.got) {
		t.Errorf("DigestError Want %s Got %s, want Want %s Got %s", de.Want, de.Got, d.want, d.got)
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
		ms   members
	}{
		{"docker-archive, 1 layer", newTestImage(t, 1).dockerArchive(t)},
		{"docker-archive, 2 layers", newTestImage(t, 2).dockerArchive(t)},
		{"oci-archive, 1 layer", newTestImage(t, 1).ociArchive(t)},
		{"oci-archive, 2 layers", newTestImage(t, 2).ociArchive(t)},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := c.ms.tar(t)
			for _, to := range allLayouts {
				if err := convertTo(c.name, data, to); err != nil {
					t.Errorf("to %s: %v", to, err)
				}
			}
			if err := verify(c.name, data); err != nil {
				t.Errorf("verify: %v", err)
			}
		})
	}
}

// A config named for a digest it does not have loads in docker (the content is
// what counts), so convert goes on with a notice naming it; verify fails.
func TestConfigNameClaimsWrongDigest(t *testing.T) {
	img := newTestImage(t, 1)
	wrong := digest.FromString("not the config").Encoded() + ".json"
	ms := img.dockerArchive(t).drop(t, img.configPath())
	m := mustJSON(t, []map[string]any{{"Config": wrong, "RepoTags": []string{testName}, "Layers": []string{layerPath(0)}}})
	ms = append(ms.set(t, "manifest.json", m), member{name: wrong, body: img.config})
	data := ms.tar(t)
	const source = "claims.tar"

	c := badInput{want: []string{wrong}, errIs: convert.ErrDigestMismatch,
		digest: &digestWant{blob: wrong, want: digest.NewDigestFromEncoded(digest.SHA256, strings.TrimSuffix(wrong, ".json")), got: digest.FromBytes(img.config)}}
	checkError(t, c, source, verify(source, data))

	a, err := convert.Open(convert.Input{Name: source, Archive: bytes.NewReader(data), Size: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(a.Warnings, "\n"), wrong) {
		t.Errorf("no notice names %s: %q", wrong, a.Warnings)
	}
	for _, to := range allLayouts {
		if err := convertTo(source, data, to); err != nil {
			t.Errorf("to %s: %v", to, err)
		}
	}
}

// An index.json entry whose manifest is not in the archive leaves nothing to
// convert: the image is missing, and saying so is the only right answer.
func TestIndexEntryManifestMissing(t *testing.T) {
	img := newTestImage(t, 1)
	data := img.ociArchive(t).drop(t, blobName(img.ociManifest(t))).tar(t)
	const source = "no-manifest.tar"
	c := badInput{want: []string{digest.FromBytes(img.ociManifest(t)).String()}}
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
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Real archives written by other tools convert and verify (positive controls),
// and one flipped byte in a real docker save layer is caught by its diff_id.
func TestBadInputRealFixtures(t *testing.T) {
	for _, rel := range []string{"wagoodman__dive/.data/test-docker-image.tar", "wagoodman__dive/.data/test-oci-gzip-image.tar"} {
		t.Run(rel, func(t *testing.T) {
			data := fixture(t, rel)
			for _, to := range allLayouts {
				if err := convertTo(rel, data, to); err != nil {
					t.Errorf("to %s: %v", to, err)
				}
			}
			if err := verify(rel, data); err != nil {
				t.Errorf("verify: %v", err)
			}
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
	img := newTestImage(t, 1)
	l := img.layers[0]
	d512 := digest.SHA512.FromBytes(l)
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest,
		Config: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(img.config), Size: int64(len(img.config))},
		Layers: []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageLayer, Digest: d512, Size: int64(len(l))}}}
	m.SchemaVersion = 2
	mb := mustJSON(t, m)
	ms := members{
		{name: "oci-layout", body: []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{name: "index.json", body: ociIndex(t, mb)},
		{name: blobName(mb), body: mb},
		{name: blobName(img.config), body: img.config},
		{name: "blobs/sha512/" + d512.Encoded(), body: l},
	}
	data := ms.tar(t)
	if err := verify("sha512.tar", data); err != nil {
		t.Fatalf("verify: %v", err)
	}
	for _, to := range []convert.Layout{convert.DockerArchive, convert.OCIArchive, convert.OCI} {
		if err := convertTo("sha512.tar", data, to); err != nil {
			t.Errorf("to %s: %v", to, err)
		}
	}
	// A wrong sha256 diff_id is still caught.
	bad := newTestImage(t, 1)
	bad.config = bytes.Replace(bad.config, []byte(digest.FromBytes(l).Encoded()), []byte(digest.FromString("x").Encoded()), 1)
	m.Config.Digest, m.Config.Size = digest.FromBytes(bad.config), int64(len(bad.config))
	mb = mustJSON(t, m)
	ms = members{
		{name: "oci-layout", body: []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{name: "index.json", body: ociIndex(t, mb)},
		{name: blobName(mb), body: mb},
		{name: blobName(bad.config), body: bad.config},
		{name: "blobs/sha512/" + d512.Encoded(), body: l},
	}
	err := verify("sha512-bad.tar", ms.tar(t))
	var de *convert.DigestError
	if !errors.As(err, &de) || de.What != "diff_id" || de.Got != digest.FromBytes(l) {
		t.Errorf("a wrong diff_id of a sha512 layer: %v", err)
	}
}

// indexOf is an image index (a multi-platform image) listing these manifest
// descriptors, with an index.json naming it.
func withIndex(t testing.TB, img testImage, descs func(m []byte) []map[string]any) []byte {
	m := img.ociManifest(t)
	idx := mustJSON(t, map[string]any{"schemaVersion": 2, "mediaType": ocispec.MediaTypeImageIndex, "manifests": descs(m)})
	top := mustJSON(t, map[string]any{"schemaVersion": 2, "manifests": []map[string]any{{"mediaType": ocispec.MediaTypeImageIndex,
		"digest": digest.FromBytes(idx), "size": len(idx), "annotations": map[string]string{ocispec.AnnotationRefName: testName}}}})
	return append(img.ociArchive(t).set(t, "index.json", top), member{name: blobName(idx), body: idx}).tar(t)
}

// Shapes skopeo converts and retar once failed on: an index listing one
// manifest twice (into dir: with every platform), and index entries without
// mediaType (with --format v2s2).
func TestIndexShapesThatConvert(t *testing.T) {
	img := newTestImage(t, 1)
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
			if err != nil {
				t.Fatal(err)
			}
			c.opts.Host = ocispec.Platform{OS: "linux", Architecture: "amd64"}
			p, err := a.Convert(ctx, c.opts)
			if err != nil {
				t.Fatal(err)
			}
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
