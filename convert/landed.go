package convert

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/opencontainers/go-digest"
)

// With Options.VerifyAsWritten, what a plan copies from its sources is
// verified where it lands, not where it came from: every entry that copies a
// source blob is held against the blob's digest from the very bytes the sink
// received, so a source that changes while it is read cannot slip into an
// output. Three ways, by the sink:
//
//   - A PlacedSink (a file, whose ranges can be written out of order) gets
//     each blob's range set aside by the writer, which goes on at once;
//     hashers on every core each take a blob, the largest first, and read
//     it a buffer at a time, hash the buffer and write that same buffer to
//     its place: what lands is what was hashed, each byte read once,
//     hashed once and written once, on every core from the start to the
//     end (the last blobs' reading and writing move to a core that would
//     idle, see helped).
//   - A ReadBackSink (a temporary file only retar holds) is copied into
//     by the writer, blob after blob, and hashers on every core read the
//     bytes back behind it, range by range as they land.
//   - Any other sink (standard output, a pipe) gets the bytes read once into
//     memory, hashed and written from there; the last byte of each blob is
//     held back until its digest is checked, so a reader of a stream cut
//     short by a mismatch sees a truncated archive, never a whole one.
//
// Plan.Verified, which WriteTar ends with, waits for the last check; the
// blobs are recorded as verified only then.

// ReadBackSink is a Sink whose bytes can be read again once written: a file
// that only the writer holds, so what is read back is what was written.
type ReadBackSink interface {
	Sink
	// ReadBack returns the file the sink writes, the offset its next byte
	// goes to, and what to call once the plan has read back what it
	// writes next (closing a file the sink would otherwise close at once).
	ReadBack() (r io.ReaderAt, off int64, release func())
}

// PlacedSink is a Sink whose ranges can be written in any order and from
// several goroutines at once: a file, written with positioned writes.
type PlacedSink interface {
	Sink
	// Place sets the sink's next n bytes aside, to be written with
	// w.WriteAt from at on, by any goroutine, while the sink is written
	// on; release is called once they are written (or the plan stopped).
	Place(n int64) (w io.WriterAt, at int64, release func(), err error)
}

// landedChecks are the checks of a plan's copied entries, one landing each.
type landedChecks struct {
	ctx   context.Context
	h     Hashing
	of    map[*Blob]*Archive  // the source each copied blob is in
	by    map[string]*landing // by entry name
	order []*landing          // in plan order

	once    sync.Once
	running context.Context // the hashers': ends when the plan fails or is verified
	cancel  context.CancelFunc
	hashers sync.WaitGroup
	slots   chan struct{} // landings begun and not yet checked

	mu      sync.Mutex
	ready   sync.Cond  // on mu: a landing was begun, or the checks stopped
	pending []*landing // begun, and no hasher has taken them yet
	begun   int        // landings begun
	idle    int        // hashers waiting for a landing

	meter *progressMeter
	first atomic.Value // errBox: the first failure, which every wait reports
	// lastly is asked before a stream's last held-back byte goes out
	// (Options.SourcesUnchanged).
	lastly func() error
}

// maxLandings bounds the landings begun and not yet checked, and so the
// files a directory writer holds open for them.
const maxLandings = 16

// landing is where one entry's bytes go as they are written, and its check.
type landing struct {
	a *Archive
	b *Blob

	mu      sync.Mutex
	moved   sync.Cond // on mu: more landed, ended or stopped
	r       io.ReaderAt
	off     int64
	n       int64 // bytes landed so far
	begun   bool
	ended   bool // the writer is done with it: n is final
	stopped bool // the plan failed elsewhere
	release func()
	dropped sync.Once // release, called once

	// A placed landing's bytes are read, hashed and written by its
	// hasher: size bytes of src from srcOff, to off of place.
	place  io.WriterAt
	src    io.ReaderAt
	srcOff int64
	size   int64

	done chan struct{}
	err  error         // set before done is closed
	got  digest.Digest // the digest of what landed, once checked
}

// add records that blob b of source a is copied into the output.
func (c *landedChecks) add(a *Archive, b *Blob) {
	if c.of == nil {
		c.of = map[*Blob]*Archive{}
	}
	c.of[b] = a
}

// plan gives every entry that copies a recorded blob its landing.
func (c *landedChecks) plan(entries []Entry) {
	c.by = map[string]*landing{}
	var blobs []*Blob
	for _, e := range entries {
		a := c.of[e.blob]
		if a == nil || e.Type != tar.TypeReg {
			continue
		}
		l := &landing{a: a, b: e.blob, done: make(chan struct{})}
		l.moved.L = &l.mu
		c.by[e.Name] = l
		c.order = append(c.order, l)
		blobs = append(blobs, e.blob)
	}
	c.meter = newProgressMeter(c.h.Progress, "verifying", blobs)
	c.slots = make(chan struct{}, maxLandings)
	c.ready.L = &c.mu
}

