package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"

	"github.com/retar-dev/retar/check"
	"github.com/retar-dev/retar/convert"
)

const convertHelp = `Convert an image between docker-archive, oci-archive, oci and dir layouts,
verifying every digest on the way and keeping every digest it can. Several
sources make one bundle: every image with all its names, shared blobs once,
in an archive docker load, ctr images import and podman load all take. A
DST without a transport is such an archive (an oci-archive with a docker
manifest.json).

A name in DST replaces the image's names; -t adds names. For docker-archive
they are docker references, normalised as docker does (busybox:1 is
docker.io/library/busybox:1). For oci: and oci-archive: they are written as
typed to org.opencontainers.image.ref.name, which is what skopeo and umoci
look up, and as the full docker name to io.containerd.image.name, which ctr
registers:
  oci:DIR:latest         ref.name latest; containerd name REPO:latest, REPO
                         being the source image's repository (none if it
                         has no name: ctr then registers import-DATE:latest)
  oci:DIR:app:1          ref.name app:1; docker.io/library/app:1
  oci:DIR:quay.io/x/y:1  ref.name and containerd name quay.io/x/y:1
A source oci:DIR:REF finds the image whose ref.name is REF, or whose full
name REF names.

Docker schema 1 manifests are read (dir: and OCI layouts) and written as
v2s2 or OCI; their signatures are dropped, with a notice.

SRC - reads the archive (compressed or not) from standard input; DST -
writes it to standard output. From standard input into standard output
the conversion is one pass where it can be: blobs written as they pass,
nothing in TMPDIR (README: One pass); otherwise standard input is written
once to a temporary file in TMPDIR first, with a notice saying why.

` + destCompressRule + "\n" + volumeHelp + "\n" + destPolicy + "\n" + deltaHelp

const convertExample = `  retar convert docker-archive:image.tar oci-archive:fixed.tar:quay.io/curl/curl:latest
  retar convert image.tar dir:./image
  retar convert -t app:1 -t app:latest skopeo.tar docker-archive:named.tar
  retar convert multi.tar:@1 oci:./layout:app:1
  retar convert --format v2s2 --compress gzip oci:./layout:app:1 dir:./app
  retar convert --platform linux/amd64 multiarch.tar oci-archive:amd64.tar
  retar convert image.tar image.tar.gz
  retar convert app.tar docker-archive:db.tar:@0 oci:./proxy-layout:proxy:2 bundle.tar
  retar convert --volume-size 4095M app.tar db.tar bundle.tar
  retar convert --volume-size 1M web.tar api.tar vol.tar
  retar convert vol.001.tar vol.002.tar joined.tar
  retar convert --since app.tar db.tar db-delta.tar          # only what app.tar lacks
  retar convert --base app.tar db-delta.tar db-full.tar      # = retar convert db.tar db-full.tar`

func (e *env) convertCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:               "convert [flags] SRC [SRC...] DST",
		SuggestFor:        []string{"copy", "cp"},
		Short:             "Convert images between layouts, or bundle several into one archive",
		Long:              convertHelp,
		Example:           convertExample,
		ValidArgsFunction: completeRefs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.convert(cmd.Context(), args)
		},
	}
	optionFlags(cmd, &e.opts)
	cmd.Flags().BoolVar(&e.force, "force", false, "replace a DST directory whatever it holds: everything in it is deleted")
	cmd.Flags().Var(loadersValue{&e.loaders}, "for", "LOADER[,LOADER...]: make the output suit these loaders, or fail saying why (exit 1 when one will not load it):\n"+check.IDs())
	cmd.RegisterFlagCompletionFunc("for", completeLoaders) //nolint:errcheck
	cmd.Flags().Var(volumeSizeValue{&e.volumeSize}, "volume-size", "write DST as volumes of at most SIZE (DST.001.tar, DST.002.tar, ...), each loading on its own: "+volumeSizeRule)
	cmd.RegisterFlagCompletionFunc("volume-size", noValues) //nolint:errcheck
	deltaFlags(cmd, &e.delta)
	return cmd
}

