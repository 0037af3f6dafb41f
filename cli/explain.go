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
	"github.com/retar-dev/retar/convert"
)

const explainHelp = `Match what a loader printed (docker load in docker 20.10 and 29 in either
image store, ctr images import on containerd 1.6 to 2.4, kind load
image-archive, k3s's agent/images import, nerdctl load, podman load, skopeo
copy) against the messages retar check quotes, and say which loaders print
it, what in the archive makes them, and the retar command that fixes it.
The loader's variable parts (digests, paths, names, numbers) may be
anything: paste its output as it is; MESSAGE - reads it from stdin.

Given the ARCHIVE the loader was given, it runs retar check's analysis on
it: it says whether the archive has the fact (or, if not, that the message
does not fit this archive, and what else could cause it) and prints the
fixing command for this archive, its path and the layout the loader needs.
-t NAME fills in the name a fix that names the image needs.

A message it does not know is said to be unknown, with the known messages
nearest to it (a score over their words). --json prints all of it.

Exit status: 0 when the message is known; 1 when it is not; 2 for a usage
error or an archive that cannot be read.
`

// maxMessage bounds what MESSAGE - reads: a loader's output, not a log.
const maxMessage = 1 << 20

func (e *env) explainCommand() *cobra.Command {
	var asJSON bool
	var name string
	cmd := &cobra.Command{
		Use:   "explain [--json] [-t NAME] MESSAGE [ARCHIVE]",
		Short: "Say what a loader's error means of an archive, and the fix",
		Long:  explainHelp,
		Example: `  retar explain 'ctr: unrecognized image format'
  retar explain 'Error response from daemon: invalid archive: does not contain a manifest.json' image.tar
  retar explain --json -t example.com/app:1 'Loaded image ID: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef' skopeo.tar`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 || strings.TrimSpace(args[0]) == "" {
				return usagef("explain takes a MESSAGE and, optionally, the ARCHIVE (retar explain --help)")
			}
			return nil
		},
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 1 {
				return completeRefs(cmd, args, toComplete)
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.explain(cmd.Context(), args, name, asJSON)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&asJSON, "json", false, "print the explanation as JSON")
	fs.StringVarP(&name, "tag", "t", "", "NAME: the name a fix that names the image gives (else NAME is printed)")
	return cmd
}

// Explanation is retar explain's answer, as --json prints it.
type Explanation struct {
	SchemaVersion int                  `json:"schemaVersion"`
	Message       string               `json:"message"`
	Known         bool                 `json:"known"`
	Matches       []check.KnownMessage `json:"matches"`
	Nearest       []check.Near         `json:"nearest,omitempty"`
	Archive       *ExplainedArchive    `json:"archive,omitempty"`
}

// ExplainedArchive is the message held against the archive.
type ExplainedArchive struct {
	Source    string         `json:"source"`
	Layout    convert.Layout `json:"layout"`
	Confirmed bool           `json:"confirmed"`
	Fits      []check.Fit    `json:"fits"`
	// Verdicts are check's verdicts for the loaders that print the
	// message: what else it says of the archive when nothing fits.
	Verdicts []check.Verdict `json:"verdicts"`

	file string // the archive as commands name it: a stream's as saved
}

func (e *env) explain(ctx context.Context, args []string, name string, asJSON bool) error {
	msg := args[0]
	if msg == "-" {
		if len(args) == 2 && args[1] == "-" {
			return usagef("explain: MESSAGE and ARCHIVE cannot both be stdin (-)")
		}
		b, err := io.ReadAll(io.LimitReader(e.stdin, maxMessage+1))
		if err != nil || len(b) > maxMessage {
			return usagef("explain: MESSAGE - reads at most %d bytes of a loader's output from stdin", maxMessage)
		}
		if msg = string(b); strings.TrimSpace(msg) == "" {
			return usagef("explain: MESSAGE - read nothing from stdin")
		}
	}
	x := Explanation{SchemaVersion: 1, Message: msg, Matches: check.Match(msg)}
	x.Known = len(x.Matches) > 0
	if !x.Known {
		x.Nearest = check.Nearest(msg, 5)
		x.Matches = []check.KnownMessage{}
	}
	if len(args) == 2 {
		a, _, closeSrc, err := e.openOne(ctx, args[1])
		if err != nil {
			return statusError{err, exitUsage}
		}
		defer closeSrc()
		r := check.Archive(a, ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH})
		x.Archive = explainArchive(r, x.Matches, name, check.File(a))
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(x); err != nil {
			return err
		}
	} else {
		printExplanation(e.stdout, x)
	}
	if !x.Known { // said on stdout already: the status alone, as diff's "different"
		return statusError{nil, exitFail}
	}
	return nil
}

// explainArchive holds the matches against check's report on the archive;
// a fix that names the image gets name, where one is given.
func explainArchive(r *check.Report, matches []check.KnownMessage, name, file string) *ExplainedArchive {
	out := &ExplainedArchive{Source: r.Source, Layout: r.Layout, Fits: r.Fits(matches, file, fixOutput(file)), Verdicts: []check.Verdict{}, file: file}
	if out.Fits == nil {
		out.Fits = []check.Fit{}
	}
	if len(matches) == 0 { // an unknown message: what stops a loader here
		for _, v := range r.Consumers {
			if !v.Loads {
				out.Verdicts = append(out.Verdicts, v)
			}
		}
	}
	seen := map[string]bool{}
	for i, f := range out.Fits {
		out.Confirmed = out.Confirmed || f.Confirmed
		if f.Confirmed && f.Problem.Fix != nil && name != "" {
			out.Fits[i].Command = named(*f.Problem.Fix, name).Line(r.Source, fixOutput(r.Source))
		}
		if !seen[f.Loader] {
			seen[f.Loader] = true
			for _, v := range r.Consumers {
				if v.Consumer == f.Loader {
					out.Verdicts = append(out.Verdicts, v)
				}
			}
		}
	}
	return out
}