func (c *landedChecks) landingOf(e *Entry) *landing {
	if c == nil || e.blob == nil || e.blob.data != nil || e.blob.spill != nil {
		return nil
	}
	return c.by[e.Name]
}

// start runs the hashers, once, at the first entry written.
func (c *landedChecks) start() {
	c.once.Do(func() {
		par := c.h.Parallel
		if par <= 0 {
			par = runtime.GOMAXPROCS(0)
		}
		c.running, c.cancel = context.WithCancel(c.ctx)
		for range min(par, len(c.order)) {
			c.hashers.Add(1)
			go c.hasher()
		}
		go func() {
			<-c.running.Done()
			c.mu.Lock()
			c.ready.Broadcast() // hashers waiting for a landing end
			c.mu.Unlock()
			for _, l := range c.order { // wake whoever waits for bytes that will not come
				l.mu.Lock()
				l.stopped = true
				l.moved.Broadcast()
				l.mu.Unlock()
				l.drop()
			}
		}()
	})
}

func (c *landedChecks) hasher() {
	defer c.hashers.Done()
	buf := make([]byte, copyBuffer)
	for {
		l := c.next()
		if l == nil {
			return
		}
		err := c.running.Err()
		if err == nil && l.place != nil {
			// The one use here of a file above (landedplaced.go): the
			// hashers run every landing, a placed one as that file says.
			err = safely(func() error { return c.placeBack(l, buf) })
		} else if err == nil {
			err = safely(func() error { return c.readBack(l, buf) })
		}
		l.drop()
		<-c.slots
		c.finish(l, err)
	}
}

// next waits for a landing that no hasher has taken, and takes the largest:
// what is hashed last is then the smaller blobs, so the cores finish
// together rather than one hashing a large blob alone at the end. It
// returns nil once the checks stop.
func (c *landedChecks) next() *landing {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.pending) == 0 && c.running.Err() == nil {
		c.idle++
		c.ready.Wait()
		c.idle--
	}
	if c.running.Err() != nil {
		return nil
	}
	k := 0
	for i, l := range c.pending {
		if l.b.Size > c.pending[k].b.Size {
			k = i
		}
	}
	l := c.pending[k]
	c.pending = slices.Delete(c.pending, k, k+1)
	return l
}

// finish records a landing's check; a failure stops the rest.
func (c *landedChecks) finish(l *landing, err error) {
	c.meter.add(l.b, 0, true)
	if err != nil {
		c.fail(err)
	}
	l.err = err
	close(l.done)
}

// fail stops the checks with the first failure.
func (c *landedChecks) fail(err error) {
	if !errors.Is(err, context.Canceled) {
		c.first.CompareAndSwap(nil, errBox{err})
	}
	c.cancel()
}

type errBox struct{ error }

// failed starts the hashers if need be and says, without waiting, whether a
// check has failed: the writer stops early then.
func (c *landedChecks) failed() error {
	if c == nil {
		return nil
	}
	c.start()
	if f, ok := c.first.Load().(errBox); ok {
		return f.error
	}
	return nil
}

// abort stops the checks of a plan whose writing failed, waits for the
// hashers (which may be writing into the sink) and releases what the sink
// lent before the writer's error reaches its caller, who may remove the
// files at once. It returns the error to report: a writer stopped because a
// check failed reports that check's failure, not its own cancellation.
func (c *landedChecks) abort(err error) error {
	if c == nil || err == nil {
		return err
	}
	c.start()
	c.fail(err)
	c.stopped()
	if f, ok := c.first.Load().(errBox); ok && errors.Is(err, context.Canceled) {
		return f.error
	}
	return err
}

// stopped waits for the hashers of checks that were stopped to end, then
// releases every file lent for reading back.
func (c *landedChecks) stopped() {
	c.hashers.Wait()
	c.dropAll()
}

// dropAll releases every file lent for reading back.
func (c *landedChecks) dropAll() {
	for _, l := range c.order {
		l.drop()
	}
}

