package convert

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/retar-dev/retar/tarfs"
)

// Plan is an output, entry by entry in the order they are written. Each
// entry's content is bytes retar wrote or a blob of the source, verified by
// Bundle, or (Options.VerifyAsWritten) while the plan is written: then the
// output is verified only once Verified returns nil, which WriteTar does
// before it returns.
type Plan struct {
	Layout   Layout
	Entries  []Entry
	Images   []PlannedImage
	Warnings []string

	modTime   time.Time
	checks    *landedChecks
	later     *laterJobs   // layers decoded into their places, once begun
	unchanged func() error // Options.SourcesUnchanged
}

// PlannedImage says what an output image is.
type PlannedImage struct {
	Names     []string `json:"names"`
	Digest    string   `json:"digest,omitempty"`    // of its manifest or index; none in a docker-archive
	MediaType string   `json:"mediaType,omitempty"` // of that manifest or index
	ID        string   `json:"id,omitempty"`        // the config digest docker shows as image ID, for one manifest
	// Referrers are the signatures, attestations and SBOMs written with it.
	Referrers []ReferrerInfo `json:"referrers,omitempty"`
}

// checkNames makes sure no two entries of the plan share a name: a writer
// would fail on the second ("file exists") or a reader see two files.
func (p *Plan) checkNames() error {
	seen := make(map[string]bool, len(p.Entries))
	for _, e := range p.Entries {
		if seen[e.Name] {
			return fmt.Errorf("internal: the output would hold %s twice", e.Name)
		}
		seen[e.Name] = true
	}
	return nil
}

func (p *Plan) warnf(format string, args ...any) {
	p.Warnings = append(p.Warnings, fmt.Sprintf(format, args...))
}

func (p *Plan) addData(name string, data []byte) {
	p.Entries = append(p.Entries, Entry{Name: name, Type: tar.TypeReg, Size: int64(len(data)), data: data})
}

func (p *Plan) addDir(name string) {
	p.Entries = append(p.Entries, Entry{Name: name, Type: tar.TypeDir})
}

func (p *Plan) addBlob(name string, b *Blob) {
	p.Entries = append(p.Entries, Entry{Name: name, Type: tar.TypeReg, Size: b.Size, blob: b})
}

// WriteContent writes an entry's content to s. With Options.VerifyAsWritten
// a blob copied from a source is checked from the bytes s received (see
// PlacedSink), and into a PlacedSink written by the plan's hashers after
// WriteContent returns; a failure stops the plan's checks, and Verified
// says it.
func (p *Plan) WriteContent(e *Entry, s Sink) error {
	return p.abort(p.writeContent(e, s))
}

// abort stops whatever the plan's writing started, once the writer failed,
// and returns the error to report: that of a check or layer that failed
// first, rather than the writer's cancellation.
func (p *Plan) abort(err error) error {
	if err == nil {
		return nil
	}
	if lerr := p.later.end(true); lerr != nil && errors.Is(err, context.Canceled) {
		err = lerr
	}
	return p.checks.abort(err)
}

func (p *Plan) writeContent(e *Entry, s Sink) error {
	switch {
	case e.Bytes() != nil || e.blob == nil:
		_, err := s.Write(e.Bytes())
		return err
	case e.blob.spill != nil:
		return s.CopyRange(e.blob.spill, 0, e.Size)
	case e.blob.later != nil:
		return p.placeLater(e, s)
	}
	return p.copyBlob(e, s)
}

// copyBlob copies an entry's blob from its source into s, checked where it
// lands where the plan's checks say.
func (p *Plan) copyBlob(e *Entry, s Sink) error {
	if err := p.checks.failed(); err != nil {
		return err
	}
	fail := func(format string, args ...any) error {
		return &LayoutError{Source: e.blob.origin, Path: e.blob.Path, Reason: fmt.Sprintf(format, args...)}
	}
	f, err := e.blob.open()
	if err != nil {
		return fail("%v", err)
	}
	lent := false // to a hasher, which closes it
	defer func() {
		if !lent {
			f.Close()
		}
	}()
	l := p.checks.landingOf(e)
	r, off, n, ok := rangeOf(f)
	switch {
	case ok && n >= 0 && n != e.Size:
		return fail("changed while converting: %d bytes, was %d", n, e.Size)
	case !ok:
		if l != nil {
			return p.checks.streamed(l, s, f, e.Name)
		}
		n, err := io.Copy(s, f)
		if err == nil && n != e.Size {
			err = fail("changed while converting: %d bytes, was %d", n, e.Size)
		}
		return err
	}
	ps, placed := s.(PlacedSink)
	switch rb, ok := s.(ReadBackSink); {
	case l != nil && placed:
		lent = true
		err = p.checks.place(l, ps, r, off, e.Size, func() { f.Close() })
	case l != nil && ok:
		err = p.checks.copyLanded(l, rb, r, off, e.Size)
	case l != nil:
		return p.checks.streamed(l, s, io.NewSectionReader(r, off, e.Size), e.Name)
	default:
		err = s.CopyRange(r, off, e.Size)
	}
	return copyFailed(e.blob, err)
}

