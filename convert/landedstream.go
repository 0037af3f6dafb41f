package convert

// Into a sink that cannot be read back (standard output, a FIFO): each
// blob read once, hashed and written from the same buffers, its last byte
// held back until its digest checks, so that a mismatch cuts the stream
// short of a whole archive.

import (
	"fmt"
	"io"
)

// streamed copies a blob into a sink that cannot be read back: read once
// into memory and hashed (one goroutine) and written from the same buffers
// (this one), the last byte held back until the digest is checked. On a
// mismatch the sink holds a blob cut short, which no tar reader takes for a
// whole archive.
func (c *landedChecks) streamed(l *landing, s Sink, src io.Reader, name string) (err error) {
	l.end() // nothing to read back
	defer func() { c.finish(l, err) }()
	sum := newContentSum(l.a, l.b, c.h)
	bufs := streamBuffers{free: make(chan []byte, 3), full: make(chan []byte, 3)}
	for range 3 {
		bufs.free <- make([]byte, copyBuffer)
	}
	readErr := make(chan error, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() { readErr <- c.readAhead(l, src, sum, bufs, stop) }()
	last, err := c.writeHeld(l, s, bufs)
	if err != nil {
		return err
	}
	if err := <-readErr; err != nil {
		return err
	}
	got, err := sum.check("")
	l.got = got
	if err = changedWhileRead(l.b, err); err == nil && c.lastly != nil && l == c.order[len(c.order)-1] {
		err = c.lastly()
	}
	if err != nil {
		return &CutShortError{Entry: name, Err: err}
	}
	_, err = s.Write(last)
	return err
}

// streamBuffers are the buffers a streamed blob goes through, as many as
// either channel holds: read into a free one, written from a full one,
// then free again.
type streamBuffers struct{ free, full chan []byte }

// readAhead reads a streamed blob into the buffers, hashing it on the way,
// until it is read or stop closes; whatever follows the blob's bytes counts
// against it.
func (c *landedChecks) readAhead(l *landing, src io.Reader, sum *contentSum, bufs streamBuffers, stop <-chan struct{}) error {
	defer close(bufs.full)
	for left := l.b.Size; left > 0; {
		var buf []byte
		select {
		case buf = <-bufs.free:
		case <-stop:
			return nil
		}
		k, err := io.ReadFull(src, buf[:min(int64(len(buf)), left)])
		sum.Write(buf[:k]) //nolint:errcheck // hashes never fail
		c.meter.add(l.b, int64(k), false)
		bufs.full <- buf[:k]
		if err != nil {
			return l.a.readError(l.b, err)
		}
		left -= int64(k)
	}
	if extra, _ := src.Read(make([]byte, 1)); extra > 0 {
		sum.Write([]byte{0}) //nolint:errcheck // counted: more than the blob
	}
	return nil
}

// writeHeld writes what readAhead read into s, all but the blob's last
// byte, which it returns to be written once the blob is checked.
func (c *landedChecks) writeHeld(l *landing, s Sink, bufs streamBuffers) (last []byte, err error) {
	var written int64
	for buf := range bufs.full {
		if written+int64(len(buf)) == l.b.Size && len(buf) > 0 {
			last, buf = buf[len(buf)-1:], buf[:len(buf)-1]
		}
		if _, err := s.Write(buf); err != nil {
			return nil, err
		}
		written += int64(len(buf))
		if last == nil {
			bufs.free <- buf[:cap(buf)]
		}
		if err := c.failed(); err != nil {
			return nil, err
		}
	}
	return last, nil
}

// CutShortError is a check that failed while its blob was streamed: the
// stream stops inside Entry, one byte short, with no end-of-archive marker
// after it, so whoever reads it gets an incomplete archive.
type CutShortError struct {
	Entry string
	Err   error
}

func (e *CutShortError) Error() string {
	return fmt.Sprintf("%v; the output stops inside %s, so its reader got an incomplete archive", e.Err, printable(e.Entry))
}

func (e *CutShortError) Unwrap() error { return e.Err }
