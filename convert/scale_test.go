package convert_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/retar-dev/retar/check"
	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
)

// Every pass over names, entries, paths and descriptors is linear or
// n·log n. Each test here is sized so that a quadratic pass would take
// minutes; the time bound is loose, for slow and busy machines, and only
// catches the growth (the benchmarks below show it).

// withinTime runs fn and fails when it takes longer than limit.
func withinTime(t *testing.T, limit time.Duration, what string, fn func() error) {
	t.Helper()
	start := time.Now()
	if err := fn(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if d := time.Since(start); d > limit {
		t.Errorf("%s took %v (limit %v): a pass is worse than linear", what, d, limit)
	}
}

func manyTags(n int) []string {
	tags := make([]string, n)
	for i := range tags {
		tags[i] = fmt.Sprintf("example.com/app/n%d:t%d", i%97, i)
	}
	return tags
}

// dockerArchiveTags is a docker-archive of img with these RepoTags.
func dockerArchiveTags(t testing.TB, img imagetest.Image, tags []string) []byte {
	ms := img.DockerArchive(t)
	var m []map[string]any
	if err := json.Unmarshal(ms.Get(t, "manifest.json"), &m); err != nil {
		t.Fatal(err)
	}
	m[0]["RepoTags"] = tags
	return ms.Set(t, "manifest.json", imagetest.JSON(t, m)).Tar(t)
}

func allPasses(t *testing.T, name string, data []byte, layouts []convert.Layout) error {
	ctx := context.Background()
	a, err := convert.Open(convert.Input{Name: name, Archive: bytes.NewReader(data), Size: int64(len(data))})
	if err != nil {
		return err
	}
	if _, err := a.Inspect(ctx, convert.InspectOptions{}); err != nil {
		return err
	}
	_ = check.Archive(a, ocispec.Platform{OS: "linux", Architecture: "amd64"})
	for _, to := range layouts {
		if err := convertTo(name, data, to); err != nil {
			return fmt.Errorf("to %s: %w", to, err)
		}
	}
	return verify(name, data)
}

func TestScaleManyRepoTags(t *testing.T) {
	scaleTest(t)
	data := dockerArchiveTags(t, imagetest.New(t), manyTags(30000))
	withinTime(t, 60*time.Second, "30 000 RepoTags", func() error {
		return allPasses(t, "tags.tar", data, []convert.Layout{convert.DockerArchive, convert.OCIArchive})
	})
}

func TestScaleIndexNamingOneImageManyTimes(t *testing.T) {
	scaleTest(t)
	img := imagetest.New(t)
	var entries []ocispec.Descriptor
	for _, tag := range manyTags(15000) {
		entries = append(entries, imagetest.Named(imagetest.Descriptor(ocispec.MediaTypeImageManifest, img.Manifest(t)), tag))
	}
	data := img.OCIArchive(t).Set(t, "index.json", imagetest.Index(t, entries...)).Tar(t)
	withinTime(t, 60*time.Second, "an index naming one image 15 000 times", func() error {
		return allPasses(t, "names.tar", data, []convert.Layout{convert.DockerArchive, convert.OCIArchive, convert.OCI})
	})
}

// manyImages is an oci-archive with a docker manifest.json (a hybrid) of n
// distinct one-layer images, each with one name.
func manyImages(t testing.TB, n int) []byte {
	layer := imagetest.New(t).Layers[0]
	imgs := make(imagetest.Images, n)
	for i := range imgs {
		imgs[i] = imagetest.New(t, imagetest.LayerTars(layer), imagetest.Env(fmt.Sprint("N=", i)), imagetest.Names(fmt.Sprintf("example.com/many/i%d:1", i)))
	}
	return imgs.Hybrid(t).Tar(t)
}

func TestScaleHybridOfManyImages(t *testing.T) {
	scaleTest(t)
	data := manyImages(t, 6000)
	withinTime(t, 60*time.Second, "a hybrid of 6 000 images", func() error {
		return allPasses(t, "many.tar", data, []convert.Layout{convert.OCIArchive})
	})
}

// manyLayers is an oci-archive of one image of n one-file layers.
func manyLayers(t testing.TB, n int) []byte {
	layers := make([][]byte, n)
	for i := range layers {
		layers[i] = imagetest.Members{{Name: fmt.Sprint("f", i), Body: []byte(fmt.Sprint("layer ", i))}}.Tar(t)
	}
	return imagetest.New(t, imagetest.LayerTars(layers...)).OCIArchive(t).Tar(t)
}

func TestScaleManyLayersRewritten(t *testing.T) {
	scaleTest(t)
	data := manyLayers(t, 20000)
	withinTime(t, 90*time.Second, "20 000 layers, manifests rewritten and re-encoded", func() error {
		ctx := context.Background()
		for _, o := range []convert.Options{
			{To: convert.OCIArchive, Format: convert.FormatV2S2},
			{To: convert.OCIArchive, Recompress: true, Compress: convert.Gzip, CompressLevel: 1, Spill: convert.MemorySpill},
		} {
			a, err := convert.Open(convert.Input{Name: "layers.tar", Archive: bytes.NewReader(data), Size: int64(len(data))})
			if err != nil {
				return err
			}
			if _, err := a.Convert(ctx, o); err != nil {
				return err
			}
		}
		return nil
	})
}

func BenchmarkRepoTags(b *testing.B) {
	img := imagetest.New(b)
	for _, n := range []int{1000, 4000, 16000} {
		data := dockerArchiveTags(b, img, manyTags(n))
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				a, err := convert.Open(convert.Input{Name: "b.tar", Archive: bytes.NewReader(data), Size: int64(len(data))})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := a.Convert(context.Background(), convert.Options{To: convert.OCIArchive}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkHybridImages(b *testing.B) {
	for _, n := range []int{500, 2000} {
		data := manyImages(b, n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				a, err := convert.Open(convert.Input{Name: "b.tar", Archive: bytes.NewReader(data), Size: int64(len(data))})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := a.Convert(context.Background(), convert.Options{To: convert.OCIArchive}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// raceDetector is set in race builds, where time says nothing about growth:
// make test runs the TestScale tests a second time without it.
var raceDetector bool

func scaleTest(t *testing.T) {
	t.Helper()
	if raceDetector {
		t.Skip("timing under the race detector says nothing; make test runs TestScale without it")
	}
}
