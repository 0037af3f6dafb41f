package convert_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/retar-dev/retar/convert"
)

// Summarize says, without hashing, what retar check's rules for the supply
// inputs read: zstd:chunked's variant manifests by platform (and whether one
// comes first), layers whose first bytes contradict their media type, and a
// Docker v2s2 manifest with zstd layers.
func TestSummarizeSupply(t *testing.T) {
	summary := func(t *testing.T, name string) convert.Summary {
		t.Helper()
		b, err := os.ReadFile(filepath.Join("..", "golden", "testdata", "supply", name))
		if err != nil {
			t.Fatal(err)
		}
		a, err := convert.Open(convert.Input{Name: name, Archive: bytes.NewReader(b), Size: int64(len(b))})
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Images) != 1 {
			t.Fatalf("%d images, want 1", len(a.Images))
		}
		return a.Images[0].Summarize()
	}

	s := summary(t, "zstd-chunked-sentinel.tar")
	if len(s.ChunkedVariants) != 1 || convert.PlatformString(s.ChunkedVariants[0]) != "linux/amd64" || s.ChunkedFirst {
		t.Errorf("sentinel: variants %v, first %v; want linux/amd64 after its image", s.ChunkedVariants, s.ChunkedFirst)
	}
	if len(s.Platforms) != 1 || s.Zstd {
		t.Errorf("sentinel: %d image platforms, zstd %v; want the gzip image alone", len(s.Platforms), s.Zstd)
	}

	s = summary(t, "mislabelled.tar")
	want := map[string]string{"linux/amd64": "zstd labelled application/vnd.oci.image.layer.v1.tar+gzip", "linux/arm64": "gzip labelled application/vnd.oci.image.layer.v1.tar"}
	got := map[string]string{}
	for _, m := range s.Mislabelled {
		got[convert.PlatformString(m.Platform)] = m.Is.String() + " labelled " + m.MediaType
		if c := map[string]convert.Compression{"linux/amd64": convert.Gzip, "linux/arm64": convert.Uncompressed}[convert.PlatformString(m.Platform)]; m.Label != c {
			t.Errorf("mislabelled %s: label %v, want %v", m.Layer, m.Label, c)
		}
	}
	if len(got) != 2 || got["linux/amd64"] != want["linux/amd64"] || got["linux/arm64"] != want["linux/arm64"] {
		t.Errorf("mislabelled: %v, want %v", got, want)
	}
	if !s.Zstd {
		t.Error("mislabelled: a zstd layer (labelled gzip) is not counted as zstd")
	}

	if s = summary(t, "v2s2-oci-zstd.tar"); !s.DockerZstd || !s.Zstd || len(s.Mislabelled) != 0 {
		t.Errorf("v2s2 with zstd: DockerZstd %v, Zstd %v, mislabelled %v", s.DockerZstd, s.Zstd, s.Mislabelled)
	}
	if s = summary(t, "zstd-chunked.tar"); s.DockerZstd || !s.Zstd || len(s.ChunkedVariants)+len(s.Mislabelled) != 0 {
		t.Errorf("zstd:chunked layer: %+v", s)
	}
}
