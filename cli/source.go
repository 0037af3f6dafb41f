package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/retar-dev/retar/convert"
)

// source is an opened input and what to release when done.
type source struct {
	in      convert.Input
	closers []func()
	file    *os.File    // a regular file read in place
	opened  os.FileInfo // and what it was when opened
}

// unchanged says whether a source file read in place is still the file it
// was, of the size and modification time it had: one rewritten, replaced or
// cut while it was read is an error, even where every byte retar took from
// it verified.
func (s *source) unchanged() error {
	if s.file == nil {
		return nil
	}
	now, err := s.file.Stat()
	if err == nil && (now.Size() != s.opened.Size() || !now.ModTime().Equal(s.opened.ModTime())) {
		err = fmt.Errorf("it is now %d bytes, modified %s", now.Size(), now.ModTime().Format(time.RFC3339Nano))
	}
	if err == nil {
		if there, serr := os.Stat(s.in.Name); serr != nil || !os.SameFile(there, s.opened) {
			err = errors.New("another file took its name")
		}
	}
	if err != nil {
		return fmt.Errorf("%s changed while it was read (%v); convert it again once it is complete", s.in.Name, err)
	}
	return nil
}

func (s *source) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
}

// openSource opens a SRC: a directory layout, an archive file, or a stream
// (standard input as "-", a pipe, a FIFO). A stream, or a compressed archive,
// is written once into a temporary file in TMPDIR (decompressed, within the
// expansion limits), removed on Close, so the core gets random access with
// flat memory. Devices and sockets are refused: they are not archives.
func openSource(ctx context.Context, r imageRef, stdin io.Reader, lim convert.Limits) (*source, error) {
	s := &source{in: convert.Input{Name: r.Path, Layout: r.Layout}}
	if r.Path == "-" {
		if f, ok := stdin.(*os.File); ok && isTerminal(f) {
			return nil, fmt.Errorf("-: standard input is a terminal; pipe an archive into retar, or name a file")
		}
		s.in.Name = "standard input"
		if err := s.spill(ctx, stdin, lim); err != nil {
			s.Close()
			return nil, err
		}
		return s, nil
	}
	fi, err := os.Stat(r.Path)
	if err != nil {
		return nil, missingSource(r, err)
	}
	switch m := fi.Mode(); {
	case m.IsDir():
		root, err := os.OpenRoot(r.Path) // confines symlinks to the layout
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, func() { root.Close() })
		s.in.Dir = root.FS()
		return s, nil
	case m&fs.ModeNamedPipe != 0:
		f, err := openFIFO(r.Path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := s.spill(ctx, f, lim); err != nil {
			s.Close()
			return nil, err
		}
		return s, nil
	case !m.IsRegular():
		return nil, fmt.Errorf("%s: is %s, not an archive or a layout directory", r.Path, modeName(m))
	}
	if err := s.openFile(ctx, r.Path, fi.Size(), lim); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// openFile opens an archive file of size bytes: read in place, or, when it
// is compressed, decompressed once into a temporary file.
func (s *source) openFile(ctx context.Context, p string, size int64, lim convert.Limits) error {
	f, err := openInput(p)
	if err != nil {
		return err
	}
	s.closers = append(s.closers, func() { f.Close() })
	s.in.Archive, s.in.Size = f, size
	if s.opened, err = f.Stat(); err != nil {
		return err
	}
	s.file = f // read in place, unless decompressed (read whole) below
	if kind := convert.SniffArchive(f); kind != "" {
		tmp, err := decompress(ctx, io.NewSectionReader(f, 0, size), size, kind, p, lim)
		if err != nil {
			return err
		}
		s.adopt(tmp, kind)
		s.file = nil
	}
	return nil
}

// openOne opens a command's one SRC to look at; closeSrc releases what
// opening took (temporary decompressed copies). A stream is read once as it
// arrives, each blob hashed and kept nowhere (scanStream).
func (e *env) openOne(ctx context.Context, arg string) (a *convert.Archive, src imageRef, closeSrc func(), err error) {
	return e.openToLook(ctx, arg, false)
}

// openToLook is openOne; with deep, a stream's compressed layers are also
// decompressed as they pass, for their diff_ids (verify).
func (e *env) openToLook(ctx context.Context, arg string, deep bool) (a *convert.Archive, src imageRef, closeSrc func(), err error) {
	if src, err = parseRef(arg); err != nil {
		return nil, src, nil, err
	}
	if src.Path == "-" || isFIFO(src.Path) {
		a, err := e.scanStream(ctx, src, deep)
		if err != nil {
			return nil, src, nil, err
		}
		return a, src, func() {}, nil
	}
	s, err := openSource(ctx, src, e.stdin, e.opts.Hashing.Limits)
	if err != nil {
		return nil, src, nil, explainOpen(inputName(src), err)
	}
	if a, err = convert.Open(s.in); err != nil {
		s.Close()
		return nil, src, nil, explainOpen(inputName(src), err)
	}
	return a, src, s.Close, nil
}

// scanStream reads a stream SRC once, to its end (convert.ScanStream):
// nothing goes to TMPDIR, and memory holds its JSON only.
func (e *env) scanStream(ctx context.Context, src imageRef, deep bool) (*convert.Archive, error) {
	in, kind, err := openStream(ctx, src, e.stdin, e.opts.Hashing.Limits)
	if err != nil {
		return nil, explainOpen(inputName(src), err)
	}
	defer in.Close()
	prog := e.meter("reading")
	a, err := convert.ScanStream(ctx, convert.StreamInput{Name: inputName(src), Layout: src.Layout, Compression: kind, Tar: in},
		convert.Hashing{Deep: deep, Limits: e.opts.Hashing.Limits, Progress: prog.update})
	prog.finish(err)
	if err != nil {
		return nil, explainOpen(inputName(src), err)
	}
	return a, nil
}

// inputName is how messages name a SRC's file.
func inputName(r imageRef) string {
	if r.Path == "-" {
		return "standard input"
	}
	return r.Path
}

// adopt makes a temporary file the input, removed on Close.
func (s *source) adopt(tmp *os.File, kind string) {
	s.closers = append(s.closers, func() { tmp.Close(); removeTemp(tmp.Name()) })
	fi, _ := tmp.Stat()
	s.in.Archive, s.in.Size, s.in.Compression = tmp, fi.Size(), kind
}

// spill reads a stream into a temporary file once: decompressed if it is
// compressed, refused at once if it is neither an archive nor compressed.
func (s *source) spill(ctx context.Context, r io.Reader, lim convert.Limits) error {
	br := bufio.NewReaderSize(r, 1<<20) // Expand stops at ctx
	head, err := br.Peek(512)
	if len(head) == 0 {
		if err == nil || err == io.EOF {
			return fmt.Errorf("%s: empty input", s.in.Name)
		}
		return fmt.Errorf("%s: %w", s.in.Name, err)
	}
	kind := convert.SniffArchive(bytes.NewReader(head))
	tmp, err := decompress(ctx, br, -1, kind, s.in.Name, lim)
	if err != nil {
		return err
	}
	s.adopt(tmp, kind)
	return nil
}

// isFIFO reports whether a SRC path is a FIFO, a stream like -.
func isFIFO(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode()&fs.ModeNamedPipe != 0
}

// openStream opens a SRC that is a stream (standard input as "-", a FIFO)
// to be read once as it arrives (convert.ReadStream): decompressed as it
// comes when it is compressed, within the expansion limits, refused at once
// when it is neither a tar nor compressed. kind is its compression ("" for
// none); Close ends the decoding (an xz command) and the FIFO.
func openStream(ctx context.Context, r imageRef, stdin io.Reader, lim convert.Limits) (tar io.ReadCloser, kind string, err error) {
	name := inputName(r)
	in := stdin
	var closeIn func() error
	if r.Path == "-" {
		if f, ok := stdin.(*os.File); ok && isTerminal(f) {
			return nil, "", fmt.Errorf("-: standard input is a terminal; pipe an archive into retar, or name a file")
		}
	} else {
		f, err := openFIFO(r.Path)
		if err != nil {
			return nil, "", err
		}
		in, closeIn = f, f.Close
	}
	tar, kind, err = expandStream(ctx, in, name, lim)
	if closeIn == nil {
		return tar, kind, err
	}
	if err != nil {
		closeIn()
		return nil, "", err
	}
	return &closeBoth{ReadCloser: tar, after: closeIn}, kind, nil
}

// closeBoth closes a reader, then what it reads from.
type closeBoth struct {
	io.ReadCloser
	after func() error
}

func (c *closeBoth) Close() error {
	err := c.ReadCloser.Close()
	c.after()
	return err
}

// expandStream is a stream's tar, decoded as it arrives.
func expandStream(ctx context.Context, stream io.Reader, name string, lim convert.Limits) (tar io.ReadCloser, kind string, err error) {
	br := bufio.NewReaderSize(stream, 1<<20)
	head, err := br.Peek(512)
	if len(head) == 0 {
		if err == nil || err == io.EOF {
			return nil, "", fmt.Errorf("%s: empty input", name)
		}
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	kind = convert.SniffArchive(bytes.NewReader(head))
	xz := func(r io.Reader) (io.ReadCloser, error) { return xzReader(ctx, r) }
	tar, err = convert.ExpandReader(ctx, br, -1, kind, name, lim, map[string]convert.Decoder{"xz": xz})
	if err != nil {
		return nil, "", err
	}
	return tar, kind, nil
}

// decompress writes r (size bytes, -1 if unknown), compressed as kind ("" for
// none), into a temporary file in TMPDIR through convert.Expand (within the
// expansion limits, refused at once if it does not start as a tar), and
// returns it open. On any failure nothing is left.
func decompress(ctx context.Context, r io.Reader, size int64, kind, name string, lim convert.Limits) (*os.File, error) {
	tmp, err := os.CreateTemp("", "retar-input-*.tar")
	if err != nil {
		return nil, err
	}
	registerTemp(tmp.Name())
	xz := func(r io.Reader) (io.ReadCloser, error) { return xzReader(ctx, r) }
	if _, err := convert.Expand(ctx, &tempWriter{f: tmp}, r, size, kind, name, lim, map[string]convert.Decoder{"xz": xz}); err != nil {
		tmp.Close()
		removeTemp(tmp.Name())
		return nil, err
	}
	return tmp, nil
}

// tempWriter says where a failed write was going: a full TMPDIR in the
// user's terms, with how much went in and what to do.
type tempWriter struct {
	f       *os.File
	written int64
}

func (t *tempWriter) Write(p []byte) (int, error) {
	n, err := t.f.Write(p)
	t.written += int64(n)
	switch {
	case errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT):
		err = fmt.Errorf("TMPDIR (%s) is full after %d MB of it: retar needs the whole archive there, uncompressed; set TMPDIR to a place with room%.0w",
			filepath.Dir(t.f.Name()), t.written>>20, err)
	case err != nil:
		err = fmt.Errorf("copying it to TMPDIR: %w", err)
	}
	return n, err
}

// xzReader decompresses with the xz command: no xz decoder is in Go's
// standard library or retar's dependencies. Close waits for it and reports
// how it ended.
func xzReader(ctx context.Context, r io.Reader) (io.ReadCloser, error) {
	if _, err := exec.LookPath("xz"); err != nil {
		return nil, errors.New("needs the xz command to decompress; install xz-utils or run xz -d first")
	}
	cmd := exec.CommandContext(ctx, "xz", "-dc")
	cmd.Stdin = r
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &cmdReader{ReadCloser: out, cmd: cmd, stderr: &stderr}, nil
}

type cmdReader struct {
	io.ReadCloser
	cmd    *exec.Cmd
	stderr *strings.Builder
}

func (c *cmdReader) Close() error {
	c.ReadCloser.Close()
	if err := c.cmd.Wait(); err != nil {
		return fmt.Errorf("xz: %v %s", err, strings.TrimSpace(c.stderr.String()))
	}
	return nil
}

// modeName says what a non-regular file is, for messages.
func modeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	}
	return "not a regular file"
}
