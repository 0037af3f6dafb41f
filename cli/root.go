// Package cli is the retar command: flags, files and progress around the
// convert core. Main runs it in-process, so tests drive it as users do.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"unicode"

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

// rootHelp is the root command's help: the references it shows are those
// of the layouts the registry has.
func rootHelp() string {
	return `retar rewrites container image archives between layouts: docker-archive,
oci-archive, an OCI layout directory (oci:) and a containers/image dir:
layout. It adds or fixes names, verifies every digest on the way, and keeps
every digest it can.

SRC and DST are TRANSPORT:PATH[:REF] as skopeo spells them:
` + referenceForms() + `
A SRC may also be a bare path, PATH[:REF|:@N]; its layout is detected from
its content (compressed archives too: gzip, zstd, bzip2, xz).
`
}

// referenceForms shows a reference to each layout, indented, as many to a
// line as fit in 80 columns: TRANSPORT:PATH, and [:REF|:@N] where the
// layout takes a name (a name, or the Nth image, picks a source's image).
func referenceForms() string {
	var lines []string
	line := ""
	for _, l := range convert.Layouts() {
		form := string(l) + ":PATH"
		if l.TakesName() {
			form += "[:REF|:@N]"
		}
		if line != "" && len(line)+2+len(form) > 80 {
			lines = append(lines, line)
			line = ""
		}
		line += "  " + form
	}
	return strings.Join(append(lines, line), "\n")
}

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
	volumeSize     int64           // convert --volume-size: 0 for one archive
	delta          deltaArgs       // convert --since, --base
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
	var status statusError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &status):
		if status.err != nil {
			fmt.Fprintf(stderr, "retar: %v\n", wordsFixed(oneLine(cutShort(status.err))))
		}
		return status.code
	case errors.Is(err, convert.ErrUsage):
		fmt.Fprintf(stderr, "retar: %v\n", wordsFixed(oneLine(err)))
		return exitUsage
	default:
		fmt.Fprintf(stderr, "retar: %v\n", wordsFixed(oneLine(cutShort(err))))
		return exitFail
	}
}

// Command is the retar command tree that Main runs, on the process's
// standard streams: for generators of documentation (make man) and of shell
// completion.
func Command() *cobra.Command {
	return (&env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}).command()
}

// keepCommandOrder turns off cobra's sorting of commands by name, once:
// tests build command trees in parallel, and they must not race on it.
var keepCommandOrder sync.Once

// command builds the command tree over e: every command, its flags (GNU
// style, anywhere on the line), its help, examples and completions.
func (e *env) command() *cobra.Command {
	// The commands are listed in the order of use, convert first, not
	// sorted. Cobra has no setting for this on a command, only a package
	// variable: it is set here, where the tree is built, rather than when
	// the package is imported.
	keepCommandOrder.Do(func() { cobra.EnableCommandSorting = false })
	root := &cobra.Command{
		Use:           "retar",
		Short:         "Rewrite container image archives between layouts",
		Long:          rootHelp(),
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
			if h, ok := commandHints[strings.ToLower(args[0])]; ok && hint != "" {
				hint += " " + h
			} else if ok {
				hint = ": " + h
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
		return usagef("%s: %v%s (%s --help)", cmd.Name(), err, flagHint(cmd, err), name)
	})
	pf := root.PersistentFlags()
	pf.BoolVarP(&e.quiet, "quiet", "q", false, "no progress and no notices")
	e.progress = "auto"
	pf.Var(progressFlag{&e.progress}, "progress", "progress on stderr: auto (bars on a terminal, else none), plain (a line a step), json (JSON lines), none")
	root.RegisterFlagCompletionFunc("progress", fixedValues("auto", "plain", "json", "none")) //nolint:errcheck
	root.AddCommand(e.convertCommand(), e.inspectCommand(), e.verifyCommand(), e.checkCommand(), e.diffCommand(), e.explainCommand(), e.digestsCommand(), e.manifestDigestCommand(), e.versionCommand())
	return root
}

// statusError ends a command with a status of its own (diff's 1 for
// "different", explain's 1 for "unknown"); err, when set, is printed as
// every error is.
type statusError struct {
	err  error
	code int
}

func (s statusError) Error() string {
	if s.err == nil {
		return fmt.Sprintf("exit %d", s.code)
	}
	return s.err.Error()
}

func (s statusError) Unwrap() error { return s.err }

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

// usagef is how retar says a command line cannot run as typed (a flag, an
// argument, a reference): Main prints the message, one line, and exits 2.
// The error is convert.ErrUsage to errors.Is, as the core's usage errors
// are, so Main tells both apart from failures in one test. Every usage
// error cli makes is made here; format is fmt.Errorf's (%w wraps).
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// usageError is an error of usagef's.
type usageError struct{ error }

func (usageError) Is(target error) bool { return target == convert.ErrUsage }
func (u usageError) Unwrap() error      { return u.error }

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

func (e *env) notices(ws []string) {
	if e.quiet {
		return
	}
	for _, w := range ws {
		fmt.Fprintf(e.stderr, "retar: notice: %s\n", w)
	}
}
