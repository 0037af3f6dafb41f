package imagetest

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Name is the name New gives an image unless Names says otherwise.
const Name = "example.com/retar/test:1"

// Image is a test image: uncompressed layers and the config that lists
// their diff_ids, or, with Platforms set, an index of one such image per
// platform. Its fields are what the layouts are written from, read when a
// layout is asked for: edit them (in a copy: Image is a value) and the next
// layout shows the edit.
type Image struct {
	// Names are the names the layouts that hold names record: RepoTags and
	// repositories, ref.name annotations. None: an unnamed image.
	Names []string

	// Layers are the layer tars, base first, uncompressed: the config's
	// diff_ids are their digests.
	Layers [][]byte

	// Compression is how the layouts store the layers (and the media
	// type the manifest gives them).
	Compression Compression

	// Blobs, when not nil, are the layers as the layouts store them, in
	// place of Layers compressed with Compression: a defect the layouts
	// describe faithfully (manifests list the digests and sizes of these
	// bytes), so that only decompressing them tells: a diff_id mismatch,
	// a truncated or corrupt stream, a bomb.
	Blobs [][]byte

	// Config is the image config JSON.
	Config []byte

	// RawManifest, when not nil, is the manifest the OCI layouts and dir:
	// store, in place of the one Manifest derives: broken JSON, a field
	// twice, layers it does not list. index.json and dir:'s manifest.json
	// point to these bytes.
	RawManifest []byte

	// Platforms, when not empty, make the image an index (a multi-platform
	// image) of these images, each of one platform; Layers, Blobs, Config
	// and RawManifest are then unused, and the platform images' Names too.
	Platforms []Image
}

// Option sets what New builds.
type Option func(*settings)

type settings struct {
	layers      int
	tars        [][]byte
	names       []string
	platform    string
	platforms   []string
	compression Compression
	env         []string
	suffix      string
}

// Layers makes n generated layers (one by default): layer i holds
// etc/layer<i>.txt, a line of text repeated.
func Layers(n int) Option { return func(s *settings) { s.layers, s.tars = n, nil } }

// LayerTars makes the image of these layer tars (uncompressed), base first,
// instead of generated ones; Members.Tar writes one.
func LayerTars(tars ...[]byte) Option { return func(s *settings) { s.tars = tars } }

// Names names the image (Name by default); Names() makes it unnamed.
func Names(names ...string) Option { return func(s *settings) { s.names = names } }

// Platform is the image's platform, "os/architecture[/variant]"
// (linux/amd64 by default).
func Platform(p string) Option { return func(s *settings) { s.platform = p } }

// Platforms makes the image an index of one image per platform
// ("os/architecture[/variant]"), each with its own layers and config.
func Platforms(ps ...string) Option { return func(s *settings) { s.platforms = ps } }

// Compress stores the layers compressed with c.
func Compress(c Compression) Option { return func(s *settings) { s.compression = c } }

// Env is the config's environment (PATH=/bin by default), so that images
// otherwise alike have distinct configs.
func Env(vars ...string) Option { return func(s *settings) { s.env = vars } }

// New builds an image: by default one generated layer, uncompressed, the
// config of a linux/amd64 image, named Name. The same options give the same
// bytes on every run.
func New(t testing.TB, opts ...Option) Image {
	t.Helper()
	s := settings{layers: 1, names: []string{Name}, platform: "linux/amd64", env: []string{"PATH=/bin"}}
	for _, o := range opts {
		o(&s)
	}
	if len(s.platforms) > 0 {
		img := Image{Names: s.names}
		for _, p := range s.platforms {
			ps := s
			ps.platform, ps.platforms, ps.names, ps.suffix = p, nil, nil, " for "+p
			img.Platforms = append(img.Platforms, build(t, ps))
		}
		return img
	}
	return build(t, s)
}

func build(t testing.TB, s settings) Image {
	t.Helper()
	img := Image{Names: s.names, Compression: s.compression, Layers: s.tars}
	if img.Layers == nil {
		for i := range s.layers {
			img.Layers = append(img.Layers, Members{
				{Name: "etc/", Type: tar.TypeDir},
				{Name: fmt.Sprintf("etc/layer%d.txt", i), Body: bytes.Repeat([]byte(fmt.Sprintf("layer %d of a retar test image%s\n", i, s.suffix)), 64)},
			}.Tar(t))
		}
	}
	ids := []digest.Digest{}
	for _, l := range img.Layers {
		ids = append(ids, digest.FromBytes(l))
	}
	p := parsePlatform(t, s.platform)
	cfg := map[string]any{
		"architecture": p.Architecture,
		"os":           p.OS,
		"created":      "2024-01-01T00:00:00Z",
		"config":       map[string]any{"Env": s.env},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": ids},
	}
	if p.Variant != "" {
		cfg["variant"] = p.Variant
	}
	img.Config = JSON(t, cfg)
	return img
}

func parsePlatform(t testing.TB, s string) ocispec.Platform {
	t.Helper()
	f := strings.Split(s, "/")
	if len(f) < 2 || len(f) > 3 || f[0] == "" || f[1] == "" {
		t.Fatalf("imagetest: platform %q: want os/architecture[/variant]", s)
	}
	p := ocispec.Platform{OS: f[0], Architecture: f[1]}
	if len(f) == 3 {
		p.Variant = f[2]
	}
	return p
}

