package cli

import (
	"context"
	"errors"
	"io"
	"os"
	"runtime/debug"
	"syscall"

	"github.com/opencontainers/go-digest"
)

// mappedFeed is the core's Hashing.Feed natively: it writes a range of a
// regular file to w (a hash) through read-only mappings of it, a window at
// a time, so the bytes go from the page cache to the hash without being
// copied into the process first (a copy that costs about a quarter of the
// hashing), and what is mapped at once, which counts in the process's
// memory, stays small. Ranges under a window are read as usual (ok false).
func mappedFeed(ctx context.Context, w io.Writer, r io.ReaderAt, off, n int64) (ok bool, err error) {
	return mapRange(ctx, w, r, off, n, func(int64) {})
}

// mappedSum is the core's Hashing.Sum natively: a range's digest, hashed
// through mappedFeed's windows.
func mappedSum(ctx context.Context, r io.ReaderAt, off, n int64, alg digest.Algorithm, progress func(int64)) (d digest.Digest, ok bool, err error) {
	if !alg.Available() {
		return "", false, nil
	}
	h := alg.Hash()
	if ok, err = mapRange(ctx, h, r, off, n, progress); !ok || err != nil {
		return "", ok, err
	}
	return digest.NewDigest(alg, h), true, nil
}

func mapRange(ctx context.Context, w io.Writer, r io.ReaderAt, off, n int64, progress func(int64)) (ok bool, err error) {
	f, isFile := r.(*os.File)
	if !isFile || n < mapWindow {
		return false, nil
	}
	// A file cut short under a mapping faults on the missing pages: a panic
	// here (recovered), never a crash.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if recover() != nil {
			ok, err = true, errors.New("the file changed while it was read")
		}
	}()
	fd, page := int(f.Fd()), int64(os.Getpagesize())
	for end := off + n; off < end; {
		if err := ctx.Err(); err != nil {
			return true, err
		}
		start := off &^ (page - 1)
		stop := min(end, start+mapWindow)
		data, err := syscall.Mmap(fd, start, int(stop-start), syscall.PROT_READ, syscall.MAP_SHARED)
		if err != nil {
			if off == end-n { // nothing written yet: read it as usual
				return false, nil
			}
			return true, err
		}
		_ = syscall.Madvise(data, syscall.MADV_SEQUENTIAL)
		w.Write(data[off-start:]) //nolint:errcheck // hashes never fail
		if err := syscall.Munmap(data); err != nil {
			return true, err
		}
		progress(stop - off)
		off = stop
	}
	return true, nil
}

// mapWindow is how much of a file is mapped at once; smaller ranges are
// read as usual.
const mapWindow = 8 << 20
