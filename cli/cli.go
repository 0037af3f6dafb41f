// Package cli is the retar command: flags, files and progress around the
// convert core. Main runs it in-process, so tests drive it as users do.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/retar-dev/retar/check"
	"github.com/retar-dev/retar/convert"
)

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

const usage = `retar rewrites container image archives between layouts.

Usage:
  retar convert [flags] SRC DST    convert an image (see retar convert --help)
  retar inspect [--raw|--config] SRC
  retar verify SRC                 check every digest, size and reference
  retar check [--for LIST] [--json] SRC
                                   which loaders take it, under which names
  retar manifest-digest FILE       print the digest of a manifest file

SRC and DST are TRANSPORT:PATH[:REF] as skopeo spells them:
  docker-archive:PATH[:REF|:@N]  oci-archive:PATH[:REF]  oci:PATH[:REF]  dir:PATH
A SRC may also be a bare path; its layout is detected from its content
(compressed archives too: gzip, zstd, bzip2, xz).
`

type env struct {
	help           func() // prints the current command's --help
	stdin          io.Reader
	stdout, stderr io.Writer
	quiet          bool
	tty            bool
	opts           convert.Options // what the command's flags set (limits)
}

// Main runs retar with args (without the program name) and returns its exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	// A bug must still end in one line and a status, with nothing left behind.
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "retar: internal error: %v\n", oneLine(fmt.Errorf("%v", r)))
			code = exitFail
		}
	}()
	if f, ok := stderr.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			e.tty = true
		}
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	ctx, stop, signaled := withSignals(stderr)
	defer stop()
	var err error
	switch args[0] {
	case "convert":
		err = e.convert(ctx, args[1:])
	case "inspect":
		err = e.inspect(ctx, args[1:])
	case "verify":
		err = e.verify(ctx, args[1:])
	case "manifest-digest":
		err = e.manifestDigest(args[1:])
	case "check":
		err = e.check(ctx, args[1:])
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "retar: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
	if sig := signaled(); sig != nil && err != nil {
		err = errInterrupted{sig}
	}
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue) || errors.Is(err, convert.ErrUsage):
		fmt.Fprintf(stderr, "retar: %v\n", oneLine(err))
		return exitUsage
	default:
		fmt.Fprintf(stderr, "retar: %v\n", oneLine(err))
		return exitFail
	}
}

// oneLine keeps an error to the one line users read: whitespace folds, and
// other control characters (names inside archives can hold any) are escaped
// so they reach no terminal.
func oneLine(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	return strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return '?'
	}, s)
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func (e *env) flags(name, help string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// Parse errors are one line (Main prints them); the usage text is for
	// --help and for a wrong number of arguments.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // the flag package calls it on every error
	e.help = func() {
		fmt.Fprint(e.stdout, help)
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	fs.BoolVar(&e.quiet, "q", false, "no progress and no notices")
	return fs
}

// parse parses flags wherever they stand among the arguments, as skopeo's do.
func (e *env) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				e.help()
				return nil, err
			}
			return nil, usageError{fmt.Sprintf("%s: %v (retar %s --help)", fs.Name(), err, fs.Name())}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

const convertHelp = `Usage: retar convert [flags] SRC [SRC...] DST

Convert an image between docker-archive, oci-archive, oci and dir layouts,
verifying every digest on the way and keeping every digest it can. Several
sources make one bundle: every image with all its names, shared blobs once,
in an archive docker load, ctr images import and podman load all take. A
DST without a transport is such an archive (an oci-archive with a docker
manifest.json).

Examples:
  retar convert docker-archive:image.tar oci-archive:fixed.tar:quay.io/curl/curl:latest
  retar convert image.tar dir:./image
  retar convert -t app:1 -t app:latest skopeo.tar docker-archive:named.tar
  retar convert multi.tar:@1 oci:./layout
  retar convert --format v2s2 --compress gzip oci:./layout:app:1 dir:./app
  retar convert --platform linux/amd64 multiarch.tar oci-archive:amd64.tar
  retar convert app.tar docker-archive:db.tar:@0 oci:./proxy-layout:proxy:2 bundle.tar

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

SRC - reads the archive (compressed or not) from standard input, written
once to a temporary file in TMPDIR; DST - writes it to standard output.

` + destPolicy + `
Flags:
`

