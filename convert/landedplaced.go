package convert

// Into a placed sink: each blob read into a buffer, hashed, and that same
// buffer written at the blob's place in the output, by the hashers, the
// largest blob first; a blob still hashed when a core would idle is read
// ahead and written behind by goroutines of its own.

import (
	"context"
	"io"
	"sync"
)

// place sets n bytes of s aside for blob copy l, n bytes of r from off,
// which a hasher reads, hashes and writes there while the writer goes on.
// closeSrc is called once the hasher is done with r (or the plan stopped).
func (c *landedChecks) place(l *landing, s PlacedSink, r io.ReaderAt, off, n int64, closeSrc func()) error {
	w, at, release, err := s.Place(n)
	if err != nil {
		closeSrc()
		return err
	}
	l.place, l.src, l.srcOff, l.size = w, r, off, n
	if err := c.begin(l, nil, at, func() { release(); closeSrc() }); err != nil {
		return err
	}
	l.end()
	return nil
}

// placeBack reads a placed landing's bytes a buffer at a time, hashes the
// buffer and writes it to its place: the bytes written are the bytes
// hashed. Once a core would idle (see helped), the rest is read and
// written by goroutines of their own while this one hashes.
func (c *landedChecks) placeBack(l *landing, buf []byte) error {
	sum := newContentSum(l.a, l.b, c.h)
	for k := int64(0); k < l.size; {
		if c.helped() {
			if err := c.pipelined(l, sum, k, buf); err != nil {
				return err
			}
			break
		}
		p := buf[:min(l.size-k, int64(len(buf)))]
		if n, err := l.src.ReadAt(p, l.srcOff+k); n < len(p) {
			return l.a.readError(l.b, shortRead(err))
		}
		sum.Write(p) //nolint:errcheck // hashes never fail
		if err := c.writePlaced(l, p, k); err != nil {
			return err
		}
		c.meter.add(l.b, int64(len(p)), false)
		k += int64(len(p))
		if err := c.running.Err(); err != nil {
			return err
		}
	}
	got, err := sum.check("")
	l.got = got
	return changedWhileRead(l.b, err)
}

// helped says whether a hasher is idle with no landing left to take: one
// blob's SHA-256 runs on one core, but the reading and writing around it
// can go to another, so that a large blob hashed last, or alone, does not
// leave the other cores idle.
func (c *landedChecks) helped() bool {
	if alwaysPipelined {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.idle > 0 && len(c.pending) == 0 && c.begun == len(c.order)
}

func shortRead(err error) error {
	if err == nil {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (c *landedChecks) writePlaced(l *landing, p []byte, k int64) error {
	if _, err := l.place.WriteAt(p, l.off+k); err != nil {
		if c.running.Err() != nil {
			return context.Canceled // the file was released under it
		}
		return copyFailed(l.b, err)
	}
	return nil
}

var placeBuffers = sync.Pool{New: func() any { b := make([]byte, copyBuffer); return &b }}

// placedPiece is a buffer of a pipelined landing: the bytes at k, or the
// read's failure.
type placedPiece struct {
	p   []byte
	k   int64
	err error
}

// pipeBuffersWith gives pipeBuffers buffers, buf and others borrowed from
// placeBuffers, and the func that gives the borrowed back.
func pipeBuffersWith(buf []byte) (chan []byte, func()) {
	var borrowed []*[]byte
	free := make(chan []byte, pipeBuffers)
	free <- buf
	for range pipeBuffers - 1 {
		b := placeBuffers.Get().(*[]byte)
		borrowed = append(borrowed, b)
		free <- *b
	}
	return free, func() {
		for _, b := range borrowed {
			placeBuffers.Put(b)
		}
	}
}

// readAhead reads l's source from k to its end into buffers taken from
// free, each sent on full (or the read's failure, which ends it), until
// stop; it closes full.
func (l *landing) readAhead(k int64, free <-chan []byte, full chan<- placedPiece, stop <-chan struct{}) {
	defer close(full)
	for at := k; at < l.size; {
		var b []byte
		select {
		case <-stop:
			return
		case b = <-free:
		}
		p := b[:min(l.size-at, int64(len(b)))]
		if n, err := l.src.ReadAt(p, l.srcOff+at); n < len(p) {
			full <- placedPiece{err: shortRead(err)}
			return
		}
		full <- placedPiece{p: p, k: at}
		at += int64(len(p))
	}
}

// pipelined reads, hashes and writes the rest of l from k on: read ahead
// by one goroutine and written behind by another, hashed by this one in
// between, each buffer hashed and then written as it is.
func (c *landedChecks) pipelined(l *landing, sum *contentSum, k int64, buf []byte) error {
	free, giveBack := pipeBuffersWith(buf)
	defer giveBack()
	// Every channel holds as many as there are buffers: no send blocks.
	full := make(chan placedPiece, pipeBuffers)
	written := make(chan placedPiece, pipeBuffers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var werr error // the writer's, read once it is done
	wg.Add(2)
	go func() {
		defer wg.Done()
		l.readAhead(k, free, full, stop)
	}()
	go func() {
		defer wg.Done()
		for w := range written {
			if werr == nil {
				if werr = c.writePlaced(l, w.p, w.k); werr != nil {
					c.fail(werr) // the hashing stops at once
				}
			}
			free <- w.p
		}
	}()
	var err error
	for r := range full {
		if r.err != nil {
			err = l.a.readError(l.b, r.err)
			break
		}
		sum.Write(r.p) //nolint:errcheck // hashes never fail
		written <- r
		c.meter.add(l.b, int64(len(r.p)), false)
		if err = c.running.Err(); err != nil {
			break
		}
	}
	close(stop)
	close(written)
	wg.Wait()
	if werr != nil {
		return werr
	}
	return err
}