// named is a fix with the name it leaves to the user filled in.
func named(x check.Fix, name string) check.Fix {
	opts := make([]check.Option, len(x.Options))
	for i, o := range x.Options {
		if o.Value == check.Placeholder {
			o.Value = name
		}
		opts[i] = o
	}
	x.Options = opts
	return x
}

// A messageGroup is the loaders that print one known message for one fact.
type messageGroup struct {
	check.KnownMessage
	ids, measured []string
}

// groupMatches groups matches by message and fact, in their order.
func groupMatches(ms []check.KnownMessage) []*messageGroup {
	var out []*messageGroup
	at := map[string]*messageGroup{}
	for _, m := range ms {
		key := m.Message + "\x00" + string(m.Fact)
		g, ok := at[key]
		if !ok {
			g = &messageGroup{KnownMessage: m}
			at[key] = g
			out = append(out, g)
		}
		g.ids = append(g.ids, m.Loader)
		if m.Measured {
			g.measured = append(g.measured, m.Loader)
		}
	}
	return out
}

// printExplanation says what the message means, and of the archive.
func printExplanation(w io.Writer, x Explanation) {
	if !x.Known {
		fmt.Fprintln(w, "unknown: retar check quotes no such message of any loader")
		if len(x.Nearest) == 0 {
			fmt.Fprintln(w, "no message it knows shares a word with it")
		} else {
			fmt.Fprintln(w, "\nthe nearest it knows:")
		}
		for _, n := range x.Nearest {
			fmt.Fprintf(w, "  %.2f  %q (%s)\n", n.Score, n.Message, check.Who(n.Loaders))
		}
		if x.Archive != nil {
			fmt.Fprintf(w, "\nwhat retar check finds in %s that stops a loader:\n", x.Archive.Source)
			printVerdicts(w, x.Archive.Verdicts)
		}
		return
	}
	src := "ARCHIVE"
	if x.Archive != nil {
		src = x.Archive.file
	}
	for i, g := range groupMatches(x.Matches) {
		if i > 0 {
			fmt.Fprintln(w)
		}
		basis := "quoted in retar check's rules, not compared with the loader"
		if len(g.measured) > 0 {
			basis = "measured by make interop in " + check.Who(g.measured)
		}
		part := ""
		if g.Partial {
			part = " (the output holds part of it)"
		}
		fmt.Fprintf(w, "%q%s, printed by %s: %s (%s)\n", g.Message, part, check.Who(g.ids), g.Head, basis)
		switch {
		case x.Archive != nil:
		case g.Fix == nil && g.Fact == check.FactAbsentBytes:
			fmt.Fprintf(w, "    load the archive it was made against first, or fill in what it lacks from it:\n        $ %s\n", check.ApplyLine(src))
		case g.Fix == nil:
			fmt.Fprintln(w, "    no conversion fixes it")
		default:
			fmt.Fprintf(w, "    to %s:\n        $ %s\n", g.Fix.Title, g.Fix.Line(src, fixOutput(src)))
		}
	}
	if x.Archive != nil {
		fmt.Fprintln(w)
		printFits(w, x.Archive)
	}
}

// printFits says which facts check finds in the archive, with the fixing
// command; or that the message does not fit it, and what else could.
func printFits(w io.Writer, a *ExplainedArchive) {
	if !a.Confirmed {
		fmt.Fprintf(w, "it does not fit %s (%s): retar check finds none of these facts in it. What it says of it for these loaders:\n", a.Source, layoutWords(a.Layout))
		printVerdicts(w, a.Verdicts)
		fmt.Fprintf(w, "Else the archive the loader read was not this one, or it changed on the way (%s says whether every blob is whole), or the loader failed for a reason of its own (disk, daemon, permissions).\n", check.Quoted("retar", "verify", a.file))
		return
	}
	type said struct{ ids []string }
	var order []string
	byText := map[string]*said{}
	cmds := map[string]string{}
	for _, f := range a.Fits {
		if !f.Confirmed {
			continue
		}
		key := f.Problem.String()
		if byText[key] == nil {
			byText[key] = &said{}
			order = append(order, key)
			cmds[key] = f.Command
		}
		byText[key].ids = append(byText[key].ids, f.Loader)
	}
	fmt.Fprintf(w, "it fits %s (%s):\n", a.Source, layoutWords(a.Layout))
	for _, k := range order {
		fmt.Fprintf(w, "  - %s: %s\n", check.Who(byText[k].ids), k)
		if cmds[k] != "" {
			fmt.Fprintf(w, "    $ %s\n", cmds[k])
		}
	}
}

// printVerdicts says what check says of each loader, a line each.
func printVerdicts(w io.Writer, vs []check.Verdict) {
	if len(vs) == 0 {
		fmt.Fprintln(w, "  nothing")
	}
	for _, v := range vs {
		say := "loads it"
		if !v.Loads {
			say = "will not load it"
		}
		if len(v.Problems) > 0 {
			say += ": " + strings.Join(v.Problems, "; ")
		}
		fmt.Fprintf(w, "  %s: %s\n", v.Title, say)
	}
}
