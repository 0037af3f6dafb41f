package convert

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
)

// A stream is a source read once, front to back, as it arrives: standard
// input, a pipe. Where the conversion allows, its blobs go to the output as
// they pass, each hashed on the way and written once; the JSON that names
// them (index.json, manifests, configs, manifest.json) is held in memory
// until the stream's end, planned from as any source is, and written last.
// So the output is complete only once everything in it has been checked:
// a mismatch stops it with no index and no end-of-archive marker, which no
// loader takes for an archive.
//
// An entry that cannot pass at once (its output name is a digest its bytes
// have yet to show, or the conversion needs its bytes again: a zstd layer
// to re-encode, a platform to pick) waits in a spill until the stream's end
// and is written from there; one notice says which and why. A conversion
// whose options need every blob again (OnePass says why) waits with all.
//
// ReadStream reads the stream and passes what it can; Streamed.Convert plans
// the conversion from what the stream held (as Archive.Convert does, with
// options set since, such as --for's); Streamed.Finish writes the rest.

// Streamed is a stream read to its end: the source as it held it, the
// blobs already written to the output, and what is left to write.
type Streamed struct {
	// Archive is the source, opened from what the stream held: its
	// metadata, the entries that waited, and the record of each entry that
	// passed (its digest and compression, checked as it passed).
	Archive *Archive
	// Notices say which entries waited for the stream's end, and why.
	Notices []string

	r *streamReader
}

// ReadStream reads a tar stream to its end, writing to out, as they pass,
// the blobs a conversion with opts writes (see the comment above), and
// returns the source opened from what it held, to be planned by Convert
// and finished by Finish. Nothing is written to out before the first blob
// that can pass; a stream none of whose blobs can, waits whole and is then
// written as Archive.Convert and Plan.WriteTar would write it from a file.
//
// An error once something was written is a *StreamStoppedError (or a
// *CutShortError inside a blob): out holds no whole archive.
func ReadStream(ctx context.Context, in StreamInput, out Sink, opts Options) (*Streamed, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	r := newStreamReader(ctx, in, out, opts)
	if err := r.read(); err != nil {
		return nil, r.stopped(err)
	}
	a, err := r.open()
	if err != nil {
		return nil, r.stopped(err)
	}
	return &Streamed{Archive: a, Notices: r.notices(), r: r}, nil
}

// Convert plans the conversion of the stream's source with opts (those
// ReadStream had, or as rules such as --for's set them since): Bundle's
// stages, verifying what did not pass (what passed was checked as it did),
// then a check that every blob written as it passed is in the plan under
// the name it was written as. A blob that passed and is in no output image
// (the source held it for nothing) stays in the output, with a notice.
func (s *Streamed) Convert(ctx context.Context, opts Options) (*Plan, error) {
	opts.VerifyAsWritten, opts.SourcesUnchanged = false, nil // checked as they passed
	p, err := Bundle(ctx, []Source{{Archive: s.Archive, Pick: opts.Pick}}, opts)
	if err == nil {
		err = s.r.reconcile(p)
	}
	if err != nil {
		return nil, s.r.stopped(err)
	}
	return p, nil
}

// Finish writes what of the plan has not passed: the blobs that waited or
// were held (configs, manifests, those retar wrote), then the entries that
// name them (index.json, manifest.json, repositories, v1 directories), then
// the end of the archive. With nothing passed before, the plan is written
// in its own order: the bytes Plan.WriteTar writes.
func (s *Streamed) Finish(p *Plan) error {
	return s.r.stopped(s.r.finish(p))
}

// Stop is what to return for an error that ends the conversion after
// ReadStream (a rule refusing the source): once something was written, a
// *StreamStoppedError saying what the reader of the output received.
func (s *Streamed) Stop(err error) error { return s.r.stopped(err) }

// Written is how many bytes went to the output so far.
func (s *Streamed) Written() int64 { return s.r.out.n }

// StreamStoppedError is a stream conversion that failed once part of its
// output was written: the output stops after Written bytes, with no index
// or manifest.json naming its blobs and no end-of-archive marker, so no
// loader takes it for an archive.
type StreamStoppedError struct {
	Written int64
	Err     error
}

func (e *StreamStoppedError) Error() string {
	return fmt.Sprintf("%v; the output stops after %d bytes, before the JSON that names its blobs and before the end of the archive: what its reader got is no archive a loader takes", e.Err, e.Written)
}

func (e *StreamStoppedError) Unwrap() error { return e.Err }

// stopped wraps an error that ends a conversion once output was written.
func (r *streamReader) stopped(err error) error {
	var cut *CutShortError
	var st *StreamStoppedError
	if err == nil || r.out.n == 0 || errors.As(err, &cut) || errors.As(err, &st) || errors.Is(err, context.Canceled) {
		return err
	}
	return &StreamStoppedError{Written: r.out.n, Err: err}
}

// finish writes the plan's entries that did not pass, and the end.
func (r *streamReader) finish(p *Plan) error {
	mtime := p.mtime()
	var blobs, rest []*Entry
	for i := range p.Entries {
		e := &p.Entries[i]
		switch {
		case r.written[e.Name]:
		case !r.started:
			rest = append(rest, e) // the plan's order
		case e.Type == tar.TypeReg && e.blob != nil:
			blobs = append(blobs, e)
		default:
			rest = append(rest, e)
		}
	}
	for _, e := range append(blobs, rest...) {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		if err := p.writeEntry(r.out, e, mtime); err != nil {
			return err
		}
	}
	if err := p.Verified(); err != nil {
		return err
	}
	_, err := r.out.Write(make([]byte, 1024))
	return err
}
