package convert

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
	"github.com/opencontainers/go-digest"
)

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
// hashed. The new blobs go into done, by source blob; blobs already there
// are skipped.
func (a *Archive) recompress(ctx context.Context, blobs []*Blob, done map[*Blob]*Blob, opts Options, only func(Compression) bool) error {
	var todo, placed []*Blob
	seen := map[*Blob]bool{}
	for _, b := range blobs {
		if b == nil || seen[b] || done[b] != nil {
			continue
		}
		seen[b] = true
		c, err := b.sniff()
		switch {
		case err == nil && (c == opts.Compress || !only(c)):
			continue // already as wanted, or not asked for: copied as it is
		case err == nil && placeable(b, c, opts):
			placed = append(placed, b)
			continue
		}
		todo = append(todo, b)
	}
	todo = append(todo, a.placeLater(ctx, placed, done, opts)...)
	if len(todo) == 0 {
		return nil
	}
	if opts.Spill == nil {
		return fmt.Errorf("re-encoding layers needs somewhere to put them (no spill given)%.0w", ErrUsage)
	}
	meter := newProgressMeter(opts.Hashing.Progress, "re-encoding", todo)
	// The largest layers start first: a large one started last would run
	// alone at the end, on one core, while the small ones fill the others.
	slices.SortStableFunc(todo, func(x, y *Blob) int { return cmp.Compare(y.Size, x.Size) })
	// With fewer layers than cores, each layer's hashing and writing go to
	// goroutines of their own beside its decoding and encoding.
	spare := len(todo) < runtime.GOMAXPROCS(0)
	var mu sync.Mutex
	return eachBlob(ctx, todo, opts.Hashing.Parallel, func(ctx context.Context, b *Blob) error {
		defer meter.add(b, 0, true)
		nb, err := a.reencode(ctx, b, opts, spare, func(n int64) { meter.add(b, n, false) })
		if err != nil {
			return err
		}
		mu.Lock()
		done[b] = nb
		mu.Unlock()
		return nil
	})
}

// zstdLevel maps a --compress-level (zstd's 1–22 scale, as the zstd command
// has it) to the encoder's four speeds.
func zstdLevel(level int) zstd.EncoderLevel {
	if level <= 0 {
		return zstd.SpeedDefault
	}
	return zstd.EncoderLevelFromZstd(level)
}

// reencode re-encodes layer b into opts.Compress in one pass: read through
// the checks, decoded, the decoded bytes hashed for its diff_id, encoded
// into a spill while the new bytes are hashed.
func (a *Archive) reencode(ctx context.Context, b *Blob, opts Options, spare bool, progress func(int64)) (*Blob, error) {
	r, err := a.readBlob(ctx, b, opts.Hashing, progress)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	dec, err := Decompress(b.compression.String(), r, b.Size, opts.Hashing.Limits, a.blobName(b))
	if err != nil {
		return nil, a.decompressError(b, b.compression, err)
	}
	defer dec.Close()
	sp, err := opts.Spill()
	if err != nil {
		return nil, err
	}
	e, err := newReencoding(b, r.sum.alg, sp, opts, spare)
	if err != nil {
		return nil, err
	}
	if err := e.run(dec); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, errWrite) {
			return nil, err
		}
		return nil, a.decompressError(b, b.compression, err)
	}
	return a.reencoded(r, e, sp, opts.Compress)
}

// reencoding is one layer's way through re-encoding: the decoded bytes go
// to the encoder and, unless the source's digest is its diff_id, to the
// diff_id's hash; the encoded bytes go to the spill, the new digest's hash
// and a count. With cores to spare, hashing and writing run beside decoding
// and encoding (asides).
type reencoding struct {
	diff   digest.Digester // of the decoded bytes; nil where the source's digest is the diff_id
	out    digest.Digester // of the encoded bytes
	size   countWriter
	enc    io.WriteCloser
	in     io.Writer // where the decoded bytes go
	asides []*asideWriter
}

// newReencoding sets up the way for layer b, whose digest is hashed in
// alg as it is read, into spill sp.
func newReencoding(b *Blob, alg digest.Algorithm, sp Spill, opts Options, spare bool) (*reencoding, error) {
	e := &reencoding{}
	// The diff_id is hashed from what comes out of the decoder, unless the
	// source is uncompressed and of the diff_id's algorithm: then it is its
	// own diff, and the blob reader's digest is it.
	diffAlg := b.diffAlgorithm()
	if b.compression != Uncompressed || alg != diffAlg {
		e.diff = diffAlg.Digester()
	}
	// The new blob's digest is hashed from what the encoder writes; written
	// uncompressed, it is the diff, hashed once for both.
	e.out = digest.SHA256.Digester()
	toOut := []io.Writer{spillWriter{sp}}
	if opts.Compress == Uncompressed && e.diff != nil && diffAlg == digest.SHA256 {
		e.out = e.diff
	} else {
		toOut = append(toOut, e.out.Hash())
	}
	output := io.MultiWriter(append(toOut, &e.size)...)
	// A parallel gzip encoder has the cores already: measured, the asides
	// then only cost (4%); beside one goroutine's zstd or none they save 14%.
	large := b.Size >= parallelGzipFrom
	spare = spare && !(opts.Compress == Gzip && large)
	if spare {
		output = newAside(output, &e.asides)
	}
	enc, err := encoder(output, opts, large)
	if err != nil {
		e.wait() //nolint:errcheck // the encoder's error is the one to say
		return nil, err
	}
	e.enc, e.in = enc, enc
	if e.diff != nil {
		var dw io.Writer = e.diff.Hash()
		if spare {
			dw = newAside(dw, &e.asides)
		}
		e.in = io.MultiWriter(enc, dw)
	}
	return e, nil
}