func (e *env) convert(ctx context.Context, pos []string) error {
	if e.volumeSize > 0 {
		return e.convertVolumes(ctx, pos)
	}
	opts := e.opts
	srcs, dst, err := convertRefs(pos)
	if err != nil {
		return err
	}
	if err := e.delta.check(&opts); err != nil {
		return err
	}
	if err := completeOptions(&opts, dst); err != nil {
		return err
	}
	// The destination is judged (and locked) before any source is read.
	out, err := prepareOutput(dst, sourceDirs(srcs), e.force, e.stdout)
	if err != nil {
		return err
	}
	defer out.close()
	defer e.delta.close()
	if err := e.readDelta(ctx, &e.delta, &opts); err != nil {
		return err
	}
	spills := layerSpills(opts.To, dst.Path)
	defer spills.remove()
	opts.Spill = spills.new
	opts.VerifyAsWritten = true // what is written is what is hashed
	if e.onePass(srcs, out, opts) {
		return e.convertStream(ctx, srcs[0], dst, out, opts)
	}
	sources, opened, err := e.openWatched(ctx, srcs, &opts)
	defer closeAll(opened)
	if err != nil {
		return err
	}
	out.closeSources = func() { closeAll(opened) }
	if err := e.delta.checkBases(sources); err != nil {
		return err
	}
	if err := e.adjust(&e.loaders, &opts, sources, dst); err != nil {
		return err
	}
	opts.PlaceReencoded = out.placesBlobs()
	plan, held, err := e.planWrite(ctx, sources, opts, out)
	if err != nil {
		return err
	}
	compressed, _ := destCompression(dst)
	conv := check.Conversion{Options: opts, Compressed: compressed}
	return e.judge(ctx, dst, conv, sources, plan, held)
}

// convertRefs reads convert's SRC... DST arguments.
func convertRefs(pos []string) (srcs []imageRef, dst imageRef, err error) {
	if len(pos) < 2 {
		got := fmt.Sprintf("%d arguments", len(pos))
		if len(pos) == 1 {
			got = "1 argument"
		}
		return nil, dst, usagef("convert takes SRC [SRC...] DST, got %s (retar convert --help)", got)
	}
	stdin := 0
	for _, a := range pos[:len(pos)-1] {
		r, err := parseRef(a)
		if err != nil {
			return nil, dst, err
		}
		if r.Path == "-" {
			if stdin++; stdin > 1 {
				return nil, dst, usagef("standard input (-) can be one SRC only")
			}
		}
		srcs = append(srcs, r)
	}
	if dst, err = parseRef(pos[len(pos)-1]); err != nil {
		return nil, dst, err
	}
	if dst.Layout == "" {
		// A bare DST is a path whole: it names a file to write, which
		// exists or not, so whether a colon ends it cannot be told by
		// looking (oci-archive:PATH:NAME names it).
		dst = imageRef{Path: pos[len(pos)-1]}
		if msg := foreignDest(dst.String()); msg != "" {
			return nil, dst, usagef("%s", msg)
		}
		if t := unknownTransport(dst.Path, runtime.GOOS == "windows"); t != "" {
			return nil, dst, usagef("DST %q: unknown transport %q (%s; a bare path is an %s)", dst.Path, t, layoutList(), convert.DefaultDestination)
		}
		// A bare destination is the archive every loader takes: an
		// oci-archive with a docker manifest.json (retar's hybrid).
		dst.Layout = convert.DefaultDestination
	}
	if strings.HasPrefix(dst.Pick, "@") {
		return nil, dst, usagef("DST %s: :@N picks a source image; a destination takes a name", dst)
	}
	if _, err := destCompression(dst); err != nil {
		return nil, dst, err
	}
	return srcs, dst, nil
}

// completeOptions adds what the command line says outside the flags (DST's
// layout and name, the host, SOURCE_DATE_EPOCH) and validates the whole,
// before anything is read.
func completeOptions(opts *convert.Options, dst imageRef) error {
	mtime, err := modTime()
	if err != nil {
		return err
	}
	opts.To, opts.Host, opts.ModTime = dst.Layout, ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH}, mtime
	if dst.Pick != "" {
		opts.Names = []string{dst.Pick}
	}
	return opts.Validate()
}

// sourceDirs are the sources that are directories.
func sourceDirs(srcs []imageRef) []string {
	var dirs []string
	for _, src := range srcs {
		if fi, err := os.Stat(src.Path); err == nil && fi.IsDir() && src.Path != "-" {
			dirs = append(dirs, src.Path)
		}
	}
	return dirs
}

