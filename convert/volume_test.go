package convert_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
)

// volumeImages is an archive of n images of different sizes, every third
// sharing a base layer with the one before it.
func volumeImages(t *testing.T, n int) []byte {
	t.Helper()
	base := imagetest.FileLayer(t, bytes.Repeat([]byte("base "), 900))
	var imgs imagetest.Images
	for i := range n {
		own := imagetest.FileLayer(t, bytes.Repeat([]byte(fmt.Sprintf("image %d ", i)), 150*(i*37%11+1)))
		layers := [][]byte{own}
		if i%3 != 0 {
			layers = [][]byte{base, own}
		}
		imgs = append(imgs, imagetest.New(t, imagetest.Names(fmt.Sprintf("example.com/img:%d", i)),
			imagetest.Env(fmt.Sprintf("N=%d", i)), imagetest.LayerTars(layers...)))
	}
	return imgs.Hybrid(t).Tar(t)
}

// bundleSize is the size of the bundle of images first..last of the
// archive, each picked by :@N.
func bundleSize(t *testing.T, data []byte, first, last int) int64 {
	t.Helper()
	var sources []convert.Source
	for i := first; i <= last; i++ {
		sources = append(sources, convert.Source{Archive: imagetest.OpenBytes(t, "many.tar", data), Pick: fmt.Sprintf("@%d", i)})
	}
	p, err := convert.Bundle(context.Background(), sources, convert.Options{To: convert.OCIArchive})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := p.WriteTar(convert.WriterSink{Writer: &buf}); err != nil {
		t.Fatal(err)
	}
	return int64(buf.Len())
}

// BundleVolumes packs as next fit does, one image at a time: its volumes
// are the volumes such a packing makes of the same images, whatever the
// limit, and each volume's size is that of the bundle of its images.
func TestVolumesPackAsNextFit(t *testing.T) {
	const n = 16
	data := volumeImages(t, n)
	var largest int64 // the largest image alone: the least limit that takes them all
	for i := range n {
		largest = max(largest, bundleSize(t, data, i, i))
	}
	for _, limit := range []int64{largest, largest * 4 / 3, largest * 2, largest * 5, largest * n} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			// the reference: next fit, trying each image in turn
			var want [][2]int // first and last image of each volume
			for i := 0; i < n; i++ {
				if len(want) > 0 && bundleSize(t, data, want[len(want)-1][0], i) <= limit {
					want[len(want)-1][1] = i
					continue
				}
				want = append(want, [2]int{i, i})
			}
			set, err := convert.BundleVolumes(context.Background(), []convert.Source{{Archive: imagetest.OpenBytes(t, "many.tar", data)}},
				convert.Options{To: convert.OCIArchive}, limit)
			if err != nil {
				t.Fatal(err)
			}
			var got [][2]int
			for v, p := range set.Volumes {
				var idx []int
				for _, img := range p.Images {
					var k int
					if _, err := fmt.Sscanf(img.Names[0], "example.com/img:%d", &k); err != nil {
						t.Fatalf("name %q", img.Names[0])
					}
					idx = append(idx, k)
				}
				got = append(got, [2]int{idx[0], idx[len(idx)-1]})
				if !slices.IsSorted(idx) || idx[len(idx)-1]-idx[0] != len(idx)-1 {
					t.Errorf("volume %d holds images %v: not a run in order", v+1, idx)
				}
				if s := bundleSize(t, data, idx[0], idx[len(idx)-1]); s != set.Sizes[v] || s > limit {
					t.Errorf("volume %d: %d bytes planned, its images bundled %d, limit %d", v+1, set.Sizes[v], s, limit)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("volumes %v, next fit makes %v", got, want)
			}
		})
	}
}

// An image too large for a volume of its own is a VolumeSizeError naming
// the first such image, with its size.
func TestVolumesTooLarge(t *testing.T) {
	data := volumeImages(t, 6)
	size := bundleSize(t, data, 5, 5) // the largest: 150*(5*37%11+1) repeats
	_, err := convert.BundleVolumes(context.Background(), []convert.Source{{Archive: imagetest.OpenBytes(t, "many.tar", data)}},
		convert.Options{To: convert.OCIArchive}, size-1)
	var ve *convert.VolumeSizeError
	if !errors.As(err, &ve) || ve.Size != size || ve.Limit != size-1 || ve.Image != "example.com/img:5 (@5)" {
		t.Errorf("got %v (%+v), want image example.com/img:5 of %d bytes", err, ve, size)
	}
	_, err = convert.BundleVolumes(context.Background(), []convert.Source{{Archive: imagetest.OpenBytes(t, "many.tar", data)}},
		convert.Options{To: convert.OCI}, 1<<30)
	if !errors.Is(err, convert.ErrUsage) {
		t.Errorf("volumes of an oci: layout: %v, want a usage error", err)
	}
}
