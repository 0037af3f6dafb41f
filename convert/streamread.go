package convert

import (
	"archive/tar"
	"bytes"
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
	if r.scan != nil {
		rec := &passed{name: name, off: off, size: size, comp: c}
		h := algorithmOf(claim).Hash()
		if err := r.look(rec, head, h); err != nil {
			return err
		}
		rec.got = digest.NewDigest(algorithmOf(claim), h)
		r.recs[off] = rec
		r.order = append(r.order, rec)
		return nil
	}
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
