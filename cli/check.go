package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"

	"github.com/retar-dev/retar/check"
)

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
