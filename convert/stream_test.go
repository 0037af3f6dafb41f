package convert_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
)

// pipeReader has only Read, as a pipe does: no Seek, no ReadAt.
type pipeReader struct{ r io.Reader }

func (p pipeReader) Read(b []byte) (int, error) { return p.r.Read(b) }

// layerTar is a layer of one file of n pseudo-random bytes, seeded.
func layerTar(t *testing.T, n int, seed uint64) []byte {
	t.Helper()
	body := make([]byte, n)
	rng := rand.New(rand.NewPCG(seed, 7))
	for i := range body {
		body[i] = byte(rng.Uint32())
	}
	return imagetest.FileLayer(t, body)
}

// bigImage has two layers of a few MiB, so each passes through several
// of the stream's buffers.
func bigImage(t *testing.T) imagetest.Image {
	return imagetest.New(t, imagetest.LayerTars(layerTar(t, 3<<20+77, 1), layerTar(t, 2<<20, 2)), imagetest.Names("example.com/stream:1"))
}

type streamResult struct {
	out     []byte
	s       *convert.Streamed
	plan    *convert.Plan
	spilled int
}

// stream converts data, given as a pipe gives it, into to, as the CLI does
// from standard input to standard output.
func stream(t *testing.T, data []byte, to convert.Layout, lim convert.Limits) (streamResult, error) {
	t.Helper()
	ctx := context.Background()
	var res streamResult
	tr, err := convert.ExpandReader(ctx, pipeReader{bytes.NewReader(data)}, -1, "", "stdin", lim, nil)
	if err != nil {
		return res, err
	}
	defer tr.Close()
	opts := convert.Options{To: to, Host: ocispec.Platform{OS: "linux", Architecture: "amd64"}}
	opts.Hashing.Limits = lim
	opts.Spill = func() (convert.Spill, error) { res.spilled++; return convert.MemorySpill() }
	var out bytes.Buffer
	defer func() { res.out = out.Bytes() }()
	if res.s, err = convert.ReadStream(ctx, convert.StreamInput{Name: "stdin", Tar: tr}, convert.WriterSink{Writer: &out}, opts); err != nil {
		res.out = out.Bytes()
		return res, err
	}
	if res.plan, err = res.s.Convert(ctx, opts); err != nil {
		res.out = out.Bytes()
		return res, err
	}
	err = res.s.Finish(res.plan)
	res.out = out.Bytes()
	return res, err
}

