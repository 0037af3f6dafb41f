package cli

import (
	"context"
	"slices"

	"github.com/retar-dev/retar/convert"
)

// One pass: standard input (or a FIFO) converted into standard output (or
// a FIFO) as it arrives, nothing written to TMPDIR, memory flat: each blob
// hashed as it passes and written once, the JSON that names the blobs
// written last (see convert.ReadStream). Jobs that need blobs again, or
// pick among them by what only the stream's end says, read the stream into
// TMPDIR first, as every other source that is a stream is, with a notice
// saying why.

// onePass says whether a conversion runs in one pass (a stream in, a stream
// out); where a stream comes in and it cannot, a notice says why.
func (e *env) onePass(srcs []imageRef, out *output, opts convert.Options) bool {
	ok, notice := e.streamJob(srcs, out, opts)
	if notice != "" {
		e.notices([]string{notice})
	}
	return ok
}

// streamJob says whether a conversion reads its one SRC, standard input or
// a FIFO, in one pass into its DST, a stream; else the notice to give when
// such a SRC goes to TMPDIR first although DST is a stream ("" where the
// question is moot).
func (e *env) streamJob(srcs []imageRef, out *output, opts convert.Options) (ok bool, notice string) {
	i := slices.IndexFunc(srcs, func(r imageRef) bool { return r.Path == "-" || isFIFO(r.Path) })
	if i < 0 || out.stream == nil {
		return false, ""
	}
	why := ""
	switch {
	case len(srcs) > 1:
		why = "it is bundled with other sources"
	case out.compress != "":
		why = "DST is compressed as it is written"
	case e.delta.active():
		why = "a delta's HAVE is held against the whole source (--since, --base)"
	case convert.OnePass(opts, srcs[0].Pick) != "":
		why = convert.OnePass(opts, srcs[0].Pick)
	case slices.Contains(e.loaders.IDs(), "ctr-2.0"):
		// What it needs of the output is decided from the platforms the
		// source's index holds, which only the stream's end shows.
		why = "--for ctr-2.0 takes the host's platform from an index, and which blobs that keeps only the stream's end says"
	default:
		return true, ""
	}
	return false, inputName(srcs[i]) + " is read into TMPDIR first, not converted in one pass: " + why
}

// convertStream converts standard input into the stream DST in one pass
// (convert.ReadStream, then the --for rules on what it held, then the plan
// and the rest of the output).
func (e *env) convertStream(ctx context.Context, src, dst imageRef, out *output, opts convert.Options) error {
	in, kind, err := openStream(ctx, src, e.stdin, opts.Hashing.Limits)
	if err != nil {
		return explainOpen(inputName(src), err)
	}
	defer in.Close()
	opts.Pick = src.Pick
	var sent int64
	var onWrite func(int64)
	sink := out.streamSink(ctx, func(n int64) {
		sent += n
		if onWrite != nil {
			onWrite(n)
		}
	})
	prog := e.meter("streaming")
	opts.Hashing.Progress = prog.update
	// --for docker-24 re-encodes every layer to gzip when one is zstd
	// (check's forNoZstd), which only the layers show as they pass.
	gzipIfZstd := slices.Contains(e.loaders.IDs(), "docker-24")
	st, err := convert.ReadStream(ctx, convert.StreamInput{Name: inputName(src), Layout: src.Layout, Compression: kind, Tar: in,
		WaitIn: "TMPDIR", GzipIfZstd: gzipIfZstd}, sink, opts)
	prog.finish(err)
	if err != nil {
		return out.streamError(explainOpen(inputName(src), err), sent)
	}
	e.notices(st.Notices)
	e.notices(st.Archive.Warnings)
	if err := e.adjust(&e.loaders, &opts, []convert.Source{{Archive: st.Archive, Pick: src.Pick}}, dst); err != nil {
		return st.Stop(err)
	}
	opts.Hashing.Progress = nil // what did not pass is hashed where it waited, unmetered
	plan, err := st.Convert(ctx, opts)
	if err != nil {
		return out.streamError(err, sent)
	}
	e.notices(plan.Warnings)
	wprog := e.meter("writing")
	// What is left: the plan's size less what passed (an estimate, as
	// TarSize is).
	written := convert.Progress{Phase: "writing", TotalBytes: max(plan.TarSize()-sent, 1024)}
	onWrite = func(n int64) { written.Bytes += n; wprog.update(written) }
	err = st.Finish(plan)
	wprog.finish(err)
	if err != nil {
		return out.streamError(err, sent)
	}
	// A stream cannot be read back for check to judge: what --for needs
	// of it was set before it was written (adjust, and the plan's checks).
	e.wrote(dst, plan)
	return nil
}
