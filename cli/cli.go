// Package cli is the retar command: flags, files and progress around the
// convert core. Main runs it in-process, so tests drive it as users do.
package cli

import (
	"context"
	"encoding/json"
	"errors"
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
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/retar-dev/retar/check"
	"github.com/retar-dev/retar/convert"
)

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

const rootHelp = `retar rewrites container image archives between layouts: docker-archive,
oci-archive, an OCI layout directory (oci:) and a containers/image dir:
layout. It adds or fixes names, verifies every digest on the way, and keeps
every digest it can.

SRC and DST are TRANSPORT:PATH[:REF] as skopeo spells them:
  docker-archive:PATH[:REF|:@N]  oci-archive:PATH[:REF]  oci:PATH[:REF]  dir:PATH
A SRC may also be a bare path; its layout is detected from its content
(compressed archives too: gzip, zstd, bzip2, xz).
`

const rootExample = `  retar convert docker-archive:image.tar oci-archive:fixed.tar:quay.io/curl/curl:latest
  retar convert image.tar dir:./image
  retar inspect oci-archive:fixed.tar
  retar verify image.tar
  retar check --for docker,containerd image.tar`

type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	quiet          bool
	tty            bool            // stderr is a terminal: progress bars
	progress       string          // --progress: auto, plain, json, none
	opts           convert.Options // what the command's flags set
	force          bool            // convert --force
	loaders        check.For       // convert --for
}

// Main runs retar with args (without the program name) and returns its exit
// status: 0 done, 1 failed, 2 usage. Every error is one line on stderr,
// "retar: ...".
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	// A bug must still end in one line and a status, with nothing left behind.
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "retar: internal error: %v\n", oneLine(fmt.Errorf("%v", r)))
			code = exitFail
		}
	}()
	if f, ok := stderr.(*os.File); ok && isTerminal(f) {
		e.tty = true
	}
	root := e.command()
	if len(args) == 0 {
		root.SetOut(stderr)
		root.Help() //nolint:errcheck // to stderr, as a usage error
		return exitUsage
	}
	root.SetArgs(args)
	ctx, stop, signaled := withSignals(stderr)
	defer stop()
	err := root.ExecuteContext(ctx)
	if sig := signaled(); sig != nil && err != nil {
		err = errInterrupted{sig}
	}
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue) || errors.Is(err, convert.ErrUsage):
		fmt.Fprintf(stderr, "retar: %v\n", oneLine(err))
		return exitUsage
	default:
		fmt.Fprintf(stderr, "retar: %v\n", oneLine(err))
		return exitFail
	}
}

// Command is the retar command tree that Main runs, on the process's
// standard streams: for generators of documentation (make man) and of shell
// completion.
func Command() *cobra.Command {
	return (&env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}).command()
}

// The commands are listed in the order of use, convert first, not sorted.
func init() { cobra.EnableCommandSorting = false }

// command builds the command tree over e: every command, its flags (GNU
// style, anywhere on the line), its help, examples and completions.
func (e *env) command() *cobra.Command {
	root := &cobra.Command{
		Use:           "retar",
		Short:         "Rewrite container image archives between layouts",
		Long:          rootHelp,
		Example:       rootExample,
		Version:       buildVersion().Version,
		SilenceErrors: true, // Main prints errors, one line each
		SilenceUsage:  true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			hint := ""
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				hint = fmt.Sprintf(": did you mean %s?", s[0])
			}
			return usagef("unknown command %q%s (retar --help)", args[0], hint)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			cmd.SetOut(e.stderr)
			cmd.Help() //nolint:errcheck
			return usagef("no command given")
		},
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetVersionTemplate("retar {{.Version}}\n")
	// retar alone is not a command: its usage lists the commands only.
	root.SetUsageTemplate(strings.Replace(root.UsageTemplate(), "{{if .Runnable}}", "{{if and .Runnable (not .HasAvailableSubCommands)}}", 1))
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		name := cmd.Name()
		if cmd != root {
			name = "retar " + name
		}
		var iv *pflag.InvalidValueError
		if errors.As(err, &iv) {
			err = fmt.Errorf("--%s %q: %w", iv.GetFlag().Name, iv.GetValue(), errors.Unwrap(err))
		}
		return usagef("%s: %v (%s --help)", cmd.Name(), err, name)
	})
	pf := root.PersistentFlags()
	pf.BoolVarP(&e.quiet, "quiet", "q", false, "no progress and no notices")
	e.progress = "auto"
	pf.Var(progressFlag{&e.progress}, "progress", "progress on stderr: auto (bars on a terminal, else none), plain (a line a step), json (JSON lines), none")
	root.RegisterFlagCompletionFunc("progress", fixedValues("auto", "plain", "json", "none")) //nolint:errcheck
	root.AddCommand(e.convertCommand(), e.inspectCommand(), e.verifyCommand(), e.checkCommand(), e.manifestDigestCommand(), e.versionCommand())
	return root
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

