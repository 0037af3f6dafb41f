package convert_test

import (
	"bytes"
	"context"
	"errors"
	"runtime/debug"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
)

// fuzzSeeds are valid archives of each shape retar reads, and small tars with
// links and long names, for the fuzzers to mutate.
func fuzzSeeds(t testing.TB) [][]byte {
	img1, img2 := imagetest.New(t), imagetest.New(t, imagetest.Layers(2))
	return [][]byte{
		img1.DockerArchive(t).Tar(t),
		img2.DockerArchive(t).Tar(t),
		img1.OCIArchive(t).Tar(t),
		img2.OCIArchive(t).Tar(t),
		img1.DockerArchive(t).Drop(t, "manifest.json").Tar(t), // v1 dirs without the config
		img1.Hybrid(t).Tar(t),
		img2.Legacy(t).Tar(t),
	}
}

func FuzzOpen(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { convertEverywhere(t, data) })
}

// convertEverywhere opens data as an archive, verifies and inspects it, and
// converts it to every layout; none of it may panic, and a source that
// verifies must give archives that open and verify.
func convertEverywhere(t *testing.T, data []byte) {
	t.Helper()
	// A panic fails this input, not the whole test binary, so the seeds of
	// every target run; the fuzzer still records the input as a failure.
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	ctx := context.Background()
	open := func() *convert.Archive {
		a, err := convert.Open(convert.Input{Name: "fuzz.tar", Archive: bytes.NewReader(data), Size: int64(len(data))})
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.tar") {
				t.Errorf("the error does not name the source: %v", err)
			}
			return nil
		}
		return a
	}
	// Each pass gets a fresh Archive, as each caches what it hashed. Convert
	// does not decompress layers to check their diff_ids, Verify does: only
	// a source that verifies must give outputs that verify.
	a := open()
	if a == nil {
		return
	}
	_, err := a.Verify(ctx, convert.Hashing{Parallel: 2})
	sourceOK := err == nil
	if a := open(); a != nil {
		_, _ = a.Inspect(ctx, convert.InspectOptions{Host: convertOptions(convert.OCI).Host})
	}
	var variants []convert.Options
	for _, to := range allLayouts {
		variants = append(variants, convertOptions(to))
	}
	// Re-encoding edits manifests in place: what it writes must verify too.
	zstd := convertOptions(convert.OCIArchive)
	zstd.Recompress, zstd.Compress, zstd.Spill = true, convert.Zstd, convert.MemorySpill
	variants = append(variants, zstd)
	for _, o := range variants {
		to := o.To
		p, err := open().Convert(ctx, o)
		if err != nil {
			continue
		}
		var out bytes.Buffer
		if err := p.WriteTar(convert.WriterSink{Writer: &out}); err != nil {
			t.Errorf("to %s: planned, then WriteTar fails: %v", to, err)
			continue
		}
		if !to.IsArchive() || !sourceOK {
			continue
		}
		b, err := convert.Open(convert.Input{Name: "out.tar", Archive: bytes.NewReader(out.Bytes()), Size: int64(out.Len())})
		if err != nil {
			t.Errorf("to %s: the output does not open: %v", to, err)
			continue
		}
		if _, err := b.Verify(ctx, convert.Hashing{Parallel: 1}); err != nil {
			t.Errorf("to %s: the output does not verify: %v", to, err)
		}
	}
}

// The JSON parsers, past the tar framing that stops most of FuzzOpen's
// mutations: fuzzed bytes stand in for manifest.json of a valid docker
// archive, or for index.json or the manifest blob of a valid OCI archive.
func FuzzMetadata(f *testing.F) {
	img := imagetest.New(f, imagetest.Layers(2))
	docker, oci := img.DockerArchive(f), img.OCIArchive(f)
	f.Add(uint8(0), docker.Get(f, "manifest.json"))
	f.Add(uint8(1), oci.Get(f, "index.json"))
	f.Add(uint8(2), img.Manifest(f))
	f.Add(uint8(0), []byte(`[{"Config":"x.json","RepoTags":null,"Layers":[],"LayerSources":{"sha256:`+strings.Repeat("0", 64)+`":{"mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip","urls":["http://x"]}}}]`))
	f.Add(uint8(1), []byte(`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:`+strings.Repeat("a", 64)+`","size":2,"platform":{"os":"linux","architecture":"arm64"}}]}`))
	// JSON that means two things: a member named twice, or in two cases.
	m := string(img.Manifest(f))
	f.Add(uint8(2), []byte(strings.Replace(m, `"layers":`, `"layers":[],"layers":`, 1)))
	f.Add(uint8(2), []byte(strings.Replace(m, `"layers":`, `"Layers":[],"layers":`, 1)))
	f.Add(uint8(0), []byte(strings.Replace(string(docker.Get(f, "manifest.json")), `"Layers":`, `"layers":[],"Layers":`, 1)))
	f.Add(uint8(1), []byte(strings.Replace(string(oci.Get(f, "index.json")), `"manifests":`, `"manifests":[],"manifests":`, 1)))
	f.Fuzz(func(t *testing.T, which uint8, meta []byte) {
		var ms imagetest.Members
		switch which % 3 {
		case 0:
			ms = docker.Set(t, "manifest.json", meta)
		case 1:
			ms = oci.Set(t, "index.json", meta)
		case 2:
			// The manifest blob replaced and appended, as the corpus was found with.
			idx := imagetest.Index(t, imagetest.Named(imagetest.Descriptor(ocispec.MediaTypeImageManifest, meta), imagetest.Name))
			ms = oci.Drop(t, imagetest.BlobPath(img.Manifest(t))).Set(t, "index.json", idx).Add(imagetest.Blob(meta))
		}
		convertEverywhere(t, ms.Tar(t))
	})
}

func FuzzParseName(f *testing.F) {
	for _, s := range []string{"busybox", "busybox:1", "docker.io/library/busybox:latest", "quay.io/curl/curl:8.1@sha256:" + strings.Repeat("a", 64),
		"localhost:5000/a/b", "UPPER/case", "a@sha256:short", "", ":", "@", "example.com:x/y", strings.Repeat("a/", 200) + "b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := convert.ParseName(s)
		if err != nil {
			if !strings.Contains(err.Error(), "invalid image name") {
				t.Errorf("ParseName(%q): error %q does not say what is wrong", s, err)
			}
			return
		}
		full := n.String()
		again, err := convert.ParseName(full)
		if err != nil || again.String() != full {
			t.Errorf("ParseName(%q) = %q, which parses to %q, %v", s, full, again.String(), err)
		}
		if rt := n.RepoTag(); rt != "" {
			r, err := convert.ParseName(rt)
			if err != nil || r.String() != full {
				t.Errorf("ParseName(%q).RepoTag() = %q, which parses to %q, %v; want %q", s, rt, r.String(), err, full)
			}
		}
	})
}

func FuzzParsePlatform(f *testing.F) {
	for _, s := range []string{"linux/amd64", "linux/arm64/v8", "linux", "/", "linux//", "a/b/c/d", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := convert.ParsePlatform(s)
		if err != nil {
			if !errors.Is(err, convert.ErrUsage) {
				t.Errorf("ParsePlatform(%q): %v is not a usage error", s, err)
			}
			return
		}
		got := p.OS + "/" + p.Architecture
		if p.Variant != "" {
			got += "/" + p.Variant
		}
		if got != s && got+"/" != s {
			t.Errorf("ParsePlatform(%q) = %q", s, got)
		}
	})
}
