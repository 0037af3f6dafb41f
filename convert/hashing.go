package convert

import (
	"context"
	"hash"
	"io"

	"github.com/opencontainers/go-digest"
)

// Hashing configures how content is hashed: the browser passes a faster
// hasher than Go's wasm build; natively Go's crypto is used.
type Hashing struct {
	New func(digest.Algorithm) hash.Hash // nil: the algorithm's own
	// Sum, when set, hashes n bytes of r from off where they lie, for a
	// blob that is a plain range of an archive (or a file with a Section
	// method, as tarfs.File has): a browser hashes ranges of the dropped
	// File in parallel Workers, the bytes never passing through Go. It may
	// report bytes hashed so far to progress (from any goroutine, until it
	// returns); what it does not report is counted when it returns. ok
	// false, decided before hashing, has the blob read here instead.
	Sum func(ctx context.Context, r io.ReaderAt, off, n int64, alg digest.Algorithm, progress func(int64)) (d digest.Digest, ok bool, err error)
	// Feed, when set, writes n bytes of r from off to w (a hash) where
	// they lie, without copying them into the process first: natively,
	// through read-only mappings of a file. ok false, decided before
	// writing anything, has them read here instead.
	Feed     func(ctx context.Context, w io.Writer, r io.ReaderAt, off, n int64) (ok bool, err error)
	Parallel int            // blobs hashed at once; 0: GOMAXPROCS
	Progress func(Progress) // called as blobs are read; from one goroutine at a time
	Deep     bool           // also decompress layers to check diff_ids
	Limits   Limits         // on what decompressing a layer may produce
}

// Progress is how far a pass over blobs has gone.
type Progress struct {
	Phase             string // "verifying", "re-encoding"
	Bytes, TotalBytes int64
	Blobs, TotalBlobs int // blobs finished, of all
	// Blob is the blob this call is about: the Bytes added since the last
	// call are its bytes, and a call that counts one more of Blobs says it
	// is finished. Read its fields during the call only.
	Blob *Blob
}