// arguments says how many positional arguments a command takes, as a
// usage error naming them.
func arguments(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s takes %s (retar %s --help)", cmd.Name(), what, cmd.Name())
		}
		return nil
	}
}

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

SRC - reads the archive (compressed or not) from standard input, written
once to a temporary file in TMPDIR; DST - writes it to standard output.

` + destPolicy

const convertExample = `  retar convert docker-archive:image.tar oci-archive:fixed.tar:quay.io/curl/curl:latest
  retar convert image.tar dir:./image
  retar convert -t app:1 -t app:latest skopeo.tar docker-archive:named.tar
  retar convert multi.tar:@1 oci:./layout
  retar convert --format v2s2 --compress gzip oci:./layout:app:1 dir:./app
  retar convert --platform linux/amd64 multiarch.tar oci-archive:amd64.tar
  retar convert app.tar docker-archive:db.tar:@0 oci:./proxy-layout:proxy:2 bundle.tar`

func (e *env) convertCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:               "convert [flags] SRC [SRC...] DST",
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
	return cmd
}

// loadersValue is --for as a flag: check.For parses the list.
type loadersValue struct{ *check.For }

func (loadersValue) Type() string { return "LOADERS" }

func (e *env) convert(ctx context.Context, pos []string) error {
	opts := e.opts
	srcs, dst, err := convertRefs(pos)
	if err != nil {
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
	spills := &tempSpills{}
	defer spills.remove()
	opts.Spill = spills.new
	opts.VerifyAsWritten = true // what is written is what is hashed
	opts.Hashing.Sum, opts.Hashing.Feed = mappedSum, mappedFeed
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
	defer closeAll(opened)
	if err != nil {
		return err
	}
	if err := e.adjust(&e.loaders, &opts, sources, dst); err != nil {
		return err
	}
	plan, verified, err := e.plan(ctx, sources, opts)
	if err != nil {
		return err
	}
	err = e.write(ctx, out, plan)
	verified(err)
	if err != nil {
		return err
	}
	e.checkOutput(ctx, dst)
	e.wrote(dst, plan)
	return e.suits(ctx, dst, &e.loaders)
}

// optionFlags binds convert's flags to the core's one parser of options:
// each flag's text goes to convert.Options.Set, as the browser's options do.
func optionFlags(cmd *cobra.Command, o *convert.Options) {
	fs := cmd.Flags()
	fs.VarP(optionValue(o, "tag", "stringArray"), "tag", "t", "add a name (repeatable)")
	fs.Var(optionValue(o, "tag", "stringArray"), "additional-tag", "alias of --tag")
	fs.Var(optionValue(o, "platform", "stringArray"), "platform", "take os/arch[/variant] from a multi-platform image (repeatable)")
	boolOption(fs, o, "oci-strict", "oci-archive: leave out the docker manifest.json that lets docker load it")
	boolOption(fs, o, "all-platforms", "keep every platform of a multi-platform image (docker-archive, dir)")
	boolOption(fs, o, "keep-absent", "keep index entries whose manifests the source lacks (default: leave them out, with a notice)")
	fs.Var(optionValue(o, "format", "string"), "format", "manifest format of the output: oci or v2s2 (default: keep the source's)")
	fs.Var(optionValue(o, "attestations", "string"), "attestations", "attestations, signatures and SBOMs: keep, strip, referrers (BuildKit's attestation manifests become OCI 1.1 referrers) or docker (in-toto referrers go back into the index) (default: keep)")
	fs.Var(optionValue(o, "compress", "string"), "compress", "layer compression: keep, gzip, zstd or none (default: keep, but zstd becomes gzip in a docker-archive; keep says keep it)")
	fs.Var(optionValue(o, "compress-level", "int"), "compress-level", "compression level (gzip 1-9, zstd 1-22; default: the encoder's)")
	limitFlags(cmd, o)
	cmd.RegisterFlagCompletionFunc("format", fixedValues("oci", "v2s2"))                                //nolint:errcheck
	cmd.RegisterFlagCompletionFunc("compress", fixedValues("keep", "gzip", "zstd", "none"))             //nolint:errcheck
	cmd.RegisterFlagCompletionFunc("attestations", fixedValues("keep", "strip", "referrers", "docker")) //nolint:errcheck
	cmd.RegisterFlagCompletionFunc("compress-level", noValues)                                          //nolint:errcheck
	for _, name := range []string{"tag", "additional-tag"} {
		cmd.RegisterFlagCompletionFunc(name, noValues) //nolint:errcheck
	}
	cmd.RegisterFlagCompletionFunc("platform", completePlatforms) //nolint:errcheck
}

// limitFlags are the expansion limits, for every command that reads a source.
func limitFlags(cmd *cobra.Command, o *convert.Options) {
	fs := cmd.Flags()
	fs.Var(optionValue(o, "max-expansion", "RATIO"), "max-expansion", fmt.Sprintf("refuse a compressed archive or layer that expands past RATIO times its size, once past %d GiB (default %d; 0: no limit)",
		convert.ExpansionFloor>>30, convert.DefaultLimits.MaxExpansion))
	fs.Var(optionValue(o, "max-expanded", "SIZE"), "max-expanded", fmt.Sprintf("refuse a compressed archive or layer that expands past SIZE (default %dGiB; 0: no limit)",
		convert.DefaultLimits.MaxExpanded>>30))
	cmd.RegisterFlagCompletionFunc("max-expansion", noValues) //nolint:errcheck
	cmd.RegisterFlagCompletionFunc("max-expanded", noValues)  //nolint:errcheck
}

// option is a flag whose text goes to convert.Options.Set under its name.
type option struct {
	o          *convert.Options
	name, kind string
	last       string
}

func optionValue(o *convert.Options, name, kind string) *option {
	return &option{o: o, name: name, kind: kind}
}

func (v *option) Set(s string) error {
	v.last = s
	return v.o.Set(v.name, s)
}
func (v *option) String() string { return "" } // no default shown: the usage says it
func (v *option) Type() string   { return v.kind }

// boolOption is a switch (--oci-strict, --oci-strict=false) set by name.
func boolOption(fs *pflag.FlagSet, o *convert.Options, name, usage string) {
	fs.Var(optionValue(o, name, "bool"), name, usage)
	fs.Lookup(name).NoOptDefVal = "true"
	fs.Lookup(name).DefValue = "false"
}

// convertRefs reads convert's SRC... DST arguments.
func convertRefs(pos []string) (srcs []imageRef, dst imageRef, err error) {
	if len(pos) < 2 {
		return nil, dst, usagef("convert takes SRC [SRC...] DST, got %d arguments (retar convert --help)", len(pos))
	}
	stdin := 0
	for _, a := range pos[:len(pos)-1] {
		r, err := parseRef(a)
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
	if dst, err = parseRef(pos[len(pos)-1]); err != nil {
		return nil, dst, usageError{err.Error()}
	}
	if dst.Layout == "" {
		if t := unknownTransport(dst.Path, runtime.GOOS == "windows"); t != "" {
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
			return nil, opened, err
		}
		opened = append(opened, s)
		a, err := convert.Open(s.in)
		if err != nil {
			return nil, opened, err
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
	e.notices(plan.Warnings)
	return plan, verified, nil
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

func (e *env) notices(ws []string) {
	if e.quiet {
		return
	}
	for _, w := range ws {
		fmt.Fprintf(e.stderr, "retar: notice: %s\n", w)
	}
}

const inspectHelp = `Print what an image is, as skopeo inspect does: names, digest, platform,
layers, env and labels; plus every image the source holds and its warnings.
  --raw     the manifest as stored (for a docker-archive, the one retar derives)
  --config  the image config as stored
