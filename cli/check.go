package cli

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"

	"github.com/retar-dev/retar/check"
	"github.com/retar-dev/retar/convert"
)

const checkHelp = `Say, for each loader, whether it takes the archive, under which names, with
which command, and why not: docker <= 24, 25-28 and 29+ in each image store,
ctr images import on containerd 1.6/1.7, 2.0, 2.1/2.2, 2.3 and 2.4, kind's
and k3s's imports, nerdctl, podman load and skopeo. The verdicts come from
the archive's shape: facts measured on those loaders by make interop, or,
where a verdict says so, read from the loader's code.

It prints a line saying in how many loaders the archive loads, and which;
then the loaders that take it alike, a block for each verdict and reason
(those that will not load it first); then each fix, as a command to run.
--verbose gives each loader its own block, with the command that loads it,
what the loader prints, and what its verdict stands on (measured by make
interop, or read from the loader's code). --json prints all of it
(docs/schema/check.schema.json describes it); --format TEMPLATE prints it
through a template (below).

--for LOADERS (ids, groups or aliases; comma-separated, or --for again)
reports on those loaders only, and makes the exit status 1 when one of them
will not load the archive, saying which. A group stands for each of its
loaders: --for docker fails when any docker version or image store will not
load it (name one, --for docker-29, to ask about that one alone).

Exit status: 0; 1 when a --for loader will not load it, or the archive
cannot be read; 2 for a usage error.

` + formatHelp + `
Loaders (measured: make interop compares the verdict with the loader):
`

func (e *env) checkCommand() *cobra.Command {
	var loaders check.For
	var asJSON, verbose bool
	var format formatOutput
	cmd := &cobra.Command{
		Use:   "check [--for LOADERS] [--verbose | --json | --format TEMPLATE] SRC",
		Short: "Say which loaders take an archive, under which names",
		Long:  checkHelp + check.IDs(),
		Example: `  retar check image.tar
  retar check --for docker,containerd --json bundle.tar
  retar check --for k3s --verbose app.tar
  retar check --format '{{.source}}: {{.layout}} of {{len .images}} images' bundle.tar`,
		Args:              arguments(1, "one SRC"),
		ValidArgsFunction: completeRefs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := format.parse(cmd); err != nil {
				return err
			}
			return e.check(cmd.Context(), args[0], &loaders, &format, asJSON, verbose)
		},
	}
	fs := cmd.Flags()
	fs.Var(loadersValue{&loaders}, "for", "LOADER[,LOADER...]: report on these loaders only; exit 1 when one will not load it")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON, every loader and all it says")
	formatFlag(cmd, &format)
	fs.BoolVarP(&verbose, "verbose", "v", false, "a block per loader, with its command, what it prints and what its verdict stands on")
	cmd.RegisterFlagCompletionFunc("for", completeLoaders) //nolint:errcheck
	limitFlags(cmd, &e.opts)
	return cmd
}

func (e *env) check(ctx context.Context, arg string, loaders *check.For, format *formatOutput, asJSON, verbose bool) error {
	a, src, closeSrc, err := e.openOne(ctx, arg)
	if err != nil {
		return err
	}
	defer closeSrc()
	r := check.Archive(a, ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH})
	asked := len(loaders.IDs()) > 0
	ids, err := check.IDsOf(loaders.IDs())
	if err != nil {
		return err
	}
	if asJSON || format.set() {
		if err := format.write(e.stdout, r, "  "); err != nil {
			return err
		}
	} else {
		printCheck(e.stdout, r, ids, asked, verbose, check.File(a))
	}
	if failed := r.Failed(ids); asked && len(failed) > 0 {
		return fmt.Errorf("%s: will not load in %s (--for %s)", src.Path, check.Who(failed), loaders.String())
	}
	return nil
}

// printCheck prints the report on the loaders ids (asked: those asked for
// with --for): the summary, a block per verdict and reason, the fixes, for
// the archive as file (a stream's as saved to check.StreamSaved).
func printCheck(w io.Writer, r *check.Report, ids []string, asked, verbose bool, file string) {
	fmt.Fprintln(w, r.Summary(ids, asked))
	fmt.Fprintf(w, "%s: %s of %s\n", r.Source, layoutWords(r.Layout), count(len(r.Images), "image"))
	if file != r.Source {
		fmt.Fprintf(w, "(a stream: the commands below name it saved as %s)\n", file)
	}
	fmt.Fprintln(w)
	for _, b := range r.Blocks(ids, verbose) {
		header := blockHeader(b)
		if verbose {
			header = b.Who + " — " + strings.Replace(header, " in "+b.Who, "", 1)
		}
		if len(b.Problems) > 0 || verbose {
			header += ":"
		}
		fmt.Fprintln(w, header)
		if verbose && b.Command != "" && b.Loads {
			fmt.Fprintf(w, "    $ %s\n", b.Command)
		}
		if verbose && b.Message != "" {
			fmt.Fprintf(w, "    it prints: %s\n", b.Message)
		}
		for _, p := range b.Problems {
			fmt.Fprintf(w, "  - %s\n", p)
		}
		if verbose {
			fmt.Fprintf(w, "    (%s)\n", b.Basis)
		}
	}
	if fixes := r.Remedies(ids); len(fixes) > 0 {
		fmt.Fprintln(w)
		for _, m := range fixes {
			fmt.Fprintf(w, "to %s (for %s):\n", m.Fix.Title, check.Who(m.IDs))
			fmt.Fprintf(w, "    $ %s\n", m.Fix.Line(file, fixOutput(file)))
		}
	}
}

// blockHeader says a block's verdict, and whose.
func blockHeader(b check.Block) string {
	switch {
	case !b.Loads:
		return "will not load in " + b.Who
	case b.Reads:
		return "read by " + b.Who
	case len(b.Names) == 0:
		return "loads without a name in " + b.Who
	}
	names := b.Names
	if len(names) > 4 {
		names = append(names[:4:4], fmt.Sprintf("%d more", len(b.Names)-4))
	}
	return "loads as " + check.And(names) + " in " + b.Who
}

// fixOutput is the file a fix's conversion writes, beside the archive:
// its name with -fixed before the extension.
func fixOutput(src string) string {
	base := strings.TrimSuffix(src, "/")
	for _, ext := range []string{".tar.gz", ".tar.zst", ".tgz", ".tzst", ".tar"} {
		if strings.HasSuffix(base, ext) {
			return strings.TrimSuffix(base, ext) + "-fixed.tar"
		}
	}
	return base + "-fixed.tar"
}

// layoutWords names a layout with its article: "a docker-archive", "an
// OCI layout directory".
func layoutWords(l convert.Layout) string {
	switch l {
	case convert.OCI:
		return "an OCI layout directory"
	case convert.Dir:
		return "a dir: layout"
	}
	return l.Article()
}

// count says n things: "1 image", "2 images".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
