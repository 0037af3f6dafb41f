package cli

import (
	"bufio"
	"context"
	"io"
	"os"
	"sync"

	"github.com/retar-dev/retar/convert"
)

// fileSink writes to a file; ranges of other files are copied by the kernel
// (copy_file_range through (*os.File).ReadFrom) without passing through Go.
type fileSink struct {
	ctx      context.Context // an interrupt stops the write; the caller removes the temp file
	f        *os.File
	progress func(int64)
	at       int64 // bytes written so far
}

func (s *fileSink) Write(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := s.f.Write(p)
	s.count(int64(n))
	s.at += int64(n)
	return n, err
}

// progressMu serialises the sinks' progress calls: a placed copy reports
// from whichever of the plan's hashers makes it, several at once.
var progressMu sync.Mutex

func (s *fileSink) count(n int64) {
	progressMu.Lock()
	s.progress(n)
	progressMu.Unlock()
}

// tempSink writes a temporary file only retar holds, so the plan can read
// back and verify what landed in it, and have the blobs it copies copied in
// at their places by its hashers, on every core (convert.PlacedSink).
type tempSink struct {
	fileSink
	// release, if set, closes the file once the plan has read back what
	// it copies into it; lent says the plan took that on.
	release func()
	lent    bool
}

func (s *tempSink) ReadBack() (io.ReaderAt, int64, func()) {
	release := func() {}
	if s.release != nil {
		release, s.lent = s.release, true
	}
	return s.f, s.at, release
}

// Skip leaves the file's next n bytes to CopyRangeAt.
func (s *tempSink) Skip(n int64) error {
	if _, err := s.f.Seek(n, io.SeekCurrent); err != nil {
		return err
	}
	s.at += n
	return nil
}

// CopyRangeAt copies n bytes of r from off to the file's byte at, with
// positioned reads and writes only: it may run in several goroutines at
// once, and beside Write.
func (s *tempSink) CopyRangeAt(r io.ReaderAt, off, n, at int64) error {
	for n > 0 {
		if err := s.ctx.Err(); err != nil {
			return err
		}
		step := min(n, copyChunk)
		c, err := copyAt(s.f, at, r, off, step)
		s.count(c)
		if err == nil && c != step {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return err
		}
		off, at, n = off+step, at+step, n-step
	}
	return nil
}

// copyAt copies n bytes of r from off to f at at: in the kernel where it
// can, else through a buffer.
func copyAt(f *os.File, at int64, r io.ReaderAt, off, n int64) (int64, error) {
	if src, ok := r.(*os.File); ok {
		if c, handled, err := kernelCopyAt(f, at, src, off, n); handled {
			return c, err
		}
	}
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	return io.CopyBuffer(io.NewOffsetWriter(f, at), io.NewSectionReader(r, off, n), *buf)
}

// copyBuffers are the buffers of copies through memory, a few at a time.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// copyChunk bounds one kernel copy, so an interrupt is seen between chunks
// of a large layer.
const copyChunk = 64 << 20

func (s *fileSink) CopyRange(r io.ReaderAt, off, n int64) error {
	for n > 0 {
		if err := s.ctx.Err(); err != nil {
			return err
		}
		step := min(n, copyChunk)
		var c int64
		var err error
		if src, ok := r.(*os.File); ok {
			// The write pass is sequential and hashers read with pread
			// (ReadAt), so moving the source's offset races with nothing.
			if _, err = src.Seek(off, io.SeekStart); err == nil {
				c, err = s.f.ReadFrom(io.LimitReader(src, step))
			}
		} else {
			c, err = io.Copy(s.f, io.NewSectionReader(r, off, step))
		}
		s.count(c)
		s.at += c
		if err == nil && c != step {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return err
		}
		off, n = off+step, n-step
	}
	return nil
}

// tempSpills are the temporary files re-encoded layers go to, in TMPDIR,
// removed when the conversion ends however it ends.
type tempSpills struct {
	mu    sync.Mutex
	files []*os.File
}

func (t *tempSpills) new() (convert.Spill, error) {
	f, err := os.CreateTemp("", "retar-layer-*")
	if err != nil {
		return nil, err
	}
	registerTemp(f.Name())
	t.mu.Lock()
	t.files = append(t.files, f)
	t.mu.Unlock()
	return &fileSpill{f: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

func (t *tempSpills) remove() {
	for _, f := range t.files {
		f.Close()
		removeTemp(f.Name())
	}
}

// fileSpill buffers writes: encoders write in small pieces.
type fileSpill struct {
	f *os.File
	w *bufio.Writer
}

func (s *fileSpill) Write(p []byte) (int, error) { return s.w.Write(p) }
func (s *fileSpill) Done() (io.ReaderAt, error)  { return s.f, s.w.Flush() }