`

func (e *env) inspectCommand() *cobra.Command {
	var raw, config bool
	cmd := &cobra.Command{
		Use:   "inspect [--raw | --config] SRC",
		Short: "Print what an image is, as skopeo inspect does",
		Long:  inspectHelp,
		Example: `  retar inspect image.tar
  retar inspect --config oci:./layout:app:1
  retar inspect --platform linux/arm64 oci-archive:multi.tar`,
		Args:              arguments(1, "one SRC"),
		ValidArgsFunction: completeRefs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.inspect(cmd.Context(), args[0], raw, config)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&raw, "raw", false, "print the stored manifest")
	fs.BoolVar(&config, "config", false, "print the image config")
	fs.Var(optionValue(&e.opts, "platform", "stringArray"), "platform", "os/arch[/variant] to describe from a multi-platform image")
	cmd.RegisterFlagCompletionFunc("platform", completePlatforms) //nolint:errcheck
	limitFlags(cmd, &e.opts)
	return cmd
}

func (e *env) inspect(ctx context.Context, arg string, raw, config bool) error {
	a, src, closeSrc, err := e.openOne(ctx, arg)
	if err != nil {
		return err
	}
	defer closeSrc()
	in, err := a.Inspect(ctx, convert.InspectOptions{Pick: src.Pick, Platforms: e.opts.Platforms,
		Host: ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH}, Hashing: convert.Hashing{Limits: e.opts.Hashing.Limits, Sum: mappedSum}})
	if err != nil {
		return err
	}
	switch {
	case raw:
		_, err = e.stdout.Write(in.RawManifest)
		return err
	case config:
		_, err = e.stdout.Write(in.RawConfig)
		return err
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "    ")
	return enc.Encode(in)
}

func (e *env) verifyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify SRC",
		Short: "Check every digest, size and reference",
		Long: `Check every blob against its digest and size, every layer against its diff_id