// all waits for every landing's check and returns the first failure; once
// all passed, each blob is recorded as verified and the hashers end. On a
// failure the hashers have ended and every lent file is released before it
// returns.
func (c *landedChecks) all() (err error) {
	if c == nil {
		return nil
	}
	c.start()
	defer func() {
		c.cancel()
		if err != nil {
			c.stopped()
		}
	}()
	for _, l := range c.order {
		l.mu.Lock()
		begun := l.begun
		l.mu.Unlock()
		if !begun && c.running.Err() == nil {
			c.fail(fmt.Errorf("internal: %s was never written", l.a.blobName(l.b)))
		}
		select {
		case <-l.done:
			if l.err == nil {
				continue
			}
		case <-c.running.Done():
		}
		if f, ok := c.first.Load().(errBox); ok {
			return f.error
		}
		if err := c.ctx.Err(); err != nil {
			return err
		}
		return l.err
	}
	for _, l := range c.order {
		l.b.checked(l.got)
	}
	return nil
}

// begin says the writer starts an entry's bytes at off of r, a read-back
// sink; it waits while maxLandings are unchecked.
func (c *landedChecks) begin(l *landing, r io.ReaderAt, off int64, release func()) error {
	select {
	case c.slots <- struct{}{}:
	case <-c.running.Done():
		release()
		return c.running.Err()
	}
	l.mu.Lock()
	l.r, l.off, l.release, l.begun = r, off, release, true
	l.mu.Unlock()
	c.mu.Lock()
	c.pending = append(c.pending, l)
	c.begun++
	c.ready.Signal()
	c.mu.Unlock()
	return nil
}

// drop releases what the sink lent for reading back, once, whoever is
// first: the hasher done with it, or a plan that stopped.
func (l *landing) drop() {
	l.mu.Lock()
	release := l.release
	l.mu.Unlock()
	if release != nil {
		l.dropped.Do(release)
	}
}

// landed says n more bytes are in place.
func (l *landing) landed(n int64) {
	l.mu.Lock()
	l.n += n
	l.moved.Broadcast()
	l.mu.Unlock()
}

// end says the writer is done with the entry.
func (l *landing) end() {
	l.mu.Lock()
	l.ended, l.begun = true, true
	l.moved.Broadcast()
	l.mu.Unlock()
}

// wait returns how many bytes have landed once more than have are there,
// the writer ended, or the plan stopped.
func (l *landing) wait(have int64) (n int64, ended bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.n <= have && !l.ended && !l.stopped {
		l.moved.Wait()
	}
	if l.stopped && !l.ended {
		return l.n, false, context.Canceled
	}
	return l.n, l.ended, nil
}

// readBack hashes a landing's bytes as they land, following the writer.
func (c *landedChecks) readBack(l *landing, buf []byte) error {
	sum := newContentSum(l.a, l.b, c.h)
	for have := int64(0); ; {
		n, ended, err := l.wait(have)
		if err != nil {
			return err
		}
		if n > have {
			if err := c.feed(sum, l.r, l.off+have, n-have, buf); err != nil {
				return l.a.errorf(l.b.Path, "reading back what was written: %v", err)
			}
			c.meter.add(l.b, n-have, false)
			have = n
		}
		if ended {
			break
		}
	}
	got, err := sum.check("")
	l.got = got
	return changedWhileRead(l.b, err)
}

// changedWhileRead says so of a blob that verified once and not again.
func changedWhileRead(b *Blob, err error) error {
	if err != nil && b.verified {
		return fmt.Errorf("%w (it changed while it was read)", err)
	}
	return err
}

// feed writes n bytes of r from off into w (a hash), read through buf: on
// the machines measured, a read into a buffer the cache holds costs half
// the CPU of hashing the page cache through mapped windows.
func (c *landedChecks) feed(w io.Writer, r io.ReaderAt, off, n int64, buf []byte) error {
	k, err := io.CopyBuffer(w, io.NewSectionReader(r, off, n), buf)
	if err == nil && k < n {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// copyPiece bounds one range handed to a read-back sink, so the hashers
// follow the writer closely through a large blob.
const copyPiece = 16 << 20

// alwaysPipelined has every placed landing pipelined, for the tests.
var alwaysPipelined = false

// pipeBuffers is how many buffers a pipelined landing goes through: its
// hasher's and those it borrows from placeBuffers.
const pipeBuffers = 4

// copyLanded copies n bytes of r from off into a read-back sink, a piece
// at a time, each piece read back and hashed behind the writer.
func (c *landedChecks) copyLanded(l *landing, s ReadBackSink, r io.ReaderAt, off, n int64) error {
	out, at, release := s.ReadBack()
	if err := c.begin(l, out, at, release); err != nil {
		return err
	}
	defer l.end()
	for k := int64(0); k < n; {
		if err := c.failed(); err != nil {
			return err
		}
		step := min(n-k, copyPiece)
		if err := s.CopyRange(r, off+k, step); err != nil {
			return err
		}
		l.landed(step)
		k += step
	}
	return nil
}
