package cli

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strings"

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
	s.closers = nil
}

// openSource opens a SRC: a directory layout, an archive file, or a stream
// (standard input as "-", a pipe, a FIFO). A stream, or a compressed archive,
// is written once into a temporary file in TMPDIR (decompressed, within the
// expansion limits), removed on Close, so the core gets random access with
// flat memory. Devices and sockets are refused: they are not archives.
func openSource(ctx context.Context, r Ref, stdin io.Reader, lim convert.Limits) (*source, error) {
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
		return nil, err
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
	f, err := os.Open(r.Path)
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, func() { f.Close() })
	s.in.Archive, s.in.Size = f, fi.Size()
	if kind := convert.SniffArchive(f); kind != "" {
		tmp, err := decompress(ctx, io.NewSectionReader(f, 0, fi.Size()), fi.Size(), kind, r.Path, lim)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.adopt(tmp, kind)
	}
	return s, nil
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
	br := bufio.NewReaderSize(ctxReader{ctx, r}, 1<<20)
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

// decompress writes r (size bytes, -1 if unknown), compressed as kind ("" for
// none), into a temporary file in TMPDIR, within the expansion limits, and
// returns it open. On any failure nothing is left.
func decompress(ctx context.Context, r io.Reader, size int64, kind, name string, lim convert.Limits) (*os.File, error) {
	tmp, err := os.CreateTemp("", "retar-input-*.tar")
	if err != nil {
		return nil, err
	}
	registerTemp(tmp.Name())
	fail := func(err error) (*os.File, error) {
		tmp.Close()
		removeTemp(tmp.Name())
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var le *convert.LimitError
		if errors.As(err, &le) {
			return nil, fmt.Errorf("%s: %s%.0w", name, le.Reason, convert.ErrLimit)
		}
		what := "copying it to TMPDIR: "
		if kind != "" {
			what = kind + "-compressed archive: "
		} else if errors.Is(err, errNotTarHead) {
			what = ""
		}
		return nil, fmt.Errorf("%s: %s%w", name, what, err)
	}
	r = ctxReader{ctx, r}
	w := io.Writer(tmp)
	switch kind {
	case "":
		r, err = convert.Decompress("none", r, size, lim, name)
		// A plain stream is not decompressed, but a pipe that never ends
		// must not fill the disk: it is held to the absolute limit.
		w = &capWriter{w: tmp, max: limOrDefault(lim).MaxExpanded}
	case "xz": // no xz decoder in Go's standard library or retar's dependencies
		if _, err := exec.LookPath("xz"); err != nil {
			return fail(errors.New("needs the xz command to decompress; install xz-utils or run xz -d first"))
		}
		cmd := exec.CommandContext(ctx, "xz", "-dc")
		cmd.Stdin = r
		cw := &capWriter{w: tmp, max: limOrDefault(lim).MaxExpanded, ratio: limOrDefault(lim).MaxExpansion, in: size}
		cmd.Stdout = cw
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			if cw.err != nil {
				return fail(cw.err)
			}
			return fail(fmt.Errorf("xz: %v %s", err, strings.TrimSpace(stderr.String())))
		}
		return tmp, nil
	default:
		r, err = convert.Decompress(kind, r, size, lim, name)
	}
	if err != nil {
		return fail(err)
	}
	if c, ok := r.(io.Closer); ok {
		defer c.Close()
	}
	// What comes out must start as a tar does: a stream of zeros or of
	// anything else is refused before it fills TMPDIR.
	br := bufio.NewReaderSize(r, 1<<20)
	if err := tarHead(br); err != nil {
		return fail(err)
	}
	if _, err := io.CopyBuffer(w, br, make([]byte, 1<<20)); err != nil {
		return fail(err)
	}
	if cw, ok := w.(*capWriter); ok && cw.err != nil {
		return fail(cw.err)
	}
	return tmp, nil
}

var errNotTarHead = errors.New("not a tar archive")

// tarHead checks that r starts with a tar header, without consuming it.
func tarHead(r *bufio.Reader) error {
	head, err := r.Peek(512)
	if len(head) < 512 {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("%w: %v", errNotTarHead, err)
	}
	if _, err := tar.NewReader(bytes.NewReader(head)).Next(); err != nil {
		if err == io.EOF {
			return fmt.Errorf("%w: it starts with an empty block", errNotTarHead)
		}
		return fmt.Errorf("%w (%v)", errNotTarHead, err)
	}
	return nil
}

func limOrDefault(l convert.Limits) convert.Limits {
	if l.MaxExpansion == 0 {
		l.MaxExpansion = convert.DefaultLimits.MaxExpansion
	}
	if l.MaxExpanded == 0 {
		l.MaxExpanded = convert.DefaultLimits.MaxExpanded
	}
	return l
}

// capWriter holds what a command or a stream writes to the limits: an
// absolute size, and for a compressed input of known size a ratio to it.
type capWriter struct {
	w     io.Writer
	max   int64 // bytes; ≤ 0 lifts it
	ratio int64 // times in; ≤ 0 lifts it
	in    int64 // compressed size; ≤ 0 when not known
	n     int64
	err   error
}

func (c *capWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	switch {
	case c.max > 0 && c.n > c.max:
		c.err = &convert.LimitError{Reason: fmt.Sprintf("expands past %d MiB, the limit on expanded size (--max-expanded)", c.max>>20)}
	case c.ratio > 0 && c.in > 0 && c.n > convert.ExpansionFloor && c.n/c.in >= c.ratio:
		c.err = &convert.LimitError{Reason: fmt.Sprintf("expands past %d times its compressed size (--max-expansion)", c.ratio)}
	}
	if c.err != nil {
		return 0, c.err
	}
	return c.w.Write(p)
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
