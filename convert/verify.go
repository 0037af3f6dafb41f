package convert

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime"
	"sync"

	"github.com/opencontainers/go-digest"
)

// Hashing configures how content is hashed: the browser passes a faster
// hasher than Go's wasm build; natively Go's crypto is used.
type Hashing struct {
	New      func(digest.Algorithm) hash.Hash // nil: the algorithm's own
	Parallel int                              // blobs hashed at once; 0: GOMAXPROCS
	Progress func(Progress)                   // called as blobs are read; from one goroutine at a time
	Deep     bool                             // also decompress layers to check diff_ids
	Limits   Limits                           // on what decompressing a layer may produce
}

// Progress is how far a pass over blobs has gone.
type Progress struct {
	Phase             string // "verifying", "re-encoding"
	Bytes, TotalBytes int64
	Blobs, TotalBlobs int // blobs finished, of all
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

func (m *progressMeter) add(n int64, blobDone bool) {
	if m.fn == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.p.Bytes += n
	if blobDone {
		m.p.Blobs++
	}
	m.fn(m.p)
}

const copyBuffer = 1 << 20

// hashBlobs hashes every blob not yet verified, at most Parallel at once, each
// exactly once: a blob known by digest is checked against it, a blob known
// only by path (a docker-archive layer) gets its digest and compression here.
func (a *Archive) hashBlobs(ctx context.Context, blobs []*Blob, h Hashing) error {
	var todo []*Blob
	seen := map[*Blob]bool{}
	for _, b := range blobs {
		if b == nil || seen[b] || b.verified && !(h.Deep && b.needsDeep()) {
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
		defer meter.add(0, true)
		return a.hashBlob(ctx, b, h, buf, func(n int64) { meter.add(n, false) })
	})
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

func (b *Blob) needsDeep() bool {
	return b.diffID != "" && b.compression != Uncompressed && !b.deepDone
}

// progressReader counts bytes for progress and stops when ctx is done.
type progressReader struct {
	ctx context.Context
	r   io.Reader
	fn  func(int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	if err := p.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := p.r.Read(b)
	p.fn(int64(n))
	return n, err
}

func (a *Archive) hashBlob(ctx context.Context, b *Blob, h Hashing, buf []byte, progress func(int64)) error {
	f, err := b.open()
	if err != nil {
		return &LayoutError{Source: a.Source, Path: b.Path, Reason: err.Error(), Err: err}
	}
	defer f.Close()
	alg := digest.SHA256
	if b.Digest != "" {
		alg = b.Digest.Algorithm()
	}
	hh := alg.Hash()
	if h.New != nil {
		hh = h.New(alg)
	}
	r := io.Reader(&progressReader{ctx: ctx, r: f, fn: progress})
	head := buf[:min(int64(len(buf)), b.Size)]
	n, err := io.ReadFull(r, head)
	if err != nil {
		return a.readError(b, err)
	}
	b.compression = DetectCompression(head[:n])
	var w io.Writer = hh
	var deep *deepCheck
	// A diff_id is of its own algorithm, whatever the blob's digest is.
	var rawDiff hash.Hash
	if b.diffID != "" && b.compression == Uncompressed && b.diffID.Algorithm() != alg {
		rawDiff = b.diffID.Algorithm().Hash()
		w = io.MultiWriter(hh, rawDiff)
	}
	if h.Deep && b.needsDeep() {
		deep = startDeep(b.compression, b.diffID.Algorithm(), b.Size, h.Limits, a.blobName(b))
		w = io.MultiWriter(hh, deep.pw)
	}
	w.Write(head[:n]) //nolint:errcheck // hashes do not fail; the deep pipe reports at wait
	copied, err := io.CopyBuffer(w, r, buf)
	if err != nil {
		if deep != nil {
			if _, derr := deep.wait(); derr != nil && ctx.Err() == nil {
				return a.decompressError(b, b.compression, derr)
			}
		}
		return a.readError(b, err)
	}
	if got := int64(n) + copied; got != b.Size {
		return a.errorf(b.Path, "read %d bytes, expected %d", got, b.Size)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	got := digest.NewDigest(alg, hh)
	if b.Digest != "" && got != b.Digest {
		return &DigestError{Source: a.Source, Blob: b.Path, Want: b.Digest.String(), Got: got.String()}
	}
	b.Digest, b.verified = got, true
	if deep != nil {
		diff, err := deep.wait()
		if err != nil {
			return a.decompressError(b, b.compression, err)
		}
		if diff != b.diffID {
			return &DigestError{Source: a.Source, Blob: b.Path, What: "diff_id", Want: b.diffID.String(), Got: diff.String()}
		}
		b.deepDone = true
	} else if b.diffID != "" && b.compression == Uncompressed {
		diff := b.Digest
		if rawDiff != nil {
			diff = digest.NewDigest(b.diffID.Algorithm(), rawDiff)
		}
		if diff != b.diffID {
			return &DigestError{Source: a.Source, Blob: b.Path, What: "diff_id", Want: b.diffID.String(), Got: diff.String()}
		}
	}
	return nil
}

func (a *Archive) readError(b *Blob, err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return a.errorf(b.Path, "truncated: fewer than %d bytes", b.Size)
	}
	return a.errorf(b.Path, "read: %v", err)
}

// deepCheck decompresses a layer as it is hashed and hashes what comes out.
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

// blobName names a blob in messages: the source and the file in it.
func (a *Archive) blobName(b *Blob) string {
	return a.Source + ": " + printable(b.Path)
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