(compressed layers are decompressed for it) and every reference.`,
		Example: `  retar verify image.tar
  retar verify dir:./image`,
		Args:              arguments(1, "one SRC"),
		ValidArgsFunction: completeRefs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.verify(cmd.Context(), args[0])
		},
	}
	limitFlags(cmd, &e.opts)
	return cmd
}

func (e *env) verify(ctx context.Context, arg string) error {
	a, src, closeSrc, err := e.openOne(ctx, arg)
	if err != nil {
		return err
	}
	defer closeSrc()
	prog := e.meter("verifying")
	r, err := a.Verify(ctx, convert.Hashing{Progress: prog.update, Limits: e.opts.Hashing.Limits, Sum: mappedSum})
	prog.finish(err)
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

func (e *env) manifestDigestCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "manifest-digest FILE",
		Short:   "Print the digest of a manifest file",
		Long:    "Print the sha256 digest of a manifest file's bytes (- reads standard input).",
		Example: "  retar manifest-digest ./image/manifest.json",
		Args:    arguments(1, "one FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.manifestDigest(args[0])
		},
	}
}

func (e *env) manifestDigest(name string) error {
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

const checkHelp = `Say, for each loader, whether it takes the archive, under which names, with
which command, and why not: docker <= 24, 25-28 and 29+ in each image store,
ctr images import on containerd 1.6/1.7, 2.0, 2.1/2.2, 2.3 and 2.4, kind's
and k3s's imports, nerdctl, podman load and skopeo. The verdicts come from
the archive's shape: facts measured on those tools by make interop, or, where
a verdict says so, read from the loader's code.

--for takes a comma-separated list of the loaders below (ids, groups, or
aliases); the exit status is then 1 when one of them will not load it.

Loaders (measured: make interop compares the verdict with the loader):
`

func (e *env) checkCommand() *cobra.Command {
	var forList string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check [--for CONSUMERS] [--json] SRC",
		Short: "Say which loaders take an archive, under which names",
		Long:  checkHelp + check.IDs(),
		Example: `  retar check image.tar
  retar check --for docker,containerd --json bundle.tar`,
		Args:              arguments(1, "one SRC"),
		ValidArgsFunction: completeRefs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.check(cmd.Context(), args[0], forList, asJSON)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&forList, "for", "", "consumers that must load it: exit 1 when one will not")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.RegisterFlagCompletionFunc("for", completeLoaders) //nolint:errcheck
	limitFlags(cmd, &e.opts)
	return cmd
}

func (e *env) check(ctx context.Context, arg, forList string, asJSON bool) error {
	a, src, closeSrc, err := e.openOne(ctx, arg)
	if err != nil {
		return err
	}
	defer closeSrc()
	r := check.Archive(a, ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH})
	var failed []string
	if forList != "" {
		for _, c := range strings.Split(forList, ",") {
			bad, err := r.Fails(strings.TrimSpace(c))
			if err != nil {
				return err
			}
			if bad {
				failed = append(failed, strings.TrimSpace(c))
			}
		}
	}
	if asJSON {
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
func (e *env) checkOutput(ctx context.Context, dst imageRef) {
	if e.quiet || !dst.Layout.IsArchive() || dst.Path == "-" {
		return
	}
	if fi, err := os.Stat(dst.Path); err != nil || !fi.Mode().IsRegular() {
		return // written through a FIFO or a device: nothing to read back
	}
	s, err := openSource(ctx, imageRef{Path: dst.Path}, nil, e.opts.Hashing.Limits)
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

// openOne opens a command's one SRC; closeSrc releases what opening took
// (temporary decompressed copies).
func (e *env) openOne(ctx context.Context, arg string) (a *convert.Archive, src imageRef, closeSrc func(), err error) {
	if src, err = parseRef(arg); err != nil {
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
