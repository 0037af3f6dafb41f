package convert_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
)

// Hashing.Sum hashes the blobs that are plain ranges of an archive where
// they lie (a browser's Workers), with the checks a read has: every layer
// of a conversion goes through it once, and a wrong sum is a digest error.
func TestHashingSumHook(t *testing.T) {
	img := imagetest.New(t, imagetest.Layers(3), imagetest.Compress(imagetest.Gzip))
	data := img.OCIArchive(t).Tar(t)
	open := func() *convert.Archive {
		a, err := convert.Open(convert.Input{Name: "in.tar", Archive: bytes.NewReader(data), Size: int64(len(data))})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	var calls atomic.Int32
	sum := func(ctx context.Context, r io.ReaderAt, off, n int64, alg digest.Algorithm, _ func(int64)) (digest.Digest, bool, error) {
		calls.Add(1)
		d, err := alg.FromReader(io.NewSectionReader(r, off, n))
		return d, true, err
	}
	opts := convert.Options{To: convert.OCI, Hashing: convert.Hashing{Sum: sum, Parallel: 2}}
	if _, err := open().Convert(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 {
		t.Errorf("Sum hashed %d blobs, want the 3 layers (the manifest and config are read as metadata)", calls.Load())
	}
	wrong := func(ctx context.Context, r io.ReaderAt, off, n int64, alg digest.Algorithm, _ func(int64)) (digest.Digest, bool, error) {
		return digest.FromString("not it"), true, nil
	}
	opts.Hashing.Sum = wrong
	if _, err := open().Convert(context.Background(), opts); !errors.Is(err, convert.ErrDigestMismatch) {
		t.Errorf("a wrong sum: %v, want a digest mismatch", err)
	}
	// verify decompresses gzip layers for their diff_ids: the bytes are
	// read here, not summed elsewhere.
	calls.Store(0)
	if _, err := open().Verify(context.Background(), convert.Hashing{Sum: sum}); err != nil || calls.Load() != 0 {
		t.Errorf("verify: %v, %d sums", err, calls.Load())
	}
}
