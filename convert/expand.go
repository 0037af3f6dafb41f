package convert

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
)

// A Decoder decompresses a whole archive of a kind the core has no decoder
// for (the CLI runs the xz command for "xz"). Its Close reports how the
// decoding ended. Expand holds what it gives to the limits, as it does
// the core's own decoders.
type Decoder func(r io.Reader) (io.ReadCloser, error)

// Expand writes the archive r to w as the tar it holds, decompressed once,
// the way both front ends give a compressed archive (or a stream) the
// random access Open needs. size is r's compressed size, or -1 when it is
// not known (a pipe). kind is r's compression as SniffArchive names it
// ("gzip", "zstd", "bzip2", "xz"), "" for none; gzip, zstd and bzip2 are
// decoded here, other kinds by decoders[kind] when given. name names the
// archive in errors.
//
// The output is held to lim (its zero fields at DefaultLimits, as
// Decompress does) whichever decoder makes it, and a zstd frame's window to
// what retar decodes. What does not start with a tar header once
// decompressed (a stream of zeros, a text) is refused before anything is
// written to w. Expand returns the bytes written to w.
//
// Errors are one line that starts with name: a *LimitError for a limit
// (errors.Is ErrLimit), one that wraps ErrNotTar for what is not a tar, and
// "name: gzip-compressed archive: ..." for what does not decompress. An
// error of w's is returned as w words it, after name, with nothing said of
// compression: it is not the archive's fault. When ctx is done, ctx.Err().
func Expand(ctx context.Context, w io.Writer, r io.Reader, size int64, kind, name string, lim Limits, decoders map[string]Decoder) (int64, error) {
	n, err := expand(ctx, w, r, size, kind, name, lim.Effective(), decoders)
	if err != nil {
		return n, expandError(ctx, name, kind, err)
	}
	return n, nil
}

func expand(ctx context.Context, w io.Writer, r io.Reader, size int64, kind, name string, lim Limits, decoders map[string]Decoder) (int64, error) {
	br, dec, err := expandReader(ctx, r, size, kind, name, lim, decoders)
	if err != nil {
		return 0, err
	}
	ew := &errWriter{w: w}
	n, err := io.CopyBuffer(ew, br, make([]byte, 1<<20))
	if cerr := dec.Close(); err == nil {
		err = cerr
	}
	if ew.err != nil {
		return n, writeError{ew.err}
	}
	return n, err
}

// expandReader is r decoded as kind, within lim, once its first bytes are
// a tar header; dec is the decoder, for its Close.
func expandReader(ctx context.Context, r io.Reader, size int64, kind, name string, lim Limits, decoders map[string]Decoder) (*bufio.Reader, io.ReadCloser, error) {
	in := &countReader{r: ctxReader{ctx, r}}
	var dec io.ReadCloser
	switch d := decoders[kind]; {
	case d != nil:
		raw, err := d(in)
		if err != nil {
			return nil, nil, err
		}
		dec = &limitReader{dec: raw, in: in, compressed: size, lim: lim, what: name, kind: kind}
	case kind == "" || kind == "none":
		// A plain stream is as large as it is: only its size is held.
		lim.MaxExpansion = -1
		dec = &limitReader{dec: io.NopCloser(in), in: in, compressed: size, lim: lim, what: name}
	case kind == "gzip" || kind == "zstd" || kind == "bzip2":
		var err error
		if dec, err = Decompress(kind, in, size, lim, name); err != nil {
			return nil, nil, err
		}
	default:
		return nil, nil, fmt.Errorf("decompress it first (%s -d)", kind)
	}
	br := bufio.NewReaderSize(dec, 1<<20)
	if err := tarHead(br); err != nil {
		// A decoder that ended early says why at Close (the xz command's
		// exit); one stopped here says only that it was.
		if cerr := dec.Close(); cerr != nil && errors.Is(err, errShort) {
			return nil, nil, cerr
		}
		return nil, nil, err
	}
	return br, dec, nil
}

// ExpandReader is Expand for a reader of the tar rather than a copy of it:
// the same decoders, limits and check of the first header, and errors in
// the same words, for a caller that reads the archive once as it arrives
// (ReadStream). Close ends the decoding and reports how it ended.
func ExpandReader(ctx context.Context, r io.Reader, size int64, kind, name string, lim Limits, decoders map[string]Decoder) (io.ReadCloser, error) {
	br, dec, err := expandReader(ctx, r, size, kind, name, lim.Effective(), decoders)
	if err != nil {
		return nil, expandError(ctx, name, kind, err)
	}
	return &expanded{ctx: ctx, br: br, dec: dec, name: name, kind: kind}, nil
}

// expanded is ExpandReader's reader: its errors say what went wrong as
// Expand's do.
type expanded struct {
	ctx        context.Context
	br         *bufio.Reader
	dec        io.ReadCloser
	name, kind string
}

func (e *expanded) Read(p []byte) (int, error) {
	n, err := e.br.Read(p)
	if err != nil && err != io.EOF {
		err = expandError(e.ctx, e.name, e.kind, err)
	}
	return n, err
}

func (e *expanded) Close() error {
	if err := e.dec.Close(); err != nil {
		return expandError(e.ctx, e.name, e.kind, err)
	}
	return nil
}

// expandError says what went wrong, once, in the user's terms.
func expandError(ctx context.Context, name, kind string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var le *LimitError
	if errors.As(err, &le) {
		return &LimitError{What: name, Reason: le.Reason}
	}
	var we writeError
	if errors.As(err, &we) {
		return fmt.Errorf("%s: %w", name, we.err)
	}
	if kind != "" && kind != "none" {
		return fmt.Errorf("%s: %s-compressed archive: %w", name, kind, err)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// errShort marks output that ended before a tar header's 512 bytes.
var errShort = errors.New("short")

// tarHead checks that r starts with a tar header, without consuming it. An
// error reading it (a damaged stream, a limit) is returned as it is.
func tarHead(r *bufio.Reader) error {
	head, err := r.Peek(512)
	if len(head) < 512 {
		if err != nil && err != io.EOF {
			return err
		}
		if len(head) == 0 {
			return fmt.Errorf("%w: it is empty%.0w", ErrNotTar, errShort)
		}
		return fmt.Errorf("%w: it is %d bytes, less than a tar header%.0w", ErrNotTar, len(head), errShort)
	}
	_, err = tar.NewReader(bytes.NewReader(head)).Next()
	if errors.Is(err, io.ErrUnexpectedEOF) {
		// A PAX or GNU header ends in the blocks after the first (a
		// size over 8 GiB, a long name, tar --format=pax's times).
		if more, _ := r.Peek(r.Size()); len(more) > len(head) {
			_, err = tar.NewReader(bytes.NewReader(more)).Next()
		}
	}
	if err != nil {
		if err == io.EOF {
			return fmt.Errorf("%w: it starts with an empty block", ErrNotTar)
		}
		return fmt.Errorf("%w (%v)", ErrNotTar, err)
	}
	return nil
}

// errWriter keeps the error of the writer it wraps, to tell it from the
// archive's.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil && e.err == nil {
		e.err = err
	}
	return n, err
}

type writeError struct{ err error }

func (e writeError) Error() string { return e.err.Error() }
func (e writeError) Unwrap() error { return e.err }

// ctxReader stops a long read when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
