package convert

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"
)

// Spill holds content retar makes that may be too big for memory: a
// re-encoded layer. Natively it is a temporary file; in a browser, Blob parts.
type Spill interface {
	io.Writer
	// Done ends writing and returns the content to read back.
	Done() (io.ReaderAt, error)
}

// MemorySpill keeps spilled content in memory; for tests and small images.
func MemorySpill() (Spill, error) { return &memSpill{}, nil }

type memSpill struct{ bytes.Buffer }

func (m *memSpill) Done() (io.ReaderAt, error) { return bytes.NewReader(m.Bytes()), nil }

// ParseCompression reads --compress: keep (""), none, gzip or zstd.
func ParseCompression(s string) (c Compression, keep bool, err error) {
	switch s {
	case "", "keep":
		return 0, true, nil
	case "none":
		return Uncompressed, false, nil
	case "gzip":
		return Gzip, false, nil
	case "zstd":
		return Zstd, false, nil
	}
	return 0, false, fmt.Errorf("invalid compression %q: want keep, none, gzip or zstd%.0w", s, ErrUsage)
}

// layerBlobs lists the layer blobs below roots that a re-encode may change:
// present, not foreign, of image manifests (artifacts keep their bytes).
func layerBlobs(roots []*Node) []*Blob {
	var out []*Blob
	for _, root := range roots {
		_ = root.walk(func(n *Node) error {
			if isImageManifest(n) {
				for _, l := range n.layers() {
					if l.Blob != nil && !isForeign(l.Desc) {
						out = append(out, l.Blob)
					}
				}
			}
			return nil
		})
	}
	return out
}

// recompress re-encodes every blob not already in the wanted compression,
// in parallel, each in one pass: the source is hashed (verifying it, or
// giving a docker-archive layer its digest), decompressed and hashed again
// (checking its diff_id), and re-encoded into a spill while the result is
// hashed. It returns the new blobs by source blob; blobs already re-encoded
// (in done) are skipped.
func (a *Archive) recompress(ctx context.Context, blobs []*Blob, done map[*Blob]*Blob, opts Options) (map[*Blob]*Blob, error) {
	if opts.Spill == nil {
		return nil, fmt.Errorf("re-encoding layers needs somewhere to put them (no spill given)%.0w", ErrUsage)
	}
	var todo []*Blob
	seen := map[*Blob]bool{}
	for _, b := range blobs {
		if b == nil || seen[b] || done[b] != nil {
			continue
		}
		seen[b] = true
		if c, err := a.compressionOfBlob(b); err == nil && c == opts.Compress {
			continue // already as wanted: copied as it is
		}
		todo = append(todo, b)
	}
	out := done
	if out == nil {
		out = map[*Blob]*Blob{}
	}
	if len(todo) == 0 {
		return out, nil
	}
	meter := newProgressMeter(opts.Hashing.Progress, "re-encoding", todo)
	var mu sync.Mutex
	err := eachBlob(ctx, todo, opts.Hashing.Parallel, func(ctx context.Context, b *Blob) error {
		defer meter.add(0, true)
		nb, err := a.reencode(ctx, b, opts, func(n int64) { meter.add(n, false) })
		if err != nil {
			return err
		}
		mu.Lock()
		out[b] = nb
		mu.Unlock()
		return nil
	})
	return out, err
}

// compressionOfBlob is a layer's compression: from its first bytes once read,
// else from a peek at them.
func (a *Archive) compressionOfBlob(b *Blob) (Compression, error) {
	if b.verified {
		return b.compression, nil
	}
	f, err := b.open()
	if err != nil {
		return 0, err
	}
	defer f.Close()
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	return DetectCompression(head[:n]), nil
}

// zstdLevel maps a --compress-level (zstd's 1–22 scale, as the zstd command
// has it) to the encoder's four speeds.
func zstdLevel(level int) zstd.EncoderLevel {
	if level <= 0 {
		return zstd.SpeedDefault
	}
	return zstd.EncoderLevelFromZstd(level)
}