// fromFile converts data as the file it would be.
func fromFile(t *testing.T, data []byte, to convert.Layout) []byte {
	t.Helper()
	a := imagetest.OpenBytes(t, "stdin", data)
	p, err := a.Convert(context.Background(), convert.Options{To: to, Host: ocispec.Platform{OS: "linux", Architecture: "amd64"}})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := p.WriteTar(convert.WriterSink{Writer: &buf}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sameEntries(t *testing.T, got, want []byte) {
	t.Helper()
	g, w := imagetest.ReadTar(t, got), imagetest.ReadTar(t, want)
	byName := map[string]imagetest.Member{}
	for _, m := range w {
		byName[m.Name] = m
	}
	if len(g) != len(w) {
		t.Errorf("%d entries, the file's conversion has %d:\n%v\n%v", len(g), len(w), g.Names(), w.Names())
	}
	for _, m := range g {
		o, ok := byName[m.Name]
		if !ok || !bytes.Equal(m.Body, o.Body) || m.Type != o.Type || m.Link != o.Link || m.Header.Mode != o.Header.Mode || !m.Header.ModTime.Equal(o.Header.ModTime) {
			t.Errorf("%s differs from the file's conversion", m.Name)
		}
	}
}

func TestStreamPassesBlobsThenJSON(t *testing.T) {
	img := bigImage(t)
	for _, shape := range []struct {
		name string
		ms   imagetest.Members
	}{{"hybrid", img.Hybrid(t)}, {"oci-archive", img.OCIArchive(t)}} {
		t.Run(shape.name, func(t *testing.T) {
			// the JSON at the end, as docker 25+ and ctr export write it
			ms := shape.ms.Drop(t, "index.json").Drop(t, "oci-layout").Add(imagetest.Member{Name: "index.json", Body: shape.ms.Get(t, "index.json")})
			data := ms.Tar(t)
			for _, to := range []convert.Layout{convert.OCIArchive} {
				res, err := stream(t, data, to, convert.Limits{})
				if err != nil {
					t.Fatal(err)
				}
				if res.spilled != 0 || len(res.s.Notices) > 0 {
					t.Errorf("%d spills, notices %q: nothing should wait", res.spilled, res.s.Notices)
				}
				sameEntries(t, res.out, fromFile(t, data, to))
				list, marker := imagetest.TarNames(res.out)
				if !marker {
					t.Error("no end-of-archive marker")
				}
				first := map[string]int{}
				for i, n := range list {
					first[n] = i
				}
				for i := range img.Layers {
					layer := imagetest.BlobPath(img.LayerBlob(t, i))
					if first[layer] > first["index.json"] || first[layer] > first["manifest.json"] {
						t.Errorf("%s comes after the JSON that names it: %v", layer, list)
					}
				}
			}
		})
	}
}

func TestStreamCorruptBlobCutShort(t *testing.T) {
	img := bigImage(t)
	layer := imagetest.BlobPath(img.LayerBlob(t, 0))
	data := img.Hybrid(t).Edit(t, layer, func(b []byte) []byte {
		b = bytes.Clone(b)
		b[len(b)/2] ^= 0x40
		return b
	}).Tar(t)
	res, err := stream(t, data, convert.OCIArchive, convert.Limits{})
	var cut *convert.CutShortError
	var de *convert.DigestError
	if !errors.As(err, &cut) || !errors.As(err, &de) || cut.Entry != layer {
		t.Fatalf("want a digest mismatch cutting the output short inside %s, got %v", layer, err)
	}
	if !strings.Contains(err.Error(), "its reader got an incomplete archive") {
		t.Errorf("the error does not say what the reader got: %v", err)
	}
	list, marker := imagetest.TarNames(res.out)
	if marker || imagetest.WholeTar(res.out) || len(res.out)%512 == 0 {
		t.Errorf("the output reads as a whole archive (%d bytes, %v)", len(res.out), list)
	}
	for _, n := range list {
		if n == "index.json" || n == "manifest.json" {
			t.Errorf("the cut output holds %s", n)
		}
	}
	if list[len(list)-1] != layer {
		t.Errorf("the output stops in %s, not in %s", list[len(list)-1], layer)
	}
}

func TestStreamCorruptJSONStopsBeforeIndex(t *testing.T) {
	img := bigImage(t)
	cfg := imagetest.BlobPath(img.Config)
	data := img.Hybrid(t).Edit(t, cfg, func(b []byte) []byte {
		return bytes.Replace(b, []byte("PATH=/bin"), []byte("PATH=/bim"), 1)
	}).Tar(t)
	res, err := stream(t, data, convert.OCIArchive, convert.Limits{})
	var st *convert.StreamStoppedError
	var de *convert.DigestError
	if !errors.As(err, &st) || !errors.As(err, &de) {
		t.Fatalf("want a digest mismatch stopping the stream, got %v", err)
	}
	if st.Written != int64(len(res.out)) || st.Written == 0 {
		t.Errorf("the error says %d bytes were written, %d were", st.Written, len(res.out))
	}
	list, marker := imagetest.TarNames(res.out)
	if marker {
		t.Error("the stopped output ends with an end-of-archive marker")
	}
	for _, n := range list {
		if n == "index.json" || n == "manifest.json" || n == "oci-layout" {
			t.Errorf("the stopped output holds %s", n)
		}
	}
}

func TestStreamTruncated(t *testing.T) {
	img := bigImage(t)
	data := img.Hybrid(t).Tar(t)
	res, err := stream(t, data[:len(data)/2], convert.OCIArchive, convert.Limits{})
	if err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("want a truncated stream refused, got %v", err)
	}
	if _, marker := imagetest.TarNames(res.out); marker {
		t.Error("the output of a truncated stream ends as a whole archive")
	}
}

func TestStreamOverLargeJSON(t *testing.T) {
	img := bigImage(t)
	ms := img.Hybrid(t)
	// manifest.json first, over its limit: refused before anything is written
	big := append([]byte("["), bytes.Repeat([]byte(" "), 16<<20)...)
	big = append(big, ']')
	data := append(imagetest.Members{{Name: "manifest.json", Body: big}}, ms.Drop(t, "manifest.json")...).Tar(t)
	res, err := stream(t, data, convert.OCIArchive, convert.Limits{})
	if !errors.Is(err, convert.ErrLimit) || !strings.Contains(err.Error(), "manifest.json") || !strings.Contains(err.Error(), "16 MiB limit") {
		t.Fatalf("want manifest.json refused over its limit, got %v", err)
	}
	if len(res.out) != 0 {
		t.Errorf("%d bytes written before the refusal", len(res.out))
	}

	// All that is held, within its bound.
	defer convert.SetStreamHeld(64 << 10)()
	many := ms
	for i := range 40 {
		many = many.Add(imagetest.Member{Name: "junk" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ".json", Body: []byte(`{"x":"` + strings.Repeat("y", 4000) + `"}`)})
	}
	_, err = stream(t, many.Tar(t), convert.OCIArchive, convert.Limits{})
	if !errors.Is(err, convert.ErrLimit) || !strings.Contains(err.Error(), "holds in memory") {
		t.Fatalf("want the stream refused past what it may hold, got %v", err)
	}
}

func TestStreamWaitsForDigestlessLayers(t *testing.T) {
	img := bigImage(t)
	data := img.DockerArchive(t).Tar(t) // docker ≤ 24: <id>/layer.tar
	res, err := stream(t, data, convert.OCIArchive, convert.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if res.spilled != 1 || len(res.s.Notices) != 1 || !strings.Contains(res.s.Notices[0], "names no digest") {
		t.Errorf("want one spill and one notice naming why, got %d, %q", res.spilled, res.s.Notices)
	}
	if want := fromFile(t, data, convert.OCIArchive); !bytes.Equal(res.out, want) {
		t.Error("nothing passed, and the output differs from the file's conversion")
	}
}

func TestStreamHostile(t *testing.T) {
	img := bigImage(t)
	ms := img.Hybrid(t)
	layer := imagetest.BlobPath(img.LayerBlob(t, 1))
	t.Run("duplicate", func(t *testing.T) {
		data := ms.Add(imagetest.Member{Name: layer, Body: img.LayerBlob(t, 1)}).Tar(t)
		_, err := stream(t, data, convert.OCIArchive, convert.Limits{})
		if err == nil || !strings.Contains(err.Error(), "two tar members") {
			t.Fatalf("want two members of one name refused, got %v", err)
		}
		if _, ferr := convert.Open(convert.Input{Name: "stdin", Archive: bytes.NewReader(data), Size: int64(len(data))}); ferr == nil ||
			!strings.Contains(err.Error(), strings.SplitN(ferr.Error(), " (at offsets", 2)[0]) {
			t.Errorf("from a file: %v\nfrom a pipe: %v", ferr, err)
		}
	})
	t.Run("after the end", func(t *testing.T) {
		data := ms.Tar(t)
		more := imagetest.Members{{Name: "index.json", Body: []byte("{}")}}.Tar(t)
		res, err := stream(t, append(bytes.Clone(data), more...), convert.OCIArchive, convert.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		sameEntries(t, res.out, fromFile(t, data, convert.OCIArchive))
	})
	t.Run("endless", func(t *testing.T) {
		var hdr bytes.Buffer
		tw := tar.NewWriter(&hdr)
		tw.WriteHeader(&tar.Header{Name: "blobs/sha256/" + strings.Repeat("a", 64), Mode: 0o644, Size: 1 << 40}) //nolint:errcheck
		tw.Flush()
		endless := io.MultiReader(bytes.NewReader(hdr.Bytes()), zeros{})
		ctx := context.Background()
		tr, err := convert.ExpandReader(ctx, pipeReader{endless}, -1, "", "stdin", convert.Limits{MaxExpanded: 8 << 20}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		_, err = convert.ReadStream(ctx, convert.StreamInput{Name: "stdin", Tar: tr}, convert.WriterSink{Writer: &out}, convert.Options{To: convert.OCIArchive})
		var le *convert.LimitError
		if !errors.As(err, &le) {
			t.Fatalf("want the expansion limit, got %v", err)
		}
		if out.Len() > 9<<20 {
			t.Errorf("%d bytes written past an 8 MiB limit", out.Len())
		}
	})
	t.Run("unsafe name", func(t *testing.T) {
		data := ms.Add(imagetest.Member{Name: "../escape", Body: []byte("x")}).Tar(t)
		_, err := stream(t, data, convert.OCIArchive, convert.Limits{})
		if err == nil || !strings.Contains(err.Error(), "leaves the archive") {
			t.Fatalf("want a member that climbs out refused, got %v", err)
		}
	})
	t.Run("one blob under two names", func(t *testing.T) {
		body := img.LayerBlob(t, 1)
		data := ms.Add(imagetest.Member{Name: strings.TrimPrefix(layer, "blobs/sha256/") + ".tar", Body: body}).Tar(t)
		res, err := stream(t, data, convert.OCIArchive, convert.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		sameEntries(t, res.out, fromFile(t, data, convert.OCIArchive))
	})
	t.Run("a blob no image uses", func(t *testing.T) {
		junk := layerTar(t, 9000, 9)
		data := append(imagetest.Members{imagetest.Blob(junk)}, ms...).Tar(t)
		res, err := stream(t, data, convert.OCIArchive, convert.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(res.plan.Warnings, "\n"), imagetest.BlobPath(junk)) {
			t.Errorf("no notice names the blob that passed for nothing: %q", res.plan.Warnings)
		}
		list, _ := imagetest.TarNames(res.out)
		if list[2] != imagetest.BlobPath(junk) {
			t.Errorf("the unused blob is not where it passed: %v", list)
		}
	})
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// A stream whose first header is PAX (a long name, as tar --format=pax and
// git archive write) is a tar: its header ends in the blocks after the first.
func TestStreamStartsWithPAXHeader(t *testing.T) {
	img := bigImage(t)
	long := strings.Repeat("a-long-name-", 12) + "README"
	data := append(imagetest.Members{{Name: long, Body: []byte("hello")}}, img.Hybrid(t)...).Tar(t)
	res, err := stream(t, data, convert.OCIArchive, convert.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	sameEntries(t, res.out, fromFile(t, data, convert.OCIArchive))
}

// --for docker-24 re-encodes every layer not gzip once one is zstd: with
// GzipIfZstd a zstd layer waits and nothing passes after it; a zstd layer
// after a plain one passed stops the stream at once, saying why.
func TestStreamGzipIfZstd(t *testing.T) {
	img := imagetest.New(t, imagetest.LayerTars(layerTar(t, 1<<20, 3)), imagetest.Compress(imagetest.Zstd), imagetest.Names("example.com/z:1"))
	run := func(data []byte, recompress bool) (streamResult, error) {
		ctx := context.Background()
		var res streamResult
		opts := convert.Options{To: convert.OCIArchive, Host: ocispec.Platform{OS: "linux", Architecture: "amd64"}}
		opts.Spill = func() (convert.Spill, error) { res.spilled++; return convert.MemorySpill() }
		var out bytes.Buffer
		var err error
		res.s, err = convert.ReadStream(ctx, convert.StreamInput{Name: "stdin", Tar: pipeReader{bytes.NewReader(data)}, GzipIfZstd: true}, convert.WriterSink{Writer: &out}, opts)
		if err == nil && recompress { // as --for docker-24 then sets it
			if err = opts.Set("compress", "gzip"); err != nil {
				t.Fatal(err)
			}
		}
		if err == nil {
			res.plan, err = res.s.Convert(ctx, opts)
		}
		if err == nil {
			err = res.s.Finish(res.plan)
		}
		res.out = out.Bytes()
		return res, err
	}
	data := img.Hybrid(t).Tar(t)
	res, err := run(data, true)
	if err != nil {
		t.Fatal(err)
	}
	if res.spilled < 1 || len(res.s.Notices) != 1 || !strings.Contains(res.s.Notices[0], "docker-24") {
		t.Errorf("want the zstd layer waiting, with a notice naming why: %d spills, %q", res.spilled, res.s.Notices)
	}
	plain := layerTar(t, 8000, 4)
	_, err = run(append(imagetest.Members{imagetest.Blob(plain)}, img.Hybrid(t)...).Tar(t), true)
	if err == nil || !strings.Contains(err.Error(), "convert the stream from a file") || !strings.Contains(err.Error(), imagetest.BlobPath(plain)) {
		t.Fatalf("want the stream stopped at the zstd layer after a plain one passed, got %v", err)
	}
}