// LayerBlob is layer i as the layouts store it: Blobs[i], or Layers[i]
// compressed with Compression.
func (img Image) LayerBlob(t testing.TB, i int) []byte {
	t.Helper()
	if img.Blobs != nil {
		return img.Blobs[i]
	}
	return img.Compression.Compress(t, img.Layers[i])
}

// IsIndex reports whether the image is a multi-platform one.
func (img Image) IsIndex() bool { return len(img.Platforms) > 0 }

// MediaType is the media type of the image's manifest, or of its index.
func (img Image) MediaType() string {
	if img.IsIndex() {
		return ocispec.MediaTypeImageIndex
	}
	return ocispec.MediaTypeImageManifest
}

// Manifest is the image's OCI manifest (RawManifest when set), or, for a
// multi-platform image, its image index: what index.json points to.
func (img Image) Manifest(t testing.TB) []byte {
	t.Helper()
	if img.IsIndex() {
		idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{}}
		idx.SchemaVersion = 2
		for _, p := range img.Platforms {
			if p.IsIndex() {
				t.Fatal("imagetest: a platform image is itself an index")
			}
			d := Descriptor(p.MediaType(), p.Manifest(t))
			d.Platform = p.platform(t)
			idx.Manifests = append(idx.Manifests, d)
		}
		return JSON(t, idx)
	}
	if img.RawManifest != nil {
		return img.RawManifest
	}
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Config: Descriptor(ocispec.MediaTypeImageConfig, img.Config)}
	m.SchemaVersion = 2
	for i := range img.Layers {
		m.Layers = append(m.Layers, Descriptor(img.Compression.MediaType(), img.LayerBlob(t, i)))
	}
	return JSON(t, m)
}

// platform is the platform the config names.
func (img Image) platform(t testing.TB) *ocispec.Platform {
	t.Helper()
	var p ocispec.Platform
	if err := json.Unmarshal(img.Config, &p); err != nil {
		t.Fatalf("imagetest: the platform of a config: %v", err)
	}
	return &p
}

// blobs are the blobs below the image's root (its manifests, configs and
// layers), each with its path in an OCI layout and in a dir: layout.
func (img Image) blobs(t testing.TB) []blob {
	t.Helper()
	if img.IsIndex() {
		var out []blob
		for _, p := range img.Platforms {
			out = append(out, blob{data: p.Manifest(t), manifest: true})
			out = append(out, p.blobs(t)...)
		}
		return out
	}
	out := []blob{{data: img.Config}}
	for i := range img.Layers {
		out = append(out, blob{data: img.LayerBlob(t, i)})
	}
	return out
}

type blob struct {
	data     []byte
	manifest bool // a platform's manifest, "<hex>.manifest.json" in a dir: layout
}

// Descriptor describes b as of media type mt.
func Descriptor(mt string, b []byte) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: mt, Digest: digest.FromBytes(b), Size: int64(len(b))}
}

// BlobPath is where an OCI layout stores b: blobs/sha256/<hex>.
func BlobPath(b []byte) string { return "blobs/sha256/" + digest.FromBytes(b).Encoded() }

// JSON is v marshaled, failing the test if it cannot be.
func JSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Compression is how the layouts store an image's layers.
type Compression int

const (
	None Compression = iota
	Gzip
	Zstd
)

func (c Compression) String() string {
	switch c {
	case Gzip:
		return "gzip"
	case Zstd:
		return "zstd"
	}
	return "none"
}

// MediaType is the OCI media type of a layer compressed with c.
func (c Compression) MediaType() string {
	switch c {
	case Gzip:
		return ocispec.MediaTypeImageLayerGzip
	case Zstd:
		return ocispec.MediaTypeImageLayerZstd
	}
	return ocispec.MediaTypeImageLayer
}

// Compress compresses b with c: gzip at the default level, zstd by one
// encoder goroutine, so the same bytes give the same output on every run.
func (c Compression) Compress(t testing.TB, b []byte) []byte {
	t.Helper()
	switch c {
	case None:
		return b
	case Gzip:
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(b); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	case Zstd:
		zw, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
		if err != nil {
			t.Fatal(err)
		}
		defer zw.Close()
		return zw.EncodeAll(b, nil)
	}
	t.Fatalf("imagetest: unknown compression %d", c)
	return nil
}

// Flip returns a copy of b with its middle byte inverted: one bit of
// damage that every digest sees.
func Flip(b []byte) []byte {
	c := bytes.Clone(b)
	c[len(c)/2] ^= 0xff
	return c
}

// Nested is a JSON value depth arrays deep.
func Nested(depth int) []byte {
	return []byte(strings.Repeat("[", depth) + strings.Repeat("]", depth))
}

// Padded is a valid JSON value of exactly n bytes: v followed by spaces.
func Padded(v []byte, n int) []byte {
	b := bytes.Repeat([]byte{' '}, n)
	copy(b, v)
	return b
}
