package cli_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retar-dev/retar/internal/imagetest"
)

// gzipMembers compresses b as one gzip member per part, concatenated (as
// eStargz and bgzip write): valid gzip whose trailer gives the size of the
// last part only.
func gzipMembers(t *testing.T, parts ...[]byte) []byte {
	t.Helper()
	var out bytes.Buffer
	for _, p := range parts {
		zw := gzip.NewWriter(&out)
		_, err := zw.Write(p)
		require.NoError(t, err)
		require.NoError(t, zw.Close())
	}
	return out.Bytes()
}

// A gzip layer decoded for an uncompressed archive is written straight into
// its place in the output, planned by the size its gzip trailer gives. The
// output must be the bytes the same conversion writes to a stream (where
// every layer is decoded before it is written), whether the trailer told
// the truth or not: a layer of several gzip members, whose trailer gives the
// last member's size, is decoded again the other way.
func TestLayersDecodedIntoTheirPlace(t *testing.T) {
	img := imagetest.New(t, imagetest.Layers(3), imagetest.Compress(imagetest.Gzip), imagetest.Names("example.com/placed:1"))
	l := img.Layers[1]
	cut := len(l) / 3
	members := img
	members.Blobs = [][]byte{img.LayerBlob(t, 0), gzipMembers(t, l[:cut], l[cut:]), img.LayerBlob(t, 2)}
	// the first member the larger: the trailer's size passes as believable
	bigFirst := img
	bigFirst.Blobs = [][]byte{img.LayerBlob(t, 0), gzipMembers(t, l[:len(l)-1024], l[len(l)-1024:]), img.LayerBlob(t, 2)}
	cases := map[string]imagetest.Image{"one member": img, "two members": members, "a small last member": bigFirst}
	for name, img := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, "src.tar")
			img.OCIArchive(t).WriteFile(t, src)
			for _, layout := range []string{"docker-archive", "oci-archive"} {
				dst := filepath.Join(dir, layout+".tar")
				mustRun(t, "convert", "-q", "--compress", "none", src, layout+":"+dst)
				streamed := mustRun(t, "convert", "-q", "--compress", "none", src, layout+":-")
				got, err := os.ReadFile(dst)
				require.NoError(t, err)
				assert.True(t, bytes.Equal(got, []byte(streamed)), "%s: the file differs from the stream", layout)
				mustRun(t, "verify", dst)
				assert.Empty(t, tmpLeft(t, dir), "left beside the output")
			}
		})
	}
}

// A layer decoded into its place that is not what its source says fails as
// it does when decoded before writing: one line naming it and the fault,
// and nothing written. Its diff_id may lie, or its gzip trailer (a size
// that is not the decoded one; the decoder checks it).
func TestLayerDecodedIntoItsPlaceLies(t *testing.T) {
	img := imagetest.New(t, imagetest.Layers(2), imagetest.Compress(imagetest.Gzip))
	other := imagetest.New(t, imagetest.Layers(3), imagetest.Compress(imagetest.Gzip))
	trailer := bytes.Clone(img.LayerBlob(t, 1))
	binary.LittleEndian.PutUint32(trailer[len(trailer)-4:], binary.LittleEndian.Uint32(trailer[len(trailer)-4:])+512)
	cases := map[string]struct {
		layer []byte
		says  string
	}{
		"its diff_id":      {other.LayerBlob(t, 2), "diff_id"},
		"its gzip trailer": {trailer, "gzip"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			bad := img
			bad.Blobs = [][]byte{img.LayerBlob(t, 0), c.layer}
			dir := t.TempDir()
			src := filepath.Join(dir, "src.tar")
			bad.OCIArchive(t).WriteFile(t, src)
			dst := filepath.Join(dir, "out.tar")
			code, _, stderr := run(t, "convert", "-q", "--compress", "none", src, "docker-archive:"+dst)
			oneLineFailure(t, code, stderr, 1, "src.tar", digest.FromBytes(c.layer).Encoded(), c.says)
			assert.NoFileExists(t, dst)
			assert.Empty(t, tmpLeft(t, dir), "left beside the output")
			assert.NotContains(t, stderr, "internal")
		})
	}
}
