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

// mappedSum is the core's Hashing.Sum natively: it hashes a range of a
// regular file through read-only mappings of it, a window at a time, so the
// bytes go from the page cache to the hash without being copied into the
// process first (a copy that costs about a quarter of the hashing), and
// what is mapped at once, which counts in the process's memory, stays small.
func mappedSum(ctx context.Context, r io.ReaderAt, off, n int64, alg digest.Algorithm, progress func(int64)) (d digest.Digest, ok bool, err error) {
	f, isFile := r.(*os.File)
	if !isFile || n < mapWindow || !alg.Available() {
		return "", false, nil
	}
	// A file cut short under a mapping faults on the missing pages: a panic
	// here (recovered), never a crash.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if recover() != nil {
			d, ok, err = "", true, errors.New("the file changed while it was read")
		}
	}()
	h := alg.Hash()
	fd, page := int(f.Fd()), int64(os.Getpagesize())
	for end := off + n; off < end; {
		if err := ctx.Err(); err != nil {
			return "", true, err
		}
		start := off &^ (page - 1)
		stop := min(end, start+mapWindow)
		data, err := syscall.Mmap(fd, start, int(stop-start), syscall.PROT_READ, syscall.MAP_SHARED)
		if err != nil {
			if off == end-n { // nothing hashed yet: read it as usual
				return "", false, nil
			}
			return "", true, err
		}
		_ = syscall.Madvise(data, syscall.MADV_SEQUENTIAL)
		h.Write(data[off-start:])
		if err := syscall.Munmap(data); err != nil {
			return "", true, err
		}
		progress(stop - off)
		off = stop
	}
	return digest.NewDigest(alg, h), true, nil
}

// mapWindow is how much of a file is mapped at once; smaller ranges are
// read as usual.
const mapWindow = 8 << 20
