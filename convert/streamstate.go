// A stream reader's state and what it reads from and writes to, below the
// files that decide each entry's fate (streamnames.go), read the stream
// (streamread.go) and close it (streamend.go).

package convert

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
)

// maxStreamHeld bounds the headers and entries a stream holds in memory
// until its end: a stream whose metadata is larger is refused, naming the
// limit. A variable for the tests.
var maxStreamHeld int64 = 64 << 20

// Limits of what a stream keeps in memory until its end.
const (
	// tinyEntry: an entry this small is held whatever it holds, unless it
	// starts as a layer does (VERSION files, empty JSON, small blobs).
	tinyEntry = 4 << 10
	// maxTrailing is how much of what follows a tar's end is read (and
	// ignored), so that its writer is not cut off by a closed pipe for
	// its padding; the rest is not waited for.
	maxTrailing = 1 << 20
)

type streamReader struct {
	ctx  context.Context
	in   StreamInput
	opts Options
	out  *countingSink
	cr   *recorder
	tr   *tar.Reader
	file *streamFile
	pass *passer

	names   map[string]byte    // type of each name seen, for duplicates
	recs    map[int64]*passed  // entries passed or waiting, by data offset
	order   []*passed          // the same, in stream order
	held    int64              // bytes held in memory
	members int                // tar members read
	started bool               // the output has begun
	written map[string]bool    // output entries written as the stream passed
	byOut   map[string]*passed // the blobs among them
	static  string             // why no blob may pass (OnePass), "" if any may
	// plainPassed is a plain layer that passed, with GzipIfZstd.
	plainPassed string
	oci         bool              // an entry under blobs/: an OCI layout
	spill       Spill             // where waiting entries go, made at the first
	spillN      int64             // bytes in it
	waited      []*passed         // entries that waited
	why         string            // why the first of them did
	recOf       map[*Blob]*passed // the record each blob reads, once looked up
	scan        *streamScan       // looking at the stream, not converting it: nothing written
}

func newStreamReader(ctx context.Context, in StreamInput, out Sink, opts Options) *streamReader {
	cr := &recorder{r: in.Tar}
	r := &streamReader{ctx: ctx, in: in, opts: opts, out: &countingSink{Sink: out}, cr: cr, tr: tar.NewReader(cr),
		file: &streamFile{source: in.Name}, names: map[string]byte{}, recs: map[int64]*passed{}, written: map[string]bool{}, byOut: map[string]*passed{},
		static: OnePass(opts, opts.Pick)}
	var read int64
	r.pass = newPasser(func(n int64) {
		read += n
		if opts.Hashing.Progress != nil {
			opts.Hashing.Progress(Progress{Phase: "streaming", Bytes: read})
		}
	})
	return r
}

// recorder counts what the tar reader reads, and keeps it while asked:
// the headers (and the padding before each), which the streamFile holds.
type recorder struct {
	r    io.Reader
	n    int64
	keep *bytes.Buffer
	err  error // the first error but io.EOF of r
}

func (c *recorder) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	if c.keep != nil {
		c.keep.Write(p[:k])
	}
	c.n += int64(k)
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
	}
	return k, err
}

func (r *streamReader) errorf(p, format string, args ...any) error {
	return &LayoutError{Source: r.in.Name, Path: p, Reason: fmt.Sprintf(format, args...)}
}

// hold counts n more bytes held in memory, within maxStreamHeld.
func (r *streamReader) hold(n int64, what string) error {
	r.held += n
	if r.held > maxStreamHeld {
		return &LayoutError{Source: r.in.Name, Err: ErrLimit, Reason: fmt.Sprintf("%s take the bytes a stream holds in memory until its end past %d MiB; convert it from a file", what, maxStreamHeld>>20)}
	}
	return nil
}

func (r *streamReader) truncated(name string, err error) error {
	if err := r.readFailed(); err != nil {
		return err
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return r.errorf(name, "the stream ends inside it: truncated")
	}
	return err
}

// StreamInput is a stream to read: a tar as it arrives, decompressed
// (ExpandReader does that as Expand does).
type StreamInput struct {
	Name   string // in messages: "standard input"
	Layout Layout // the transport the user named; "" to detect
	// Compression is how the stream came compressed, as Input has it.
	Compression string
	Tar         io.Reader
	// WaitIn says, in the notice about entries that wait, where they wait
	// ("TMPDIR"); "" for the spill Options.Spill makes.
	WaitIn string
	// GzipIfZstd says that a rule applied once the stream is read (--for
	// docker-24's) re-encodes every layer not gzip when one is zstd: after a
	// zstd layer nothing passes, and a zstd layer after a plain one passed
	// stops the stream at once, as the plain one would be needed again.
	GzipIfZstd bool
}

// OnePass says why a conversion with opts, of a stream whose image is
// picked by pick (":REF" or ":@N" without the colon, "" for all), cannot
// pass the stream's blobs to its output as they arrive; "" when it can.
// Every such reason needs all the source's blobs again, or leaves some out
// that only the JSON at the stream's end names.
func OnePass(opts Options, pick string) string {
	switch {
	case !opts.To.IsArchive():
		return fmt.Sprintf("%s is a directory, not a stream", opts.To.Article())
	case pick != "":
		return fmt.Sprintf("picking an image (:%s) leaves out blobs that only the JSON at the stream's end names", pick)
	case len(opts.Platforms) > 0:
		return "--platform leaves out blobs that only the index at the stream's end names"
	case opts.Recompress:
		return "--compress re-encodes the layers, which needs their bytes again"
	case opts.Attestations == AttestationsStrip:
		return "--attestations strip leaves out blobs that only the index at the stream's end names"
	}
	return ""
}

// countingSink counts what went to a sink.
type countingSink struct {
	Sink
	n int64
}

func (c *countingSink) Write(p []byte) (int, error) {
	n, err := c.Sink.Write(p)
	c.n += int64(n)
	return n, err
}

func (c *countingSink) CopyRange(r io.ReaderAt, off, n int64) error {
	_, err := io.Copy(c, io.NewSectionReader(r, off, n))
	return err
}

// readFailed is the error of the stream under the tar, if it failed.
func (r *streamReader) readFailed() error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	return r.cr.err
}
