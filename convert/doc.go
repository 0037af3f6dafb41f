// Package convert is retar's core: it reads a container image in any of the
// layouts people pass around (docker-archive, oci-archive, oci, dir) into one
// model, verifies every blob once, and plans the same images in another
// layout. It uses no operating system interface: inputs come as io.ReaderAt
// or fs.FS, outputs go to a Sink, so the same code runs natively and in a
// browser.
//
// The flow:
//
//	a, err := convert.Open(convert.Input{Name: "app.tar", Archive: f, Size: size}) // read the layout into the model
//	var opts convert.Options
//	opts.Set("to", "oci-archive")           // options by name, as the CLI's flags
//	opts.Set("name", "example.com/app:1")   // (Validate refuses what does not go together)
//	plan, err := a.Convert(ctx, opts)       // the stages: select, resolve, name, pick platforms,
//	                                        // merge, re-encode, rewrite, verify, write
//	err = plan.WriteTar(convert.WriterSink{Writer: w}) // nothing is written before every digest is checked
//
// A source that arrives as a stream (standard input) is converted in one
// pass where the conversion allows: ReadStream writes each blob to the
// output as it passes, hashed on the way, and holds the JSON that names them
// until the stream's end; Streamed.Convert plans from it as Convert does,
// and Streamed.Finish writes the rest, that JSON last (stream.go).
//
//	tar, err := convert.ExpandReader(ctx, stdin, -1, kind, "standard input", lim, nil)
//	s, err := convert.ReadStream(ctx, convert.StreamInput{Name: "standard input", Tar: tar}, out, opts)
//	plan, err := s.Convert(ctx, opts)
//	err = s.Finish(plan)
//
// Each layout is one unit that reads and writes (dockerunit.go,
// ocilayout.go, dirlayout.go), registered in registry.go; another package
// adds one with RegisterLayout and a LayoutUnit. The stages of a
// conversion are listed in bundle.go and written in stages.go and
// outputstages.go, each a function over the conversion's state.
//
// The files read bottom-up, each using those below it: at the ground the
// model and the words it is told in (model.go, layout.go, names.go,
// text.go, jsonedit.go, errors.go, holdings.go); then reading content
// (compress.go, expand.go, hashing.go, archive.go, contentsum.go,
// blobread.go, delta.go, graph.go, image.go); the rewrite and the plan
// (rewrite.go and its neighbours, entry.go, plan.go, landed*.go); the
// layout units (unit.go and one file or more per layout, registry.go); the
// stages (stages.go, deltastage.go, outputstages.go, bundle.go); and the
// front doors (open.go, verify.go, inspect.go, the stream*.go files over
// streamstate.go). Four uses go up, each said where it is made: in
// rewrite.go and landed.go, a dispatch to a mode written above; in errors.go
// and compress.go, a word shared with a name above.
//
// Errors are values: DigestError, SizeError, LayoutError, MissingError and
// LimitError, in the families ErrDigestMismatch, ErrSizeMismatch, ErrLayout,
// ErrMissingBlob, ErrLimit and ErrUsage (with ErrNoPlatform, ErrAmbiguous,
// ErrNoSuchImage). What each loader makes of an archive is package check's.
package convert

import (
	_ "crypto/sha256" // digest algorithms go-digest looks up
	_ "crypto/sha512"
)
