package convert_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
)

// ReadLayer hands fn the layer's tar, decompressed, and holds the bytes
// against the digests: a layer whose tar is not the one its diff_id names
// is an error naming the layer, even when fn read it all without fault.
func TestReadLayer(t *testing.T) {
	img := imagetest.New(t, imagetest.Compress(imagetest.Gzip))
	layer := func(img imagetest.Image) (*convert.Archive, *convert.Node) {
		a := imagetest.OpenBytes(t, "image.tar", img.OCIArchive(t).Tar(t))
		root, err := a.Images[0].Root(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return a, root.Children[1]
	}
	a, n := layer(img)
	var got []byte
	err := a.ReadLayer(context.Background(), n, convert.DefaultLimits, func(r io.Reader) (err error) {
		got, err = io.ReadAll(r)
		return err
	})
	if err != nil || string(got) != string(img.Layers[0]) {
		t.Fatalf("ReadLayer: %v; %d bytes, want the %d of the layer's tar", err, len(got), len(img.Layers[0]))
	}

	other := imagetest.New(t, imagetest.Env("OTHER=1"), imagetest.LayerTars(imagetest.FileLayer(t, []byte("another tar"))))
	bad := img
	bad.Blobs = [][]byte{imagetest.Gzip.Compress(t, other.Layers[0])}
	a, n = layer(bad)
	err = a.ReadLayer(context.Background(), n, convert.DefaultLimits, func(r io.Reader) error {
		_, err := io.Copy(io.Discard, r)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "image.tar") || !strings.Contains(err.Error(), n.Desc.Digest.Encoded()) || !strings.Contains(err.Error(), "diff_id") {
		t.Errorf("a layer that is not its diff_id's: %v", err)
	}
}