func (e *env) convert(ctx context.Context, args []string) error {
	fs := e.flags("convert", convertHelp)
	var opts convert.Options
	optionFlags(fs, &opts)
	force := fs.Bool("force", false, "replace a DST directory whatever it holds: everything in it is deleted")
	var loaders check.For
	fs.Func("for", "LOADER[,LOADER...]: make the output suit these loaders, or fail saying why (exit 1 when one will not load it):\n"+check.IDs(), loaders.Set)
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	srcs, dst, err := convertRefs(pos)
	if err != nil {
		return err
	}
	if err := completeOptions(&opts, dst); err != nil {
		return err
	}
	// The destination is judged (and locked) before any source is read.
	out, err := prepareOutput(dst, sourceDirs(srcs), *force, e.stdout)
	if err != nil {
		return err
	}
	defer out.close()
	spills := &tempSpills{}
	defer spills.remove()
	opts.Spill = spills.new
	sources, closeSources, err := e.openSources(ctx, srcs, opts.Hashing.Limits)
	defer closeSources()
	if err != nil {
		return err
	}
	if err := e.adjust(&loaders, &opts, sources, dst); err != nil {
		return err
	}
	plan, err := e.plan(ctx, sources, opts)
	if err != nil {
		return err
	}
	if err := e.write(ctx, out, plan); err != nil {
		return err
	}
	e.checkOutput(ctx, dst)
	e.wrote(dst, plan)
	return e.suits(ctx, dst, &loaders)
}

// optionFlags binds convert's flags to the core's one parser of options:
// each flag's text goes to convert.Options.Set, as the browser's options do.
func optionFlags(fs *flag.FlagSet, o *convert.Options) {
	set := func(name string) func(string) error { return func(v string) error { return o.Set(name, v) } }
	fs.Func("t", "add a name (repeatable)", set("tag"))
	fs.Func("tag", "add a name (repeatable)", set("tag"))
	fs.Func("additional-tag", "alias of --tag", set("tag"))
	fs.Func("platform", "take os/arch[/variant] from a multi-platform image (repeatable)", set("platform"))
	fs.BoolFunc("oci-strict", "oci-archive: leave out the docker manifest.json that lets docker load it", set("oci-strict"))
	fs.BoolFunc("all-platforms", "keep every platform of a multi-platform image (docker-archive, dir)", set("all-platforms"))
	fs.BoolFunc("keep-absent", "keep index entries whose manifests the source lacks (default: leave them out, with a notice)", set("keep-absent"))
	fs.Func("format", "manifest format of the output: oci or v2s2 (default: keep the source's)", set("format"))
	fs.Func("compress", "layer compression: keep, gzip, zstd or none (default: keep, but zstd becomes gzip in a docker-archive; keep says keep it)", set("compress"))
	fs.Func("compress-level", "compression level (gzip 1-9, zstd 1-22; default: the encoder's)", set("compress-level"))
	limitFlags(fs, o)
}

// limitFlags are the expansion limits, for every command that reads a source.
func limitFlags(fs *flag.FlagSet, o *convert.Options) {
	set := func(name string) func(string) error { return func(v string) error { return o.Set(name, v) } }
	fs.Func("max-expansion", fmt.Sprintf("refuse a compressed archive or layer that expands past RATIO times its size, once past %d GiB (default %d; 0: no limit)",
		convert.ExpansionFloor>>30, convert.DefaultLimits.MaxExpansion), set("max-expansion"))
	fs.Func("max-expanded", fmt.Sprintf("refuse a compressed archive or layer that expands past SIZE (default %dGiB; 0: no limit)",
		convert.DefaultLimits.MaxExpanded>>30), set("max-expanded"))
}

// convertRefs reads convert's SRC... DST arguments.
func convertRefs(pos []string) (srcs []Ref, dst Ref, err error) {
	if len(pos) < 2 {
		return nil, dst, usagef("convert takes SRC [SRC...] DST, got %d arguments (retar convert --help)", len(pos))
	}
	stdin := 0
	for _, a := range pos[:len(pos)-1] {
		r, err := ParseRef(a)
		if err != nil {
			return nil, dst, usageError{err.Error()}
		}
		if r.Path == "-" {
			if stdin++; stdin > 1 {
				return nil, dst, usagef("standard input (-) can be one SRC only")
			}
		}
		srcs = append(srcs, r)
	}
	if dst, err = ParseRef(pos[len(pos)-1]); err != nil {
		return nil, dst, usageError{err.Error()}
	}
	if dst.Layout == "" {
		if t, _, ok := strings.Cut(dst.Path, ":"); ok && !strings.ContainsAny(t, "/.") {
			return nil, dst, usagef("DST %q: unknown transport %q (docker-archive, oci-archive, oci, dir; a bare path is an oci-archive)", dst.Path, t)
		}
		// A bare destination is the archive every loader takes: an
		// oci-archive with a docker manifest.json (retar's hybrid).
		dst.Layout = convert.OCIArchive
	}
	if strings.HasPrefix(dst.Pick, "@") {
		return nil, dst, usagef("DST %s: :@N picks a source image; a destination takes a name", dst)
	}
	return srcs, dst, nil
}

