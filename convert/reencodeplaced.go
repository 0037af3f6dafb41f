package convert

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/opencontainers/go-digest"
)

// A gzip layer decoded for an uncompressed output (--compress none) need
// not wait in a spill, to be copied into the output once every layer is
// done: its digest is its diff_id, which the config says, and its size is
// almost always what its gzip trailer says (ISIZE: the decoded size modulo
// 4 GiB). With Options.PlaceReencoded the plan lays such a layer out with
// those two, and writing the plan into a file (a PlacedSink) decodes it
// straight into its place, beside the rest of the writing: its bytes are
// written once. What was taken on trust is checked as the layer is
// written. A diff_id that lies fails as it does in a spill; a layer that
// decodes to another size than its trailer said (more than 4 GiB, or
// several gzip members, as eStargz writes) fails the plan with
// ErrGuessedSize, and the caller plans again without placing.

// ErrGuessedSize says a layer placed by its gzip trailer decoded to another
// size: the plan is to be made again with Options.PlaceReencoded off.
var ErrGuessedSize = errors.New("a layer's decoded size is not the one its gzip trailer gives")

// laterLayer is a layer to be decoded into its place as the plan is written.
type laterLayer struct {
	ctx   context.Context // the conversion's
	a     *Archive
	src   *Blob
	opts  Options
	meter *progressMeter
	spare bool // cores to spare: hashing and writing beside decoding
}

// placeable says whether layer b, compressed as c, can be planned by its
// trailer: decoded to none for a file, its digest and diff_id known.
func placeable(b *Blob, c Compression, opts Options) bool {
	return opts.PlaceReencoded && opts.Compress == Uncompressed && c == Gzip &&
		b.Digest != "" && b.diffID != "" && !b.learnDiff && b.diffID.Algorithm() == digest.SHA256
}

// guessDecoded is the size layer b's gzip trailer gives, where it can be
// believed: a deflate stream never decodes to much less than its own size
// (stored blocks add 5 bytes in 64 KiB), so a trailer saying less is of a
// layer past 4 GiB, or of the last of several members; and one saying more
// than lim lets a layer decode to is not believed either (the decoding
// would fail, and the space set aside for it is not to be).
func guessDecoded(b *Blob, lim Limits) (int64, bool) {
	if b.Size < 20 {
		return 0, false
	}
	f, err := b.open()
	if err != nil {
		return 0, false
	}
	defer f.Close()
	r, off, n, ok := rangeOf(f)
	if !ok || n >= 0 && n != b.Size {
		return 0, false
	}
	var t [4]byte
	if _, err := r.ReadAt(t[:], off+b.Size-4); err != nil {
		return 0, false
	}
	d := int64(binary.LittleEndian.Uint32(t[:]))
	lim = lim.Effective()
	most := min(max(expansionFloor, lim.MaxExpansion*b.Size), lim.MaxExpanded)
	return d, d >= b.Size-b.Size/1024-64 && d <= most
}

// later plans layer b of a to be decoded into its place: a blob with the
// digest and size it is to have, and no content until the plan writes it.
func (a *Archive) later(ctx context.Context, b *Blob, size int64, opts Options, meter *progressMeter, spare bool) *Blob {
	return &Blob{Path: b.Path + " (re-encoded)", origin: b.origin, Size: size, Digest: b.diffID, verified: true,
		compression: Uncompressed, diffID: b.diffID, deepDone: true,
		later: &laterLayer{ctx: ctx, a: a, src: b, opts: opts, meter: meter, spare: spare}}
}

// laterJobs decode a plan's later layers into their places, each in its
// own goroutine from the moment the writer reaches it, a few at once.
type laterJobs struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	slots  chan struct{}
	mu     sync.Mutex
	err    error
	fail   func(error) // tells the plan's checks, which stop
}