func (a *Archive) reencode(ctx context.Context, b *Blob, opts Options, progress func(int64)) (*Blob, error) {
	f, err := b.open()
	if err != nil {
		return nil, &LayoutError{Source: a.Source, Path: b.Path, Reason: err.Error(), Err: err}
	}
	defer f.Close()
	alg := digest.SHA256
	if b.Digest != "" {
		alg = b.Digest.Algorithm()
	}
	srcHash := alg.Hash()
	if opts.Hashing.New != nil {
		srcHash = opts.Hashing.New(alg)
	}
	src := &progressReader{ctx: ctx, r: io.TeeReader(f, srcHash), fn: progress}
	br := newPeekReader(src)
	from := DetectCompression(br.head)
	dec, err := Decompress(from.String(), br, b.Size, opts.Hashing.Limits, a.blobName(b))
	if err != nil {
		return nil, a.decompressError(b, from, err)
	}
	defer dec.Close()
	sp, err := opts.Spill()
	if err != nil {
		return nil, err
	}
	outHash := digest.SHA256.Digester()
	size := &countWriter{}
	sink := io.MultiWriter(sp, outHash.Hash(), size)
	var enc io.WriteCloser
	switch opts.Compress {
	case Gzip:
		level := opts.CompressLevel
		if level == 0 {
			level = gzip.DefaultCompression
		}
		if enc, err = gzip.NewWriterLevel(sink, level); err != nil {
			return nil, fmt.Errorf("%w%.0w", err, ErrUsage)
		}
	case Zstd:
		// One encoder goroutine, so the bytes are the same on every machine.
		if enc, err = zstd.NewWriter(sink, zstd.WithEncoderLevel(zstdLevel(opts.CompressLevel)), zstd.WithEncoderConcurrency(1)); err != nil {
			return nil, err
		}
	default:
		enc = nopWriteCloser{sink}
	}
	// An uncompressed source is its own diff: its digest is hashed once,
	// when the diff_id is of the blob's own algorithm.
	diffAlg := digest.SHA256
	if b.diffID != "" {
		diffAlg = b.diffID.Algorithm()
	}
	diffHash := diffAlg.Digester()
	var w io.Writer = io.MultiWriter(enc, diffHash.Hash())
	if from == Uncompressed && alg == diffAlg {
		w = enc
	}
	if _, err := io.CopyBuffer(w, dec, make([]byte, copyBuffer)); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, a.decompressError(b, from, err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	if _, err := io.Copy(io.Discard, br); err != nil { // whatever follows the stream still counts for the digest
		return nil, a.readError(b, err)
	}
	got := digest.NewDigest(alg, srcHash)
	if b.Digest != "" && got != b.Digest {
		return nil, &DigestError{Source: a.Source, Blob: b.Path, Want: b.Digest.String(), Got: got.String()}
	}
	diff := diffHash.Digest()
	if w == enc {
		diff = got
	}
	if b.diffID != "" && diff != b.diffID {
		return nil, &DigestError{Source: a.Source, Blob: b.Path, What: "diff_id", Want: b.diffID.String(), Got: diff.String()}
	}
	b.Digest, b.verified, b.compression, b.deepDone = got, true, from, true
	ra, err := sp.Done()
	if err != nil {
		return nil, err
	}
	return &Blob{Path: b.Path + " (re-encoded)", origin: b.origin, Size: size.n, Digest: outHash.Digest(), spill: ra, verified: true,
		compression: opts.Compress, diffID: diff, deepDone: true}, nil
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// peekReader reads the first bytes of a stream ahead, to tell its compression.
type peekReader struct {
	head []byte
	r    io.Reader
	off  int
}

func newPeekReader(r io.Reader) *peekReader {
	head := make([]byte, 4)
	n, _ := io.ReadFull(r, head)
	return &peekReader{head: head[:n], r: r}
}

func (p *peekReader) Read(b []byte) (int, error) {
	if p.off < len(p.head) {
		n := copy(b, p.head[p.off:])
		p.off += n
		return n, nil
	}
	return p.r.Read(b)
}
