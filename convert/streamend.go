package convert

// After a stream's end: the source opened from what the stream held, the
// facts learned of each blob as it passed given to the archive's blobs,
// and the plan checked against what already went out.

import (
	"archive/tar"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
)

// open opens the source from what the stream held, and gives each of its
// blobs that passed what the stream showed of it.
func (r *streamReader) open() (*Archive, error) {
	if r.file.size == 0 {
		return nil, &LayoutError{Source: r.in.Name, Reason: "empty input"}
	}
	in := Input{Name: r.in.Name, Layout: r.in.Layout, Compression: r.in.Compression, Archive: r.file, Size: r.file.size,
		Hashing: r.opts.Hashing, indexed: func() { r.file.sealed.Store(true) }}
	a, err := Open(in)
	if err != nil {
		return nil, err
	}
	a.Stream = true
	r.recOf = map[*Blob]*passed{}
	for _, b := range archiveBlobs(a) {
		if err := r.learn(a, b); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// recordOf is the record of the entry a blob reads, or nil.
func (r *streamReader) recordOf(b *Blob) *passed {
	if b == nil || b.data != nil || b.spill != nil || b.fsys == nil {
		return nil
	}
	if rec, ok := r.recOf[b]; ok {
		return rec
	}
	var rec *passed
	if f, err := b.open(); err == nil {
		if sec, ok := f.(interface {
			Section() (io.ReaderAt, int64, int64)
		}); ok {
			_, off, _ := sec.Section()
			rec = r.recs[off]
		}
		f.Close()
	}
	r.recOf[b] = rec
	return rec
}

// learn records on a blob what its bytes showed as they passed, through
// checkContent as a read would: its digest, compression and (a plain
// layer's) diff_id. A blob that waited and does not check is left to be
// hashed again from the spill, which then says why as for a file; one that
// passed fails here.
func (r *streamReader) learn(a *Archive, b *Blob) error {
	rec := r.recordOf(b)
	if rec == nil || b.verified {
		return nil
	}
	if r.scan != nil {
		return r.learnScanned(a, b, rec)
	}
	alg := rec.got.Algorithm()
	sameAlg := b.algorithm() == alg && (b.diffID == "" || rec.comp != Uncompressed || b.diffID.Algorithm() == alg)
	var err error
	if !sameAlg {
		err = fmt.Errorf("%s: its digest was taken in %s as it passed, and the source's JSON wants another algorithm", a.blobName(b), alg)
	} else {
		err = a.checkContent(b, rec.size, rec.got, rec.comp, "")
	}
	switch {
	case err != nil && rec.out == "":
		return nil // hashed again from the spill, if the conversion uses it
	case err != nil:
		return err
	}
	b.sniffed(rec.comp)
	b.checked(rec.got)
	if b.learnDiff && rec.comp == Uncompressed {
		b.diffChecked(rec.got)
	}
	return nil
}

// archiveBlobs lists every blob the source's reading made, each once.
func archiveBlobs(a *Archive) []*Blob {
	var out []*Blob
	seen := map[*Blob]bool{}
	add := func(b *Blob) {
		if b != nil && !seen[b] {
			seen[b] = true
			out = append(out, b)
		}
	}
	walk := func(n *Node) {
		if n != nil {
			_ = n.walk(func(n *Node) error { add(n.Blob); return nil })
		}
	}
	digests := make([]digest.Digest, 0, len(a.blobs))
	for d := range a.blobs {
		digests = append(digests, d)
	}
	slices.Sort(digests)
	for _, d := range digests {
		add(a.blobs[d])
	}
	for _, p := range sortedKeys(a.files) {
		add(a.files[p])
	}
	for _, img := range a.Images {
		walk(img.root)
		if img.docker != nil {
			add(img.docker.config)
			for _, l := range img.docker.layers {
				add(l)
			}
		}
		for _, ref := range img.Referrers {
			walk(ref)
		}
	}
	for _, n := range a.Dangling {
		walk(n)
	}
	return out
}

// reconcile checks the plan against what passed: every entry that copies
// a blob that passed must be the entry it was written as; a blob that
// passed and is in no entry stays in the output, with a notice.
func (r *streamReader) reconcile(p *Plan) error {
	for i := range p.Entries {
		e := &p.Entries[i]
		if e.Type != tar.TypeReg {
			continue
		}
		rec := r.recordOf(e.blob)
		switch {
		case rec != nil && rec.out != "" && rec.out != e.Name:
			return r.errorf(rec.name, "went to the output as %s as it passed, and the conversion writes it as %s: convert it from a file", rec.out, e.Name)
		case rec != nil && rec.out != "":
			rec.inOutput = true
		case r.written[e.Name]:
			// Another copy of what passed there (the stream held it twice,
			// under two names) is the same bytes; anything else is not.
			same := r.byOut[e.Name]
			if same == nil || e.blob == nil || !e.blob.verified || e.blob.Digest != same.got || e.Size != same.size {
				return r.errorf(e.Name, "a blob of this name went to the output as it passed, and the conversion writes other bytes there: convert it from a file")
			}
			same.inOutput = true
		}
	}
	var extra []string
	for _, rec := range r.order {
		if rec.out != "" && !rec.inOutput {
			extra = append(extra, rec.out)
		}
	}
	if len(extra) > 0 {
		p.warnf("%s: %d blobs in no image written passed to the output before the stream's JSON showed it (%s); they stay there, where a file source would leave them out", r.in.Name, len(extra), strings.Join(extra, ", "))
	}
	return nil
}