// completeOptions adds what the command line says outside the flags (DST's
// layout and name, the host, SOURCE_DATE_EPOCH) and validates the whole,
// before anything is read.
func completeOptions(opts *convert.Options, dst Ref) error {
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
func sourceDirs(srcs []Ref) []string {
	var dirs []string
	for _, src := range srcs {
		if fi, err := os.Stat(src.Path); err == nil && fi.IsDir() && src.Path != "-" {
			dirs = append(dirs, src.Path)
		}
	}
	return dirs
}

// openSources opens every SRC; closeAll releases what opening took, however
// far it got.
func (e *env) openSources(ctx context.Context, srcs []Ref, lim convert.Limits) (sources []convert.Source, closeAll func(), err error) {
	var opened []*source
	closeAll = func() {
		for _, s := range opened {
			s.Close()
		}
	}
	for _, src := range srcs {
		s, err := openSource(ctx, src, e.stdin, lim)
		if err != nil {
			return nil, closeAll, err
		}
		opened = append(opened, s)
		a, err := convert.Open(s.in)
		if err != nil {
			return nil, closeAll, err
		}
		e.notices(a.Warnings)
		sources = append(sources, convert.Source{Archive: a, Pick: src.Pick})
	}
	return sources, closeAll, nil
}

// plan runs the conversion's stages, with progress and notices.
func (e *env) plan(ctx context.Context, sources []convert.Source, opts convert.Options) (*convert.Plan, error) {
	prog := e.progress("verifying")
	opts.Hashing.Progress = prog.set
	plan, err := convert.Bundle(ctx, sources, opts)
	prog.done()
	if err != nil {
		return nil, err
	}
	e.notices(plan.Warnings)
	return plan, nil
}

// write writes the plan, with progress.
func (e *env) write(ctx context.Context, out *output, plan *convert.Plan) error {
	prog := e.progress("writing")
	written := convert.Progress{TotalBytes: plan.TarSize()}
	err := out.write(ctx, plan, func(n int64) { written.Bytes += n; prog.set(written) })
	prog.done()
	return err
}

// wrote says what was written, an image a line.
func (e *env) wrote(dst Ref, plan *convert.Plan) {
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

// maxEpoch is the latest time a tar header holds in its fixed fields
// (8^11 - 1 seconds, in 2242).
const maxEpoch = 1<<33 - 1

// modTime is the time stamped on tar entries: SOURCE_DATE_EPOCH if set, else
// 0. A value that is not a whole number of seconds in range is refused before
// anything is read, as the reproducible-builds specification asks.
func modTime() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Unix(0, 0), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > maxEpoch {
		return time.Time{}, usagef("SOURCE_DATE_EPOCH=%q: want a whole number of seconds from 0 to %d", s, maxEpoch)
	}
	return time.Unix(n, 0), nil
}

func (e *env) notices(ws []string) {
	if e.quiet {
		return
	}
	for _, w := range ws {
		fmt.Fprintf(e.stderr, "retar: notice: %s\n", w)
	}
}

// progress prints "verifying 120/800 MiB" on a terminal, at most ten times a second.
type progress struct {
	e     *env
	what  string
	last  time.Time
	shown bool
}

func (e *env) progress(what string) *progress { return &progress{e: e, what: what} }

func (p *progress) set(c convert.Progress) {
	if p.e.quiet || !p.e.tty || time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last, p.shown = time.Now(), true
	blobs := ""
	if c.TotalBlobs > 0 {
		blobs = fmt.Sprintf(", %d/%d blobs", c.Blobs, c.TotalBlobs)
	}
	what := p.what
	if c.Phase != "" {
		what = c.Phase
	}
	fmt.Fprintf(p.e.stderr, "\r\033[K%s %d/%d MiB%s", what, c.Bytes>>20, c.TotalBytes>>20, blobs)
}

func (p *progress) done() {
	if p.shown {
		fmt.Fprint(p.e.stderr, "\r\033[K")
	}
}

const inspectHelp = `Usage: retar inspect [--raw | --config] SRC

Print what an image is, as skopeo inspect does: names, digest, platform,
layers, env and labels; plus every image the source holds and its warnings.
  --raw     the manifest as stored (for a docker-archive, the one retar derives)
  --config  the image config as stored

Examples:
  retar inspect image.tar
  retar inspect --config oci:./layout:app:1
  retar inspect --platform linux/arm64 oci-archive:multi.tar

Flags:
`

func (e *env) inspect(ctx context.Context, args []string) error {
	fs := e.flags("inspect", inspectHelp)
	raw := fs.Bool("raw", false, "print the stored manifest")
	config := fs.Bool("config", false, "print the image config")
	fs.Func("platform", "os/arch[/variant] to describe from a multi-platform image", func(v string) error { return e.opts.Set("platform", v) })
	limitFlags(fs, &e.opts)
	a, src, closeSrc, err := e.openOne(ctx, fs, args, "inspect")
	if err != nil {
		return err
	}
	defer closeSrc()
	in, err := a.Inspect(ctx, convert.InspectOptions{Pick: src.Pick, Platforms: e.opts.Platforms,
		Host: ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH}, Hashing: convert.Hashing{Limits: e.opts.Hashing.Limits}})
	if err != nil {
		return err
	}
	switch {
	case *raw:
		_, err = e.stdout.Write(in.RawManifest)
		return err
	case *config:
		_, err = e.stdout.Write(in.RawConfig)
		return err
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "    ")
	return enc.Encode(in)
}