// openSources opens every SRC; what it opened, however far it got, is for
// closeAll.
func (e *env) openSources(ctx context.Context, srcs []imageRef, lim convert.Limits) (sources []convert.Source, opened []*source, err error) {
	for _, src := range srcs {
		s, err := openSource(ctx, src, e.stdin, lim)
		if err != nil {
			return nil, opened, explainOpen(inputName(src), err)
		}
		opened = append(opened, s)
		s.in.Base = e.delta.bases
		a, err := convert.Open(s.in)
		if err != nil {
			return nil, opened, explainOpen(inputName(src), err)
		}
		e.notices(a.Warnings)
		sources = append(sources, convert.Source{Archive: a, Pick: src.Pick})
	}
	return sources, opened, nil
}

func closeAll(opened []*source) {
	for _, s := range opened {
		s.Close()
	}
}

// plan runs the conversion's stages, with progress and notices. With
// VerifyAsWritten the hashing goes on while the plan is written: verified
// ends its progress once the writing has.
func (e *env) plan(ctx context.Context, sources []convert.Source, opts convert.Options) (plan *convert.Plan, verified func(error), err error) {
	prog := e.meter("verifying")
	opts.Hashing.Progress = prog.update
	plan, err = convert.Bundle(ctx, sources, opts)
	if err != nil || !opts.VerifyAsWritten {
		prog.finish(err)
		verified = func(error) {}
	} else {
		verified = prog.finish
	}
	if err != nil {
		return nil, nil, err
	}
	return plan, verified, nil
}

// planWrite plans the conversion and writes it. What check will say of the
// written output, it says once: convert's notices of the same facts are
// held until it has. Where a layer planned to be decoded into its place
// decoded to another size than its gzip trailer said, the output is
// planned again, each layer decoded before it is written.
func (e *env) planWrite(ctx context.Context, sources []convert.Source, opts convert.Options, out *output) (*convert.Plan, []held, error) {
	plan, verified, err := e.plan(ctx, sources, opts)
	if err != nil {
		return nil, nil, explainDelta(err, sources)
	}
	held := e.noticesHolding(plan.Warnings)
	err = e.write(ctx, out, plan)
	verified(err)
	if errors.Is(err, convert.ErrGuessedSize) {
		opts.PlaceReencoded = false
		if plan, verified, err = e.plan(ctx, sources, opts); err != nil {
			return nil, nil, explainDelta(err, sources)
		}
		err = e.write(ctx, out, plan)
		verified(err)
	}
	return plan, held, err
}

// write writes the plan, with progress.
func (e *env) write(ctx context.Context, out *output, plan *convert.Plan) error {
	prog := e.meter("writing")
	written := convert.Progress{Phase: "writing", TotalBytes: plan.TarSize()}
	err := out.write(ctx, plan, func(n int64) { written.Bytes += n; prog.update(written) })
	prog.finish(err)
	return err
}

// wrote says what was written, an image a line.
func (e *env) wrote(dst imageRef, plan *convert.Plan) {
	if e.quiet {
		return
	}
	for _, img := range plan.Images {
		names := "no name"
		if len(img.Names) > 0 {
			names = strings.Join(img.Names, ", ")
		}
		id := img.Digest
		if id == "" {
			id = "image ID " + img.ID
		}
		fmt.Fprintf(e.stderr, "wrote %s %s (%s)\n", dst, id, names)
	}
}

// modTime is the time stamped on tar entries: SOURCE_DATE_EPOCH if set, else
// 0. A value that is not a whole number of seconds in range is refused before
// anything is read, as the reproducible-builds specification asks.
func modTime() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Unix(0, 0), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > convert.MaxModTime {
		return time.Time{}, usagef("SOURCE_DATE_EPOCH=%q: want a whole number of seconds from 0 to %d", s, convert.MaxModTime)
	}
	return time.Unix(n, 0), nil
}

// layoutList names the layouts for messages, as the registry has them:
// "docker-archive, oci-archive, oci, dir".
func layoutList() string {
	var names []string
	for _, l := range convert.Layouts() {
		names = append(names, string(l))
	}
	return strings.Join(names, ", ")
}

// openWatched opens a conversion's sources and has opts check, before the
// output takes its name, that none of them changed while it was read.
func (e *env) openWatched(ctx context.Context, srcs []imageRef, opts *convert.Options) ([]convert.Source, []*source, error) {
	var opened []*source
	opts.SourcesUnchanged = func() error {
		for _, s := range opened {
			if err := s.unchanged(); err != nil {
				return err
			}
		}
		return nil
	}
	sources, opened, err := e.openSources(ctx, srcs, opts.Hashing.Limits)
	return sources, opened, err
}
