package convert

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"hash"
	"io"
	"path"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/retar-dev/retar/tarfs"
)

// Reading a stream: each tar entry is held in memory (JSON and other small
// metadata), passed to the output (a blob whose output name its own name
// gives: blobs/sha256/<hex>, <hex>.tar.gz), or kept in the spill until the
// stream's end (a blob that cannot pass). The headers are kept as they
// came, so the source opens from a streamFile as a file would.

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

// read reads the stream to the end of its tar.
func (r *streamReader) read() error {
	for {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		start := r.cr.n
		var hb bytes.Buffer
		r.cr.keep = &hb
		hdr, err := r.tr.Next()
		r.cr.keep = nil
		if err := r.hold(int64(hb.Len()), "tar headers"); err != nil {
			return err
		}
		r.file.addData(start, hb.Bytes())
		if err == io.EOF {
			break
		}
		if err != nil {
			// As tarfs says it of a file, unless the stream itself failed
			// (a decoder, a limit: Expand's words).
			if err := r.readFailed(); err != nil {
				return err
			}
			return &LayoutError{Source: r.in.Name, Reason: fmt.Sprintf("broken tar after %d members: %v", r.members, err), Err: tarfs.ErrTruncated}
		}
		r.members++
		if err := r.entry(hdr, r.cr.n); err != nil {
			return err
		}
	}
	io.CopyN(io.Discard, r.in.Tar, maxTrailing) //nolint:errcheck // what follows the end is not the archive's
	if r.spill != nil {
		ra, err := r.spill.Done()
		if err != nil {
			return err
		}
		r.file.spill = ra
	}
	return nil
}

// hold counts n more bytes held in memory, within maxStreamHeld.
func (r *streamReader) hold(n int64, what string) error {
	r.held += n
	if r.held > maxStreamHeld {
		return &LayoutError{Source: r.in.Name, Err: ErrLimit, Reason: fmt.Sprintf("%s take the bytes a stream holds in memory until its end past %d MiB; convert it from a file", what, maxStreamHeld>>20)}
	}
	return nil
}

// entry takes one member whose data starts at off.
func (r *streamReader) entry(hdr *tar.Header, off int64) error {
	name, ok := tarfs.Clean(hdr.Name)
	if !ok {
		return &LayoutError{Source: r.in.Name, Reason: fmt.Sprintf("tar member %q: %v", hdr.Name, tarfs.ErrUnsafe), Err: tarfs.ErrUnsafe}
	}
	if r.members > tarfs.MaxMembers {
		return &LayoutError{Source: r.in.Name, Reason: tarfs.ErrTooLarge.Error(), Err: tarfs.ErrTooLarge}
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			hdr.Typeflag = tar.TypeGNUSparse
		}
	}
	typ := hdr.Typeflag
	if typ == tar.TypeRegA {
		typ = tar.TypeReg
	}
	if typ == tar.TypeGNUSparse {
		// Its bytes in the stream are not its bytes; no layout has one.
		return &LayoutError{Source: r.in.Name, Path: name, Reason: tarfs.ErrSparse.Error(), Err: tarfs.ErrSparse}
	}
	if strings.HasPrefix(name, "blobs/") {
		r.oci = true
	}
	seen, dup := r.names[name]
	if name != "." && len(name) <= tarfs.MaxName && (typ == tar.TypeReg || typ == tar.TypeDir || typ == tar.TypeSymlink || typ == tar.TypeLink) {
		r.names[name] = typ
	}
	dup = dup && !(seen == tar.TypeDir && typ == tar.TypeDir)
	if typ != tar.TypeReg || dup || name == "." || len(name) > tarfs.MaxName {
		// Nothing any layout reads (a duplicate is an error where it is
		// used, as tarfs has it): its bytes, if any, are not kept.
		return r.skip(off, hdr.Size, name)
	}
	if hdr.Size < 0 {
		return r.errorf(name, "negative size")
	}
	head := make([]byte, min(hdr.Size, 512))
	if _, err := io.ReadFull(r.tr, head); err != nil {
		return r.truncated(name, err)
	}
	if limit := metadataLimit(name); limit > 0 && hdr.Size > limit {
		return &LayoutError{Source: r.in.Name, Path: name, Err: ErrLimit,
			Reason: fmt.Sprintf("%d bytes, over the %d MiB limit for metadata", hdr.Size, limit>>20)}
	}
	if holdEntry(name, hdr.Size, head) {
		return r.keep(off, hdr.Size, name, head)
	}
	return r.blob(off, hdr.Size, name, head)
}

// readFailed is the error of the stream under the tar, if it failed.
func (r *streamReader) readFailed() error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	return r.cr.err
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

// skip reads past n bytes of data, kept nowhere.
func (r *streamReader) skip(off, n int64, name string) error {
	if n <= 0 {
		return nil
	}
	if _, err := io.CopyN(io.Discard, r.tr, n); err != nil {
		return r.truncated(name, err)
	}
	r.file.addHole(off, n, name)
	return nil
}

