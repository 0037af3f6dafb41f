package imagetest_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
	"github.com/retar-dev/retar/tarfs"
)

var amd64 = ocispec.Platform{OS: "linux", Architecture: "amd64"}

// layout is one way of laying an image out, and what the core reads it as.
type layout struct {
	name   string
	as     convert.Layout
	dir    bool // written with WriteDir, opened as a directory
	of     func(imagetest.Image, testing.TB) imagetest.Members
	index  bool // holds a multi-platform image
	names  bool // holds names
	legacy bool // layers must be uncompressed
}

var layouts = []layout{
	{name: "docker-archive", as: convert.DockerArchive, of: imagetest.Image.DockerArchive, names: true},
	{name: "legacy", as: convert.DockerArchive, of: imagetest.Image.Legacy, names: true, legacy: true},
	{name: "oci-archive", as: convert.OCIArchive, of: imagetest.Image.OCIArchive, index: true, names: true},
	{name: "hybrid", as: convert.OCIArchive, of: imagetest.Image.Hybrid, index: true, names: true},
	{name: "oci", as: convert.OCI, of: imagetest.Image.OCILayout, dir: true, index: true, names: true},
	{name: "dir", as: convert.Dir, of: imagetest.Image.Dir, dir: true, index: true},
}

// open opens members as the core reads them: a tar, or files on disk.
func open(t *testing.T, l layout, ms imagetest.Members) *convert.Archive {
	t.Helper()
	var a *convert.Archive
	if l.dir {
		d := t.TempDir()
		ms.WriteDir(t, d)
		a = imagetest.OpenPath(t, d)
	} else {
		a = imagetest.OpenBytes(t, l.name, ms.Tar(t))
	}
	require.Equal(t, l.as, a.Layout)
	return a
}

// Every layout of every kind of image reads back in the core as that
// layout, verifies, and shows the names, platforms and layers it was built
// with; it converts to every layout.
func TestLayoutsReadBack(t *testing.T) {
	ctx := context.Background()
	images := []struct {
		name      string
		opts      []imagetest.Option
		platforms []string
	}{
		{name: "default"},
		{name: "two-layers-gzip", opts: []imagetest.Option{imagetest.Layers(2), imagetest.Compress(imagetest.Gzip)}},
		{name: "three-layers-zstd", opts: []imagetest.Option{imagetest.Layers(3), imagetest.Compress(imagetest.Zstd)}},
		{name: "unnamed", opts: []imagetest.Option{imagetest.Names()}},
		{name: "two-names", opts: []imagetest.Option{imagetest.Names("example.com/a:1", "example.com/b:2")}},
		{name: "arm64", opts: []imagetest.Option{imagetest.Platform("linux/arm64/v8")}, platforms: []string{"linux/arm64/v8"}},
		{name: "multi-platform", opts: []imagetest.Option{imagetest.Platforms("linux/amd64", "linux/arm64/v8"), imagetest.Layers(2), imagetest.Compress(imagetest.Gzip)},
			platforms: []string{"linux/amd64", "linux/arm64/v8"}},
	}
	for _, c := range images {
		img := imagetest.New(t, c.opts...)
		for _, l := range layouts {
			t.Run(c.name+"/"+l.name, func(t *testing.T) {
				if img.IsIndex() && !l.index || l.legacy && (img.Compression != imagetest.None || len(img.Names) == 0) {
					t.Skipf("a %s does not hold this image", l.name)
				}
				a := open(t, l, l.of(img, t))
				_, err := a.Verify(ctx, convert.Hashing{Deep: true})
				require.NoError(t, err)
				in, err := open(t, l, l.of(img, t)).Inspect(ctx, convert.InspectOptions{Host: amd64})
				require.NoError(t, err)
				require.Len(t, in.Images, 1)
				wantNames := img.Names
				if !l.names {
					wantNames = nil
				}
				assert.Equal(t, nonNil(wantNames), nonNil(in.Images[0].Names), "names")
				wantPlatforms := c.platforms
				if wantPlatforms == nil {
					wantPlatforms = []string{"linux/amd64"}
				}
				assert.Equal(t, wantPlatforms, in.Images[0].Platforms, "platforms")
				if !img.IsIndex() && l.name != "legacy" {
					assert.Equal(t, digest.FromBytes(img.Config), digest.FromBytes(in.RawConfig), "config")
				}
				layers := img.Layers
				if img.IsIndex() {
					layers = img.Platforms[0].Layers
				}
				assert.Len(t, in.LayersData, len(layers), "layers")
				for _, to := range []convert.Layout{convert.DockerArchive, convert.OCIArchive, convert.OCI, convert.Dir} {
					_, err := open(t, l, l.of(img, t)).Convert(ctx, convert.Options{To: to, Host: amd64, AllPlatforms: to != convert.DockerArchive})
					assert.NoError(t, err, "to %s", to)
				}
			})
		}
	}
}