// placeLater sets entry e's bytes aside in s and starts decoding its layer
// into them.
func (p *Plan) placeLater(e *Entry, s Sink) error {
	ps, ok := s.(PlacedSink)
	if !ok {
		return fmt.Errorf("internal: %s is to be decoded into its place, and this output is not a file", e.Name)
	}
	l := e.blob.later
	if p.later == nil {
		ctx, cancel := context.WithCancel(l.ctx)
		p.later = &laterJobs{ctx: ctx, cancel: cancel, slots: make(chan struct{}, 2*runtime.GOMAXPROCS(0))}
		if p.checks != nil {
			p.later.fail = p.checks.fail
		}
	}
	j := p.later
	if err := j.failed(); err != nil {
		return err
	}
	w, at, release, err := ps.Place(e.Size)
	if err != nil {
		return err
	}
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		defer release()
		select {
		case j.slots <- struct{}{}:
		case <-j.ctx.Done():
			j.failWith(j.ctx.Err())
			return
		}
		defer func() { <-j.slots }()
		if err := safely(func() error { return l.decodeInto(j.ctx, w, at, e) }); err != nil {
			j.failWith(err)
		}
	}()
	return nil
}

// decodeInto decodes the layer into e's place at of w, through the checks
// a spill's re-encoding has, and holds it to the digest and size planned.
func (l *laterLayer) decodeInto(ctx context.Context, w io.WriterAt, at int64, e *Entry) error {
	opts := l.opts
	opts.Spill = func() (Spill, error) { return &placedSpill{w: w, at: at, n: e.Size}, nil }
	defer l.meter.add(l.src, 0, true)
	nb, err := l.a.reencode(ctx, l.src, opts, l.spare, func(n int64) { l.meter.add(l.src, n, false) })
	switch {
	case err != nil:
		return err
	case nb.Size != e.Size:
		return fmt.Errorf("%s: %w (%d bytes, not %d)", l.a.blobName(l.src), ErrGuessedSize, nb.Size, e.Size)
	case nb.Digest != e.blob.Digest:
		return fmt.Errorf("internal: %s decoded to %s, planned as %s", l.a.blobName(l.src), nb.Digest, e.blob.Digest)
	}
	return nil
}

func (j *laterJobs) failWith(err error) {
	j.mu.Lock()
	if j.err == nil || errors.Is(j.err, context.Canceled) {
		j.err = err
	}
	j.mu.Unlock()
	if j.fail != nil {
		j.fail(err)
	}
	j.cancel()
}

// failed says, without waiting, whether a layer failed.
func (j *laterJobs) failed() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

// end waits for every layer, after stopping them if stop, and returns the
// first failure.
func (j *laterJobs) end(stop bool) error {
	if j == nil {
		return nil
	}
	if stop {
		j.cancel()
	}
	j.wg.Wait()
	j.cancel()
	return j.failed()
}

// placedSpill is the spill of a layer decoded into its place: n bytes of w
// from at, and not one more.
type placedSpill struct {
	w     io.WriterAt
	at, n int64
	k     int64 // written so far
}

func (s *placedSpill) Write(p []byte) (int, error) {
	if s.k+int64(len(p)) > s.n {
		return 0, ErrGuessedSize
	}
	n, err := s.w.WriteAt(p, s.at+s.k)
	s.k += int64(n)
	return n, err
}

// Done gives nothing to read back: the layer is in the output already.
func (s *placedSpill) Done() (io.ReaderAt, error) { return nil, nil }

// placeLater plans each of blobs that its trailer can size to be decoded
// into its place as the plan is written, and returns the others, to be
// re-encoded now.
func (a *Archive) placeLater(ctx context.Context, blobs []*Blob, done map[*Blob]*Blob, opts Options) (rest []*Blob) {
	sizes := map[*Blob]int64{}
	var sized []*Blob
	for _, b := range blobs {
		if size, ok := guessDecoded(b, opts.Hashing.Limits); ok {
			sizes[b] = size
			sized = append(sized, b)
		} else {
			rest = append(rest, b)
		}
	}
	meter := newProgressMeter(opts.Hashing.Progress, "re-encoding", sized)
	// All are decoded at once (a few per core), so the scheduler keeps the
	// cores busy; with fewer layers than cores, each layer's hashing and
	// writing go beside its decoding.
	spare := len(sized) < runtime.GOMAXPROCS(0)
	for _, b := range sized {
		done[b] = a.later(ctx, b, sizes[b], opts, meter, spare)
	}
	return rest
}
