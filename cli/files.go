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
	s.progress(int64(n))
	s.at += int64(n)
	return n, err
}

// tempSink writes a temporary file only retar holds, so the plan can read
// back and verify what landed in it (convert.ReadBackSink).
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
		s.progress(c)
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