func (e *env) verify(ctx context.Context, args []string) error {
	fs := e.flags("verify", "Usage: retar verify SRC\n\nCheck every blob against its digest and size, every layer against its diff_id\n(compressed layers are decompressed for it) and every reference.\n\nExamples:\n  retar verify image.tar\n  retar verify dir:./image\n\nFlags:\n")
	limitFlags(fs, &e.opts)
	a, src, closeSrc, err := e.openOne(ctx, fs, args, "verify")
	if err != nil {
		return err
	}
	defer closeSrc()
	prog := e.progress("verifying")
	r, err := a.Verify(ctx, convert.Hashing{Progress: prog.set, Limits: e.opts.Hashing.Limits})
	prog.done()
	if err != nil {
		return err // the notices would repeat it
	}
	e.notices(a.Warnings)
	for i, img := range r.Images {
		names := "no name"
		if len(img.Names) > 0 {
			names = strings.Join(img.Names, ", ")
		}
		fmt.Fprintf(e.stdout, "@%d %s %s (%s)\n", i, img.Digest, img.MediaType, names)
	}
	for _, ab := range r.Absent {
		fmt.Fprintf(e.stdout, "absent: %s\n", ab)
	}
	fmt.Fprintf(e.stdout, "%s: ok: %d blobs, %d bytes verified\n", src.Path, r.Blobs, r.Bytes)
	return nil
}

func (e *env) manifestDigest(args []string) error {
	flags := e.flags("manifest-digest", "Usage: retar manifest-digest FILE\n\nPrint the sha256 digest of a manifest file's bytes.\n\nExample:\n  retar manifest-digest ./image/manifest.json\n\nFlags:\n")
	pos, err := e.parse(flags, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("manifest-digest takes one FILE (retar manifest-digest --help)")
	}
	name := pos[0]
	var r io.Reader = e.stdin
	if name != "-" {
		fi, err := os.Stat(name)
		if err != nil {
			return err
		}
		var f *os.File
		switch {
		case fi.Mode().IsRegular():
			f, err = os.Open(name)
		case fi.Mode()&fs.ModeNamedPipe != 0:
			f, err = openFIFO(name)
		default:
			return fmt.Errorf("%s: is %s, not a manifest file", name, modeName(fi.Mode()))
		}
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, convert.MaxManifestSize+1))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > convert.MaxManifestSize {
		return fmt.Errorf("%s: over the %d MiB limit for manifests", name, convert.MaxManifestSize>>20)
	}
	if len(data) == 0 {
		return fmt.Errorf("%s: empty: not a manifest", name)
	}
	fmt.Fprintln(e.stdout, digest.FromBytes(data))
	return nil
}

