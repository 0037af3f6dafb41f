package cli

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
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

// progressMu serialises the sinks' progress calls: placed writes report
// from the plan's hashers, several at once.
var progressMu sync.Mutex

func (s *fileSink) count(n int64) {
	progressMu.Lock()
	s.progress(n)
	progressMu.Unlock()
}

// tempSink writes a temporary file only retar holds; the plan's hashers
// write the blobs they hash to their places in it, on every core
// (convert.PlacedSink).
type tempSink struct {
	fileSink
	// release, if set, closes the file once the plan has written what it
	// placed in it; lent says the plan took that on.
	release func()
	lent    bool
}

// Place sets the file's next n bytes aside for the plan's hashers, which
// write each blob they hash to its place, several at once.
func (s *tempSink) Place(n int64) (io.WriterAt, int64, func(), error) {
	if _, err := s.f.Seek(n, io.SeekCurrent); err != nil {
		return nil, 0, nil, err
	}
	at := s.at
	s.at += n
	release := func() {}
	if s.release != nil {
		release, s.lent = s.release, true
	}
	return placed{s}, at, release, nil
}

// placed writes the ranges Place set aside: positioned writes only, which
// may run in several goroutines at once, and beside Write.
type placed struct{ s *tempSink }

func (p placed) WriteAt(b []byte, at int64) (int, error) {
	if err := p.s.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := p.s.f.WriteAt(b, at)
	p.s.count(int64(n))
	return n, err
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
// removed when the conversion ends however it ends. For a layout directory
// DST they go beside it instead (dir, prefix), where writing the layout
// links each into place: a re-encoded layer is written once.
type tempSpills struct {
	mu          sync.Mutex
	files       []*os.File
	dir, prefix string
}

// layerSpills are the spills of a conversion into dst, of layout to:
// beside it when it is a layout directory.
func layerSpills(to convert.Layout, dst string) *tempSpills {
	t := &tempSpills{}
	if !to.IsArchive() {
		t.beside(dst)
	}
	return t
}

// beside puts the spills beside the layout directory dst, as its own
// temporary files are (clearStale removes those a killed retar left).
func (t *tempSpills) beside(dst string) {
	t.dir, t.prefix = filepath.Dir(filepath.Clean(dst)), tempPrefix(dst)
}

func (t *tempSpills) new() (convert.Spill, error) {
	pattern := "retar-layer-*"
	if t.dir != "" {
		pattern = t.prefix + "layer-*.tmp"
	}
	f, err := os.CreateTemp(t.dir, pattern)
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
