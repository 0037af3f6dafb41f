package convert

import (
	"context"
	"hash"
	"io"
)

// passer moves a stream's entries through a few fixed buffers: each read
// once, hashed as it is read (one goroutine) and written from the same
// buffers (the caller's), so hashing and writing overlap and memory stays
// flat whatever the entries' sizes.
type passer struct {
	free     chan []byte
	progress func(int64) // bytes read; may be nil
}

// passBuffers is how many buffers of copyBuffer bytes a stream moves
// through at once.
const passBuffers = 4

func newPasser(progress func(int64)) *passer {
	p := &passer{free: make(chan []byte, passBuffers), progress: progress}
	for range passBuffers {
		p.free <- make([]byte, copyBuffer)
	}
	return p
}

// pass reads n bytes, head and then r, into h and writes them to w (nil:
// nowhere). With holdLast, the last byte is not written but returned, to be
// written once the caller has checked the digest: a stream stopped on a
// mismatch ends inside the entry.
func (p *passer) pass(ctx context.Context, head []byte, r io.Reader, n int64, h hash.Hash, w io.Writer, holdLast bool) (last []byte, err error) {
	full := make(chan []byte, passBuffers)
	readErr := make(chan error, 1)
	stop := make(chan struct{})
	go func() {
		defer close(full)
		readErr <- safely(func() error { return p.readInto(ctx, head, r, n, h, full, stop) })
	}()
	var written int64
	var werr error
	for buf := range full {
		k := len(buf)
		out := buf
		if holdLast && k > 0 && written+int64(k) == n {
			last, out = []byte{buf[k-1]}, buf[:k-1]
		}
		if werr == nil && w != nil && len(out) > 0 {
			if _, werr = w.Write(out); werr != nil {
				close(stop) // the reader stops at its next buffer; the rest drain here
			}
		}
		written += int64(k)
		p.free <- buf[:cap(buf)]
	}
	rerr := <-readErr
	switch {
	case werr != nil:
		return nil, werr
	case rerr != nil:
		return nil, rerr
	}
	return last, nil
}

// readInto is pass's reader: buffers from free, filled, hashed, sent on
// full, until n bytes are read or stop closes.
func (p *passer) readInto(ctx context.Context, head []byte, r io.Reader, n int64, h hash.Hash, full chan<- []byte, stop <-chan struct{}) error {
	for left := n; left > 0; {
		var buf []byte
		select {
		case buf = <-p.free:
		case <-stop:
			return nil
		}
		if err := ctx.Err(); err != nil {
			p.free <- buf
			return err
		}
		want := int(min(int64(len(buf)), left))
		k := copy(buf[:want], head)
		head = head[k:]
		var err error
		if k < want {
			var m int
			m, err = io.ReadFull(r, buf[k:want])
			k += m
		}
		h.Write(buf[:k]) //nolint:errcheck // hashes never fail
		if p.progress != nil {
			p.progress(int64(k))
		}
		full <- buf[:k]
		left -= int64(k)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}