const checkHelp = `Usage: retar check [--for CONSUMERS] [--json] SRC

Say, for each loader, whether it takes the archive, under which names, with
which command, and why not: docker <= 24, 25-28 and 29+ in each image store,
ctr images import on containerd 1.6/1.7, 2.0, 2.1/2.2, 2.3 and 2.4, kind's
and k3s's imports, nerdctl, podman load and skopeo. The verdicts come from
the archive's shape: facts measured on those tools by make interop, or, where
a verdict says so, read from the loader's code.

--for takes a comma-separated list of the loaders below (ids, groups, or
aliases); the exit status is then 1 when one of them will not load it.

Examples:
  retar check image.tar
  retar check --for docker,containerd --json bundle.tar

Flags:
`

func (e *env) check(ctx context.Context, args []string) error {
	fs := e.flags("check", strings.Replace(checkHelp, "\nFlags:\n", "\nLoaders (--for; measured: make interop compares the verdict with the loader):\n"+check.IDs()+"\nFlags:\n", 1))
	forList := fs.String("for", "", "consumers that must load it: exit 1 when one will not")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	limitFlags(fs, &e.opts)
	a, src, closeSrc, err := e.openOne(ctx, fs, args, "check")
	if err != nil {
		return err
	}
	defer closeSrc()
	r := check.Archive(a, ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH})
	var failed []string
	if *forList != "" {
		for _, c := range strings.Split(*forList, ",") {
			bad, err := r.Fails(strings.TrimSpace(c))
			if err != nil {
				return err
			}
			if bad {
				failed = append(failed, strings.TrimSpace(c))
			}
		}
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	} else {
		printCheck(e.stdout, r)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%s: will not load in %s", src.Path, strings.Join(failed, ", "))
	}
	return nil
}

func printCheck(w io.Writer, r *check.Report) {
	fmt.Fprintf(w, "%s: %s, %d image(s)\n", r.Source, r.Layout, len(r.Images))
	for _, v := range r.Consumers {
		state := "loads"
		if !v.Loads {
			state = "WILL NOT LOAD"
		}
		names := "no name"
		if len(v.Names) > 0 {
			names = strings.Join(v.Names, ", ")
		}
		if v.Consumer == "skopeo" && v.Loads {
			state, names = "reads it", "" // it copies; it registers no name
		}
		fmt.Fprintf(w, "%-62s %s", v.Title, state)
		if v.Loads && names != "" {
			fmt.Fprintf(w, " as %s", names)
		}
		fmt.Fprintln(w)
		if v.Loads && v.Command != "" {
			fmt.Fprintf(w, "    $ %s\n", v.Command)
		}
		fmt.Fprintf(w, "    (%s)\n", v.Basis)
		for _, p := range v.Problems {
			fmt.Fprintf(w, "    - %s\n", p)
		}
	}
}

// checkOutput prints, after a conversion, the loaders its output will not
// suit, as retar check would say.
func (e *env) checkOutput(ctx context.Context, dst Ref) {
	if e.quiet || !dst.Layout.IsArchive() || dst.Path == "-" {
		return
	}
	if fi, err := os.Stat(dst.Path); err != nil || !fi.Mode().IsRegular() {
		return // written through a FIFO or a device: nothing to read back
	}
	s, err := openSource(ctx, Ref{Path: dst.Path}, nil, e.opts.Hashing.Limits)
	if err != nil {
		return
	}
	defer s.Close()
	a, err := convert.Open(s.in)
	if err != nil {
		return
	}
	for _, v := range check.Archive(a, ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH}).Consumers {
		if !v.Loads && len(v.Problems) > 0 {
			fmt.Fprintf(e.stderr, "retar: check: %s will not load it: %s\n", v.Title, v.Problems[0])
		}
	}
}

// openOne parses a command's flags and its one SRC, and opens it; closeSrc
// releases what opening took (temporary decompressed copies).
func (e *env) openOne(ctx context.Context, fs *flag.FlagSet, args []string, cmd string) (a *convert.Archive, src Ref, closeSrc func(), err error) {
	pos, err := e.parse(fs, args)
	if err != nil {
		return nil, src, nil, err
	}
	if len(pos) != 1 {
		return nil, src, nil, usagef("%s takes one SRC (retar %s --help)", cmd, cmd)
	}
	if src, err = ParseRef(pos[0]); err != nil {
		return nil, src, nil, usageError{err.Error()}
	}
	s, err := openSource(ctx, src, e.stdin, e.opts.Hashing.Limits)
	if err != nil {
		return nil, src, nil, err
	}
	if a, err = convert.Open(s.in); err != nil {
		s.Close()
		return nil, src, nil, err
	}
	return a, src, s.Close, nil
}
