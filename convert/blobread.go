package convert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/opencontainers/go-digest"
)

// blobReader reads one blob of the source, once, checking it on the way
// (umoci's VerifiedReadCloser is the model): every byte is hashed with the
// digest's algorithm (or the Hashing hook), counted for progress, never more
// than the blob's size; its first bytes tell its compression; finish checks
// the size, the digest and the diff_id. Verifying and re-encoding both read
// through it.
type blobReader struct {
	a        *Archive
	b        *Blob
	ctx      context.Context
	f        io.ReadCloser
	head     []byte
	sum      *contentSum
	progress func(int64)
}

// readBlob opens b to be read once, through the checks.
func (a *Archive) readBlob(ctx context.Context, b *Blob, h Hashing, progress func(int64)) (*blobReader, error) {
	f, err := b.open()
	if err != nil {
		return nil, &LayoutError{Source: a.Source, Path: b.Path, Reason: err.Error(), Err: err}
	}
	r := &blobReader{a: a, b: b, ctx: ctx, f: f, sum: newContentSum(a, b, h), progress: progress}
	head := make([]byte, min(4, b.Size))
	n, err := io.ReadFull(f, head)
	if err != nil {
		f.Close()
		return nil, a.readError(b, err)
	}
	r.head = head[:n]
	b.sniffed(detectCompression(r.head))
	r.count(r.head)
	return r, nil
}

func (r *blobReader) count(p []byte) {
	r.sum.Write(p) //nolint:errcheck // hashes never fail
	if r.progress != nil {
		r.progress(int64(len(p)))
	}
}

func (r *blobReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	if len(r.head) > 0 {
		n := copy(p, r.head)
		r.head = r.head[n:]
		return n, nil
	}
	n, err := r.f.Read(p)
	if n > 0 {
		r.count(p[:n])
	}
	if r.sum.n > r.b.Size {
		return n, r.a.errorf(r.b.Path, "more than its %d bytes", r.b.Size)
	}
	return n, err
}

func (r *blobReader) Close() error { return r.f.Close() }

// finish checks what was read (see contentSum.check) and records the
// blob's digest as computed.
func (r *blobReader) finish(diff digest.Digest) error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	got, err := r.sum.check(diff)
	if err != nil {
		return err
	}
	r.b.checked(got)
	return nil
}

func (a *Archive) readError(b *Blob, err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	var le *LayoutError
	var pe *PassedError // names the source and the entry
	if errors.As(err, &le) || errors.As(err, &pe) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return a.errorf(b.Path, "truncated: fewer than %d bytes", b.Size)
	}
	return a.errorf(b.Path, "read: %v", err)
}

// decompressError is a layer that would not decompress: a limit it went past
// as it is, anything else as a broken layer.
func (a *Archive) decompressError(b *Blob, c Compression, err error) error {
	var le *LimitError
	if errors.As(err, &le) {
		return le
	}
	return a.errorf(b.Path, "%s layer does not decompress: %v", c, err)
}

// blobName names a blob in messages: the source and the file in it.
func (a *Archive) blobName(b *Blob) string {
	return a.sourceOf(b) + ": " + printable(b.Path)
}

const copyBuffer = 1 << 20

// hashBlobs hashes every blob not yet verified, at most Parallel at once, each
// exactly once: a blob known by digest is checked against it, a blob known
// only by path (a docker-archive layer) gets its digest and compression here.
func (a *Archive) hashBlobs(ctx context.Context, blobs []*Blob, h Hashing) error {
	var todo []*Blob
	seen := map[*Blob]bool{}
	for _, b := range blobs {
		if b == nil || seen[b] || b.verified && !b.learnDiff && !(h.Deep && b.needsDeep()) {
			continue
		}
		seen[b] = true
		todo = append(todo, b)
	}
	if len(todo) == 0 {
		return nil
	}
	meter := newProgressMeter(h.Progress, "verifying", todo)
	bufs := sync.Pool{New: func() any { return make([]byte, copyBuffer) }}
	return eachBlob(ctx, todo, h.Parallel, func(ctx context.Context, b *Blob) error {
		buf := bufs.Get().([]byte)
		defer bufs.Put(buf)
		defer meter.add(b, 0, true)
		return a.hashBlob(ctx, b, h, buf, func(n int64) { meter.add(b, n, false) })
	})
}

func (b *Blob) needsDeep() bool {
	return b.diffID != "" && b.compression != Uncompressed && !b.deepDone
}

// hashBlob reads b once through the checks; with h.Deep, a compressed
// layer is decompressed on the way to check its diff_id.
func (a *Archive) hashBlob(ctx context.Context, b *Blob, h Hashing, buf []byte, progress func(int64)) error {
	if h.Sum != nil && !b.learnDiff {
		if done, err := a.sumInPlace(ctx, b, h, progress); done || err != nil {
			return err
		}
	}
	r, err := a.readBlob(ctx, b, h, progress)
	if err != nil {
		return err
	}
	defer r.Close()
	var deep *deepCheck
	var w io.Writer = io.Discard
	if b.learnDiff && b.compression != Uncompressed || h.Deep && b.needsDeep() {
		deep = startDeep(b.compression, b.diffAlgorithm(), b.Size, h.Limits, a.blobName(b))
		w = deep.pw
	}
	if _, err := io.CopyBuffer(w, r, buf); err != nil {
		if deep != nil {
			if _, derr := deep.wait(); derr != nil && ctx.Err() == nil {
				return a.decompressError(b, b.compression, derr)
			}
		}
		return a.readError(b, err)
	}
	var diff digest.Digest
	if deep != nil {
		if diff, err = deep.wait(); err != nil {
			return a.decompressError(b, b.compression, err)
		}
	}
	if b.learnDiff {
		return r.learn(diff)
	}
	if err := r.finish(diff); err != nil {
		return err
	}
	if deep != nil {
		b.diffChecked(diff)
	}
	return nil
}

