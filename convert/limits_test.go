package convert_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
)

// storedAs is img with its layers stored as compress makes them, as
// compression c (the config's diff_ids stay those of the tars).
func storedAs(img imagetest.Image, c imagetest.Compression, compress func([]byte) []byte) imagetest.Image {
	img.Compression, img.Blobs = c, nil
	for _, l := range img.Layers {
		img.Blobs = append(img.Blobs, compress(l))
	}
	return img
}

func zstdWindow(window int) func([]byte) []byte {
	return func(b []byte) []byte {
		var buf bytes.Buffer
		w, err := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
		if err != nil {
			panic(err)
		}
		w.Write(b)
		w.Close()
		return declareWindow(buf.Bytes(), window)
	}
}

// declareWindow rewrites a zstd frame's header to declare a window of
// 2^k bytes (the encoder fits the window to small inputs): no content size,
// not single-segment, the blocks as they were.
func declareWindow(frame []byte, window int) []byte {
	fhd := frame[4]
	single := fhd>>5&1 == 1
	fcs := []int{0, 2, 4, 8}[fhd>>6]
	if single && fhd>>6 == 0 {
		fcs = 1
	}
	n := 5 + []int{0, 1, 2, 4}[fhd&3] + fcs
	if !single {
		n++
	}
	exp := 0
	for 1<<exp < window {
		exp++
	}
	out := append([]byte{0x28, 0xb5, 0x2f, 0xfd, fhd & 0x04, byte(exp-10) << 3}, frame[n:]...)
	return out
}

// A zstd frame that asks for a 512 MiB window is refused by name, not given
// the memory: sixteen such layers once made verify take 2 GB.
func TestZstdWindowOverTheCapIsRefused(t *testing.T) {
	img := imagetest.New(t, imagetest.Layers(2))
	data := storedAs(img, imagetest.Zstd, zstdWindow(512<<20)).OCIArchive(t).Tar(t)
	err := verify("window.tar", data)
	if !errors.Is(err, convert.ErrLimit) || !strings.Contains(err.Error(), "window") || !strings.Contains(err.Error(), "window.tar") {
		t.Fatalf("verify: %v, want a window limit naming the file", err)
	}
	// The same layers with an 8 MiB window verify.
	if err := verify("ok.tar", storedAs(img, imagetest.Zstd, zstdWindow(8<<20)).OCIArchive(t).Tar(t)); err != nil {
		t.Errorf("an 8 MiB window: %v", err)
	}
}

// However many cores, at most a fixed number of zstd decoders run at once.
func TestZstdDecodersAreBounded(t *testing.T) {
	payload := bytes.Repeat([]byte("retar "), 1<<20)
	frame := zstdWindow(64 << 20)(payload)
	var mu sync.Mutex
	running, peak := 0, 0
	var wg sync.WaitGroup
	for range 4 * runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := convert.Decompress("zstd", bytes.NewReader(frame), int64(len(frame)), convert.Limits{}, "frame")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			running++
			peak = max(peak, running)
			mu.Unlock()
			io.Copy(io.Discard, r)
			mu.Lock()
			running--
			mu.Unlock()
			r.Close()
		}()
	}
	wg.Wait()
	if peak > 2 {
		t.Errorf("%d zstd decoders at once", peak)
	}
}

// A layer that expands past the limits is refused while it decompresses,
// before anything is written, with the file and the limit named.
func TestExpansionLimits(t *testing.T) {
	defer convert.SetExpansionFloor(1 << 20)()
	zeros := make([]byte, 64<<20)
	bomb := imagetest.New(t, imagetest.LayerTars(zeros), imagetest.Compress(imagetest.Gzip)).OCIArchive(t).Tar(t)
	ctx := context.Background()
	open := func() *convert.Archive {
		a, err := convert.Open(convert.Input{Name: "bomb.tar", Archive: bytes.NewReader(bomb), Size: int64(len(bomb))})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	for _, c := range []struct {
		name string
		lim  convert.Limits
		want string
	}{
		{"ratio", convert.Limits{}, "times its compressed"},
		{"size", convert.Limits{MaxExpansion: -1, MaxExpanded: 8 << 20}, "expanded size"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := open().Verify(ctx, convert.Hashing{Limits: c.lim})
			if !errors.Is(err, convert.ErrLimit) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "bomb.tar") {
				t.Errorf("verify: %v", err)
			}
			spilled := 0
			_, err = open().Convert(ctx, convert.Options{To: convert.OCIArchive, Recompress: true, Compress: convert.Uncompressed,
				Hashing: convert.Hashing{Limits: c.lim}, Spill: func() (convert.Spill, error) { return &countingSpill{n: &spilled}, nil }})
			if !errors.Is(err, convert.ErrLimit) {
				t.Errorf("--compress none: %v", err)
			}
			if spilled > 64<<20 {
				t.Errorf("spilled %d bytes before the limit", spilled)
			}
		})
	}
	// Lifted, the layer converts.
	if _, err := open().Verify(ctx, convert.Hashing{Limits: convert.Limits{MaxExpansion: -1, MaxExpanded: -1}}); err != nil {
		t.Errorf("with the limits lifted: %v", err)
	}
}

type countingSpill struct {
	bytes.Buffer
	n *int
}

func (c *countingSpill) Write(p []byte) (int, error) { *c.n += len(p); return c.Buffer.Write(p) }
func (c *countingSpill) Done() (io.ReaderAt, error)  { return bytes.NewReader(c.Bytes()), nil }
