package convert

// Reading a stream to look at it, not to convert it (verify, inspect,
// check, digests of standard input): every blob is checked as it passes
// and kept nowhere, so nothing goes to disk and memory holds only the JSON.

import (
	"context"
	"fmt"
	"hash"
	"io"

	"github.com/opencontainers/go-digest"
)

// ScanStream reads a tar stream once, to its end, holding its JSON and
// small files in memory as ReadStream does and keeping no blob: each is
// hashed as it passes and, with h.Deep, a compressed one is decompressed on
// the way for its diff_id, as Verify would. It returns the source opened
// from what the stream held, each blob checked against what the JSON says
// of it (a digest, size or diff_id that differs fails here, naming the
// blob). A blob's bytes are not there to read again: a reader that needs
// them gets a *PassedError. Nothing is written.
func ScanStream(ctx context.Context, in StreamInput, h Hashing) (*Archive, error) {
	r := newStreamReader(ctx, in, nil, Options{Hashing: h})
	r.scan = &streamScan{deep: h.Deep}
	r.file.scanned = true
	if err := r.read(); err != nil {
		return nil, err
	}
	return r.open()
}

// streamScan is what a scanning stream reader does with each blob.
type streamScan struct {
	deep bool // decompress compressed blobs for their diff_id
}

// scanned is what a scan learned of a compressed blob's decoded bytes:
// their digest, or why they would not decode (said only if the blob turns
// out to be a layer).
type scanned struct {
	diff digest.Digest
	err  error
}

// look hashes an entry as it passes, and with deep decompresses a
// compressed one beside (its own goroutine) for its diff_id; the entry
// becomes a hole in the stream's file.
func (r *streamReader) look(rec *passed, head []byte, h hash.Hash) error {
	var deep *deepCheck
	var w io.Writer
	if r.scan.deep && rec.comp != Uncompressed {
		deep = startDeep(rec.comp, digest.SHA256, rec.size, r.opts.Hashing.Limits, r.in.Name+": "+printable(rec.name))
		w = &untilFailed{w: deep.pw}
	}
	_, err := r.pass.pass(r.ctx, head, r.tr, rec.size, h, w, false)
	if deep != nil {
		rec.decoded = &scanned{}
		rec.decoded.diff, rec.decoded.err = deep.wait()
	}
	if err != nil {
		if r.ctx.Err() == nil {
			err = r.truncated(rec.name, err)
		}
		return err
	}
	r.file.addHole(rec.off, rec.size, rec.name)
	return nil
}

// untilFailed writes to w until a write fails, then takes the rest and
// drops it: a decoder that gave up says why when it is waited for.
type untilFailed struct {
	w      io.Writer
	failed bool
}

func (u *untilFailed) Write(p []byte) (int, error) {
	if !u.failed {
		if _, err := u.w.Write(p); err != nil {
			u.failed = true
		}
	}
	return len(p), nil
}

// learnScanned records on a blob what a scan saw of it: its digest and
// compression, and a compressed layer's diff_id. Unlike a conversion's
// entry that waited, nothing is there to hash again, so a difference fails.
func (r *streamReader) learnScanned(a *Archive, b *Blob, rec *passed) error {
	if rec.got.Algorithm() != b.algorithm() {
		return fmt.Errorf("%s: its digest was taken in %s as it passed, and the source's JSON wants %s", a.blobName(b), rec.got.Algorithm(), b.algorithm())
	}
	var diff digest.Digest
	deep := rec.decoded != nil && b.diffID != "" && rec.comp != Uncompressed
	if deep {
		if rec.decoded.err != nil {
			return a.decompressError(b, rec.comp, rec.decoded.err)
		}
		if diff = rec.decoded.diff; diff.Algorithm() != b.diffAlgorithm() {
			return fmt.Errorf("%s: its diff_id was taken in %s as it passed, and the source's JSON wants %s", a.blobName(b), diff.Algorithm(), b.diffAlgorithm())
		}
	}
	if err := a.checkContent(b, rec.size, rec.got, rec.comp, diff); err != nil {
		return err
	}
	b.sniffed(rec.comp)
	b.checked(rec.got)
	switch {
	case deep:
		b.diffChecked(diff)
	case b.learnDiff && rec.comp == Uncompressed:
		b.diffChecked(rec.got)
	}
	return nil
}