// Several images in one archive: each with its names, shared blobs once.
func TestImagesInOneArchive(t *testing.T) {
	shared := imagetest.New(t).Layers[0]
	var imgs imagetest.Images
	for i := range 3 {
		imgs = append(imgs, imagetest.New(t, imagetest.LayerTars(shared), imagetest.Env(fmt.Sprint("N=", i)), imagetest.Names(fmt.Sprintf("example.com/many/i%d:1", i))))
	}
	for name, ms := range map[string]imagetest.Members{"docker-archive": imgs.DockerArchive(t), "oci-archive": imgs.OCIArchive(t), "hybrid": imgs.Hybrid(t)} {
		t.Run(name, func(t *testing.T) {
			a := imagetest.OpenBytes(t, name, ms.Tar(t))
			_, err := a.Verify(context.Background(), convert.Hashing{})
			require.NoError(t, err)
			in, err := a.Inspect(context.Background(), convert.InspectOptions{Host: amd64})
			require.NoError(t, err)
			var names []string
			for _, img := range in.Images {
				names = append(names, img.Names...)
			}
			assert.ElementsMatch(t, []string{"example.com/many/i0:1", "example.com/many/i1:1", "example.com/many/i2:1"}, names)
			if name != "docker-archive" {
				assert.Equal(t, 1, countOf(ms.Names(), imagetest.BlobPath(shared)), "the shared layer is stored once")
			}
		})
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func countOf(s []string, v string) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

// The same options give the same bytes; the edits leave the list they are
// called on as it was.
func TestReproducibleAndEditsCopy(t *testing.T) {
	opts := []imagetest.Option{imagetest.Layers(2), imagetest.Compress(imagetest.Zstd)}
	a, b := imagetest.New(t, opts...), imagetest.New(t, opts...)
	require.Equal(t, a.OCIArchive(t).Tar(t), b.OCIArchive(t).Tar(t))
	require.Equal(t, a.DockerArchive(t).Tar(t), b.DockerArchive(t).Tar(t))

	ms := a.DockerArchive(t)
	before := ms.Tar(t)
	p := a.DockerLayerPath(1)
	edited := ms.Edit(t, p, imagetest.Flip).Drop(t, "repositories").Rename(t, a.DockerConfigPath(), "c.json").Add(imagetest.Member{Name: "../x"})
	assert.True(t, bytes.Equal(before, ms.Tar(t)), "the original changed")
	assert.True(t, bytes.Equal(imagetest.Flip(a.LayerBlob(t, 1)), edited.Get(t, p)), "the layer is not flipped")
	assert.NotContains(t, edited.Names(), "repositories")
	assert.Contains(t, edited.Names(), "c.json")
	assert.Equal(t, "../x", edited.Names()[len(edited)-1])
}

// ReadTar gives back what Tar wrote, headers included; ReadDir what
// WriteDir wrote.
func TestReadBack(t *testing.T) {
	ms := imagetest.Members{
		{Name: "d/", Type: tar.TypeDir},
		{Name: "d/f", Body: []byte("file")},
		{Name: "l", Type: tar.TypeSymlink, Link: "d/f"},
		{Name: "p", Body: []byte("pax"), Header: &tar.Header{Mode: 0o600, Format: tar.FormatPAX, PAXRecords: map[string]string{"comment": "x"}}},
	}
	data := ms.Tar(t)
	again := imagetest.ReadTar(t, data)
	assert.Equal(t, ms.Names(), again.Names())
	assert.Equal(t, data, again.Tar(t))

	d := t.TempDir()
	ms.WriteDir(t, d)
	got := imagetest.ReadDir(t, d)
	assert.Equal(t, []string{"d/", "d/f", "l", "p"}, got.Names())
	assert.Equal(t, []byte("file"), got.Get(t, "d/f"))
	assert.Equal(t, "d/f", got[2].Link)

	// A tar the builder writes is one tarfs indexes, with every file.
	tfs, err := tarfs.Index(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	_, err = tfs.Stat("d/f")
	assert.NoError(t, err)
}

// A blob stored other than the layer is described as stored: the digest
// checks pass, decompressing tells.
func TestBlobsDefect(t *testing.T) {
	img := imagetest.New(t, imagetest.Compress(imagetest.Gzip))
	gz := img.LayerBlob(t, 0)
	img.Blobs = [][]byte{gz[:len(gz)-9]}
	a := imagetest.OpenBytes(t, "truncated.tar", img.OCIArchive(t).Tar(t))
	_, err := a.Verify(context.Background(), convert.Hashing{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), digest.FromBytes(img.Blobs[0]).Encoded())
}