// rangeOf is where an opened blob's bytes are, as a range of a ReaderAt: a
// tar member's section (n its size), or a file read from its start (n -1:
// its size not known here); ok is false for anything else (a stream).
func rangeOf(f io.Reader) (r io.ReaderAt, off, n int64, ok bool) {
	switch f := f.(type) {
	case *tarfs.File:
		r, off, n = f.Section()
		return r, off, n, true
	case io.ReaderAt:
		return f, 0, -1, true
	}
	return nil, 0, 0, false
}

// Verified waits until every blob the plan copies has been checked against
// its digest, and returns the first that was not what it claims. It returns
// at once for a plan Bundle verified before returning; with
// Options.VerifyAsWritten, a caller writing entries one by one (WriteContent)
// calls it before putting the output in place.
func (p *Plan) Verified() error {
	err := p.checks.all()
	if lerr := p.later.end(err != nil); err == nil && lerr != nil {
		return p.checks.abort(lerr)
	}
	if err != nil {
		return err
	}
	if p.unchanged != nil {
		return p.unchanged()
	}
	return nil
}

// WriteTar writes the plan as a tar archive: fixed order, mode, owner and time.
// Headers are framed here and contents go straight to the sink, so a sink can
// copy source ranges without Go touching them.
func (p *Plan) WriteTar(s Sink) error {
	return p.abort(p.writeTar(s, p.mtime()))
}

// mtime is the time stamped on every entry.
func (p *Plan) mtime() time.Time {
	if p.modTime.IsZero() {
		return time.Unix(0, 0)
	}
	return p.modTime
}

func (p *Plan) writeTar(s Sink, mtime time.Time) error {
	for i := range p.Entries {
		if err := p.writeEntry(s, &p.Entries[i], mtime); err != nil {
			return err
		}
	}
	if err := p.Verified(); err != nil {
		return err
	}
	_, err := s.Write(make([]byte, 1024))
	return err
}

// writeEntry writes one entry as WriteTar frames it: header, content, padding.
func (p *Plan) writeEntry(s Sink, e *Entry, mtime time.Time) error {
	hdr, err := tarHeader(e, mtime)
	if err != nil {
		return err
	}
	if _, err := s.Write(hdr); err != nil {
		return err
	}
	if e.Type != tar.TypeReg {
		return nil
	}
	if err := p.writeContent(e, s); err != nil {
		return err
	}
	if pad := tarPadding(e.Size); pad > 0 {
		if _, err := s.Write(make([]byte, pad)); err != nil {
			return err
		}
	}
	return nil
}

// tarHeader is an entry's tar header as retar writes it: fixed mode, owner
// and time; USTAR where the names fit, else PAX.
func tarHeader(e *Entry, mtime time.Time) ([]byte, error) {
	hdr := &tar.Header{Name: e.Name, Typeflag: e.Type, Linkname: e.Linkname, Mode: e.Mode(),
		ModTime: mtime.UTC(), Format: tar.FormatPAX}
	if e.Type == tar.TypeDir {
		hdr.Name += "/"
	}
	if e.Type == tar.TypeReg {
		hdr.Size = e.Size
	}
	if len(hdr.Name) < 100 && len(hdr.Linkname) < 100 && hdr.Size < maxUSTARSize {
		hdr.Format = tar.FormatUSTAR
	}
	var hb bytes.Buffer
	if err := tar.NewWriter(&hb).WriteHeader(hdr); err != nil {
		return nil, fmt.Errorf("%s: %w", e.Name, err)
	}
	return hb.Bytes(), nil
}

// maxUSTARSize is the first size a USTAR header cannot hold (8 GiB): a
// larger entry gets a PAX header.
const maxUSTARSize = 1 << 33

// tarPadding is the zeros after n bytes of content, to the next block.
func tarPadding(n int64) int64 { return (512 - n%512) % 512 }

// TarSize is the exact size WriteTar will produce, for progress.
func (p *Plan) TarSize() int64 {
	var n int64 = 1024
	for _, e := range p.Entries {
		n += 512
		if len(e.Name)+1 >= 100 || len(e.Linkname) >= 100 || e.Size >= maxUSTARSize {
			n += 1536 // a PAX header block set; an estimate for progress only
		}
		n += (e.Size + 511) / 512 * 512
	}
	return n
}

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("marshal %T: %v", v, err)) // only retar's own types are marshalled
	}
	return b
}