// blob takes an entry that is not held: passed to the output at once when
// it can be, else kept in the spill until the stream's end.
func (r *streamReader) blob(off, size int64, name string, head []byte) error {
	claim := claimOf(name)
	c := detectCompression(head)
	out, why := r.outName(name, claim, c)
	if out != "" && r.written[out] {
		out, why = "", fmt.Sprintf("%s is in the stream twice, under two names", out)
	}
	if out == "" && r.plainPassed != "" && r.static != "" && c == Zstd && r.in.GzipIfZstd {
		return r.errorf(name, "is zstd, so every layer not gzip is re-encoded to gzip for docker before 23 (--for docker-24), and the plain layer %s went to the output as it passed: convert the stream from a file", printable(r.plainPassed))
	}
	rec := &passed{name: name, off: off, size: size, comp: c, out: out}
	h := algorithmOf(claim).Hash()
	if r.opts.Hashing.New != nil {
		h = r.opts.Hashing.New(algorithmOf(claim))
	}
	if out == "" {
		if err := r.wait(rec, head, h, why); err != nil {
			return err
		}
	} else if err := r.passOn(rec, claim, head, h); err != nil {
		return err
	} else if c == Uncompressed {
		r.plainPassed = name
	}
	rec.got = digest.NewDigest(algorithmOf(claim), h)
	r.recs[off] = rec
	r.order = append(r.order, rec)
	return nil
}

// passOn writes an entry to the output as it passes, under the name its
// claim gives, checked against the claim before its last byte goes.
func (r *streamReader) passOn(rec *passed, claim digest.Digest, head []byte, h hash.Hash) error {
	if err := r.begin(rec.out); err != nil {
		return err
	}
	if err := r.writeHeader(&Entry{Name: rec.out, Type: tar.TypeReg, Size: rec.size}); err != nil {
		return err
	}
	last, err := r.pass.pass(r.ctx, head, r.tr, rec.size, h, r.out, true)
	if err != nil {
		if r.ctx.Err() == nil {
			err = r.truncated(rec.name, err)
		}
		return &CutShortError{Entry: rec.out, Err: err}
	}
	got := digest.NewDigest(claim.Algorithm(), h)
	// The one check of what bytes are: here against the name they came by.
	b := &Blob{Path: rec.name, Size: rec.size, Digest: claim, origin: r.in.Name}
	if err := (&Archive{Source: r.in.Name}).checkContent(b, rec.size, got, rec.comp, ""); err != nil {
		return &CutShortError{Entry: rec.out, Err: err}
	}
	if _, err := r.out.Write(last); err != nil {
		return err
	}
	if pad := tarPadding(rec.size); pad > 0 {
		if _, err := r.out.Write(make([]byte, pad)); err != nil {
			return err
		}
	}
	r.written[rec.out] = true
	r.byOut[rec.out] = rec
	r.file.addHole(rec.off, rec.size, rec.name)
	return nil
}

// begin starts the output, and the directories above an entry, as the
// plan will have them.
func (r *streamReader) begin(out string) error {
	r.started = true
	var dirs []string
	for d := path.Dir(out); d != "." && !r.written[d]; d = path.Dir(d) {
		dirs = append(dirs, d)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := r.writeHeader(&Entry{Name: dirs[i], Type: tar.TypeDir}); err != nil {
			return err
		}
		r.written[dirs[i]] = true
	}
	return nil
}

// wait keeps an entry in the spill until the stream's end.
func (r *streamReader) wait(rec *passed, head []byte, h hash.Hash, why string) error {
	if r.spill == nil {
		mk := r.opts.Spill
		if mk == nil {
			mk = MemorySpill
		}
		sp, err := mk()
		if err != nil {
			return err
		}
		r.spill = sp
	}
	if r.why == "" {
		r.why = why
	}
	if _, err := r.pass.pass(r.ctx, head, r.tr, rec.size, h, r.spill, false); err != nil {
		if r.ctx.Err() == nil {
			return r.truncated(rec.name, err)
		}
		return err
	}
	r.file.addSpill(rec.off, rec.size, r.spillN)
	r.spillN += rec.size
	r.waited = append(r.waited, rec)
	return nil
}

// notices says which entries waited, and why the first did.
func (r *streamReader) notices() []string {
	if len(r.waited) == 0 {
		return nil
	}
	where := r.in.WaitIn
	if where == "" {
		where = "the spill"
	}
	var n int64
	for _, w := range r.waited {
		n += w.size
	}
	blobs := "blobs"
	if len(r.waited) == 1 {
		blobs = "blob"
	}
	return []string{fmt.Sprintf("%s: not converted in one pass: %d %s (%s) waited in %s for the stream's end, as %s", r.in.Name, len(r.waited), blobs, sizeString(n), where, r.why)}
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

// writeHeader writes the header of an entry that passes, framed as the
// plan frames its entries.
func (r *streamReader) writeHeader(e *Entry) error {
	hdr, err := tarHeader(e, r.mtime())
	if err != nil {
		return err
	}
	_, err = r.out.Write(hdr)
	return err
}

func (r *streamReader) mtime() time.Time {
	if r.opts.ModTime.IsZero() {
		return time.Unix(0, 0)
	}
	return r.opts.ModTime
}
