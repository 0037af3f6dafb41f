package cli

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/retar-dev/retar/convert"
)

// source is an opened input and what to release when done.
type source struct {
	in      convert.Input
	closers []func()
}

func (s *source) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

// openSource opens a path as an archive or a directory layout. A compressed
// archive is decompressed once into a temporary file in TMPDIR, removed on
// Close, so the core gets random access with flat memory.
func openSource(r Ref) (*source, error) {
	s := &source{in: convert.Input{Name: r.Path, Layout: r.Layout}}
	fi, err := os.Stat(r.Path)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		root, err := os.OpenRoot(r.Path) // confines symlinks to the layout
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, func() { root.Close() })
		s.in.Dir = root.FS()
		return s, nil
	}
	f, err := os.Open(r.Path)
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, func() { f.Close() })
	s.in.Archive, s.in.Size = f, fi.Size()
	if kind := convert.SniffArchive(f); kind != "" {
		tmp, err := decompress(f, kind, r.Path)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.closers = append(s.closers, func() { tmp.Close(); os.Remove(tmp.Name()) })
		tfi, err := tmp.Stat()
		if err != nil {
			s.Close()
			return nil, err
		}
		s.in.Archive, s.in.Size, s.in.Compression = tmp, tfi.Size(), kind
	}
	return s, nil
}

// maxDecompressed bounds a compressed archive's expansion, against bombs.
const maxDecompressed = 1 << 40

func decompress(f *os.File, kind, name string) (*os.File, error) {
	tmp, err := os.CreateTemp("", "retar-input-*.tar")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*os.File, error) {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("%s: %s-compressed archive: %w", name, kind, err)
	}
	src := io.NewSectionReader(f, 0, 1<<62)
	if kind == "xz" { // no xz decoder in Go's standard library or retar's dependencies
		if _, err := exec.LookPath("xz"); err != nil {
			return fail(errors.New("needs the xz command to decompress; install xz-utils or run xz -d first"))
		}
		cmd := exec.Command("xz", "-dc")
		cmd.Stdin, cmd.Stdout = src, tmp
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return fail(fmt.Errorf("xz: %v %s", err, strings.TrimSpace(stderr.String())))
		}
		return tmp, nil
	}
	r, err := convert.Decompressor(kind, src)
	if err != nil {
		return fail(err)
	}
	defer r.Close()
	n, err := io.Copy(tmp, io.LimitReader(r, maxDecompressed+1))
	if err != nil {
		return fail(err)
	}
	if n > maxDecompressed {
		return fail(errors.New("expands past 1 TiB"))
	}
	return tmp, nil
}

// fileSink writes to a file; ranges of other files are copied by the kernel
// (copy_file_range through (*os.File).ReadFrom) without passing through Go.
type fileSink struct {
	ctx      context.Context // an interrupt stops the write; the caller removes the temp file
	f        *os.File
	progress func(int64)
}

func (s *fileSink) Write(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := s.f.Write(p)
	s.progress(int64(n))
	return n, err
}

func (s *fileSink) CopyRange(r io.ReaderAt, off, n int64) error {
	if err := s.ctx.Err(); err != nil {
		return err
	}
	var c int64
	var err error
	if src, ok := r.(*os.File); ok {
		// The write pass is sequential and hashing is over, so moving the
		// source's offset races with nothing.
		if _, err = src.Seek(off, io.SeekStart); err == nil {
			c, err = s.f.ReadFrom(io.LimitReader(src, n))
		}
	} else {
		c, err = io.Copy(s.f, io.NewSectionReader(r, off, n))
	}
	s.progress(c)
	if err == nil && c != n {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// writeArchive writes the plan to a temporary file beside dst and renames it
// into place; on any failure nothing is left at dst.
func writeArchive(ctx context.Context, p *convert.Plan, dst string, progress func(int64)) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".retar-*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = p.WriteTar(&fileSink{ctx: ctx, f: tmp, progress: progress}); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// writeDir writes the plan into a temporary directory beside dst and swaps it
// into place. An existing dst is replaced only when it is empty or a layout
// of the same kind, so a mistyped path cannot wipe a directory.
func writeDir(ctx context.Context, p *convert.Plan, dst string, progress func(int64)) (err error) {
	if err := replaceable(dst, p.Layout); err != nil {
		return err
	}
	parent := filepath.Dir(filepath.Clean(dst))
	tmp, err := os.MkdirTemp(parent, ".retar-*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err = os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	for i := range p.Entries {
		e := &p.Entries[i]
		target := filepath.Join(tmp, filepath.FromSlash(e.Name))
		switch e.Type {
		case tar.TypeDir:
			err = os.MkdirAll(target, 0o755)
		case tar.TypeSymlink:
			err = os.Symlink(e.Linkname, target)
		default:
			err = writeFile(ctx, p, e, target, progress)
		}
		if err != nil {
			return err
		}
	}
	old := ""
	if _, statErr := os.Lstat(dst); statErr == nil {
		old = tmp + ".old"
		if err = os.Rename(dst, old); err != nil {
			return err
		}
	}
	if err = os.Rename(tmp, dst); err != nil {
		if old != "" {
			os.Rename(old, dst)
		}
		return err
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}

func writeFile(ctx context.Context, p *convert.Plan, e *convert.Entry, target string, progress func(int64)) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if err := p.WriteContent(e, &fileSink{ctx: ctx, f: f, progress: progress}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func replaceable(dst string, l convert.Layout) error {
	fi, err := os.Lstat(dst)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s exists and is not a directory; a %s: layout is a directory", dst, l)
	}
	ents, err := os.ReadDir(dst)
	if err != nil {
		return err
	}
	if len(ents) == 0 {
		return nil
	}
	marker := "index.json"
	if l == convert.Dir {
		marker = "manifest.json"
	}
	if _, err := os.Stat(filepath.Join(dst, marker)); err != nil {
		return fmt.Errorf("%s exists, is not empty and holds no %s: refusing to replace it with a %s: layout", dst, marker, l)
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
	t.mu.Lock()
	t.files = append(t.files, f)
	t.mu.Unlock()
	return &fileSpill{f: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

func (t *tempSpills) remove() {
	for _, f := range t.files {
		f.Close()
		os.Remove(f.Name())
	}
}

// fileSpill buffers writes: encoders write in small pieces.
type fileSpill struct {
	f *os.File
	w *bufio.Writer
}

func (s *fileSpill) Write(p []byte) (int, error) { return s.w.Write(p) }
func (s *fileSpill) Done() (io.ReaderAt, error)  { return s.f, s.w.Flush() }