// sumInPlace has Hashing.Sum hash a blob that is a range of an archive,
// with the same checks as a read: done is false where it cannot (the blob
// is not such a range, or its diff_id needs its bytes here).
func (a *Archive) sumInPlace(ctx context.Context, b *Blob, h Hashing, progress func(int64)) (done bool, err error) {
	f, err := b.open()
	if err != nil {
		return false, nil // readBlob reports it
	}
	defer f.Close()
	sec, ok := f.(interface {
		Section() (r io.ReaderAt, off, n int64)
	})
	if !ok {
		return false, nil
	}
	ra, off, n := sec.Section()
	head := make([]byte, min(4, n))
	if _, err := ra.ReadAt(head, off); err != nil && err != io.EOF {
		return false, nil
	}
	c := detectCompression(head)
	alg := b.algorithm()
	if h.Deep && b.diffID != "" && c != Uncompressed && !b.deepDone || b.diffID != "" && c == Uncompressed && b.diffID.Algorithm() != alg {
		return false, nil // the diff_id needs the bytes: decompressed, or hashed again
	}
	var counted atomic.Int64
	got, ok, err := h.Sum(ctx, ra, off, n, alg, func(k int64) {
		if k <= 0 || progress == nil {
			return
		}
		after := counted.Add(k)
		if d := min(after, n) - min(after-k, n); d > 0 {
			progress(d)
		}
	})
	if err != nil || !ok {
		return err != nil, err
	}
	if rest := n - min(counted.Load(), n); rest > 0 && progress != nil {
		progress(rest)
	}
	if err := a.checkContent(b, n, got, c, ""); err != nil {
		return true, err
	}
	b.sniffed(c)
	b.checked(got)
	return true, nil
}

// learn checks what was read and takes its diff_id from it: the digest of
// the decompressed bytes, or of the bytes themselves when uncompressed.
func (r *blobReader) learn(diff digest.Digest) error {
	if err := r.finish(""); err != nil {
		return err
	}
	if diff == "" {
		diff = r.b.Digest
	}
	r.b.diffChecked(diff)
	return nil
}

// deepCheck decompresses a layer as it is read and hashes what comes out.
type deepCheck struct {
	pw   *io.PipeWriter
	done chan struct{}
	dig  digest.Digest
	err  error
}

func startDeep(c Compression, alg digest.Algorithm, size int64, lim Limits, what string) *deepCheck {
	pr, pw := io.Pipe()
	d := &deepCheck{pw: pw, done: make(chan struct{})}
	go func() {
		defer close(d.done)
		defer func() {
			if r := recover(); r != nil {
				d.err = fmt.Errorf("internal error: %v", r)
				pr.CloseWithError(d.err)
			}
		}()
		r, err := Decompress(c.String(), pr, size, lim, what)
		if err != nil {
			d.err = err
			pr.CloseWithError(err)
			return
		}
		defer r.Close()
		dh := alg.Digester()
		if _, err := io.Copy(dh.Hash(), r); err != nil {
			d.err = err
			pr.CloseWithError(err)
			return
		}
		io.Copy(io.Discard, pr) //nolint:errcheck // trailing bytes after the stream
		d.dig = dh.Digest()
	}()
	return d
}

func (d *deepCheck) wait() (digest.Digest, error) {
	d.pw.Close()
	<-d.done
	if d.err != nil {
		return "", fmt.Errorf("%w", d.err)
	}
	return d.dig, nil
}

// progressMeter counts a pass's progress for a Progress callback; its methods
// are safe from several goroutines.
type progressMeter struct {
	mu sync.Mutex
	p  Progress
	fn func(Progress)
}

func newProgressMeter(fn func(Progress), phase string, blobs []*Blob) *progressMeter {
	m := &progressMeter{fn: fn, p: Progress{Phase: phase, TotalBlobs: len(blobs)}}
	for _, b := range blobs {
		m.p.TotalBytes += b.Size
	}
	return m
}

func (m *progressMeter) add(b *Blob, n int64, blobDone bool) {
	if m.fn == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.p.Bytes += n
	if blobDone {
		m.p.Blobs++
	}
	m.p.Blob = b
	m.fn(m.p)
}

// eachBlob runs fn on every blob, at most par at once (0: GOMAXPROCS), and
// returns the first error, cancelling the rest once one fails.
func eachBlob(ctx context.Context, blobs []*Blob, par int, fn func(context.Context, *Blob) error) error {
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	work := make(chan *Blob)
	for range min(par, len(blobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				if err := safely(func() error { return fn(ctx, b) }); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
						cancel()
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, b := range blobs {
		if ctx.Err() != nil {
			break
		}
		work <- b
	}
	close(work)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return firstErr
}

// safely runs fn, turning a panic into an error: a worker goroutine's panic
// would otherwise end the process with no word of which blob it was on.
func safely(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return fn()
}