// run re-encodes what dec gives, to its end, a full buffer at a time: a
// decoder gives 32 KiB a read, and each write may be a system call.
func (e *reencoding) run(dec io.Reader) error {
	buf := make([]byte, copyBuffer)
	var err error
	for err == nil {
		n, rerr := fill(dec, buf)
		if n > 0 {
			_, err = e.in.Write(buf[:n])
		}
		if err == nil && rerr != nil {
			if rerr != io.EOF {
				err = rerr
			}
			break
		}
	}
	if err == nil {
		err = e.enc.Close()
	}
	if werr := e.wait(); err == nil {
		err = werr
	}
	return err
}

// fill reads r into buf until buf is full, r ends (io.EOF) or fails.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// wait waits for the asides, always: they hold the hashes and the spill.
func (e *reencoding) wait() error {
	var err error
	for _, aw := range e.asides {
		if werr := aw.close(); err == nil {
			err = werr
		}
	}
	return err
}

// reencoded checks the source layer, read to its end (whatever follows the
// compressed stream still counts for its digest), records its diff_id, and
// returns the layer e made, compressed as c.
func (a *Archive) reencoded(r *blobReader, e *reencoding, sp Spill, c Compression) (*Blob, error) {
	b := r.b
	if _, err := io.Copy(io.Discard, r); err != nil {
		return nil, a.readError(b, err)
	}
	var diff digest.Digest
	if e.diff != nil {
		diff = e.diff.Digest()
	}
	if err := r.finish(diff); err != nil {
		return nil, err
	}
	if diff == "" {
		diff = b.Digest
	}
	b.diffChecked(diff) // a v1 chain's layer: its diff_id is what came out
	ra, err := sp.Done()
	if err != nil {
		return nil, err
	}
	return &Blob{Path: b.Path + " (re-encoded)", origin: b.origin, Size: e.size.n, Digest: e.out.Digest(), spill: ra, verified: true,
		compression: c, diffID: diff, deepDone: true}, nil
}

// encoder compresses into w as opts ask, with bytes that are the same on
// every machine. gzip: a layer of parallelGzipFrom bytes or more is
// compressed in fixed 1 MiB blocks, each on its own core with the 32 KiB
// before it as dictionary (as pigz and pgzip do), so one large layer uses
// every core while the block boundaries, hence the bytes, do not depend on
// how many there are; a smaller one is one stream, as before. zstd: the
// encoder works on the next block while the last one is written out (two
// goroutines; its bytes are the same with one), which keeps a second core
// busy when a large layer is re-encoded alone.
func encoder(w io.Writer, opts Options, large bool) (io.WriteCloser, error) {
	switch opts.Compress {
	case Gzip:
		level := opts.CompressLevel
		if level == 0 {
			level = gzip.DefaultCompression
		}
		if large {
			enc, err := pgzip.NewWriterLevel(w, level)
			if err == nil {
				err = enc.SetConcurrency(gzipBlock, gzipBlocksAhead())
			}
			if err != nil {
				return nil, fmt.Errorf("%w%.0w", err, ErrUsage)
			}
			return enc, nil
		}
		enc, err := gzip.NewWriterLevel(w, level)
		if err != nil {
			return nil, fmt.Errorf("%w%.0w", err, ErrUsage)
		}
		return enc, nil
	case Zstd:
		return zstd.NewWriter(w, zstd.WithEncoderLevel(zstdLevel(opts.CompressLevel)), zstd.WithEncoderConcurrency(min(runtime.GOMAXPROCS(0), 2)))
	}
	return nopWriteCloser{w}, nil
}

// gzipBlock is the size of the blocks a large layer's gzip is compressed
// in, and parallelGzipFrom the source size from which a layer is: both part
// of the output's definition, never to depend on the machine.
const (
	gzipBlock        = 1 << 20
	parallelGzipFrom = 8 << 20
)

// gzipBlocksAhead bounds the blocks one layer's gzip has in flight (each
// holds a block in and one out): every core busy, memory a few MiB a layer.
func gzipBlocksAhead() int { return min(max(runtime.GOMAXPROCS(0), 2), 4) }

// asideWriter passes what is written to it on to w from a goroutine of its
// own, in order, so hashing and writing run beside decoding and encoding.
// Each chunk is copied (the caller reuses its buffer); at most asideDepth
// are in flight.
type asideWriter struct {
	w    io.Writer
	ch   chan *[]byte
	done chan struct{}
	err  error // the first error of w, read after done is closed
}

const asideDepth = 4

// errWrite marks an error of the spill the layer is written to, not of the
// layer being decoded.
var errWrite = errors.New("write")

// spillWriter marks its spill's write errors with errWrite.
type spillWriter struct{ w io.Writer }

func (s spillWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil {
		err = fmt.Errorf("%w: %w", errWrite, err)
	}
	return n, err
}

func newAside(w io.Writer, all *[]*asideWriter) *asideWriter {
	a := &asideWriter{w: w, ch: make(chan *[]byte, asideDepth), done: make(chan struct{})}
	go func() {
		defer close(a.done)
		for p := range a.ch {
			if a.err == nil {
				_, a.err = a.w.Write(*p)
			}
			asideChunks.Put(p)
		}
	}()
	*all = append(*all, a)
	return a
}

func (a *asideWriter) Write(p []byte) (int, error) {
	c := asideChunks.Get().(*[]byte)
	*c = append((*c)[:0], p...)
	a.ch <- c
	return len(p), nil
}

// asideChunks are the copies in flight, reused.
var asideChunks = sync.Pool{New: func() any { return new([]byte) }}

// close waits for every chunk to be written and says how that went; it may
// be called more than once.
func (a *asideWriter) close() error {
	select {
	case <-a.done:
	default:
		close(a.ch)
		<-a.done
	}
	return a.err
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }
