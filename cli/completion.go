package cli

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/retar-dev/retar/check"
	"github.com/retar-dev/retar/convert"
)

// Shell completion: cobra's `retar completion bash|zsh|fish|powershell`
// scripts call `retar __complete ARGS...`, which lands in the functions here.

// transports are what a SRC or DST starts with: every layout the registry
// has when completion asks, those registered after this package's
// variables were set included.
func transports() (ts []string) {
	for _, l := range convert.Layouts() {
		ts = append(ts, string(l)+":")
	}
	return ts
}

// completeRefs completes a SRC or DST: a transport, then a path after it
// (directories only, for a layout that is a directory), or a bare path.
func completeRefs(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	var out []string
	t, rest, hasColon := strings.Cut(toComplete, ":")
	if l, known := convert.ParseLayout(t); hasColon && known {
		if l.TakesName() && strings.Contains(rest, ":") && !isDrive(rest) {
			return nil, cobra.ShellCompDirectiveNoFileComp // a REF: nothing to offer
		}
		for _, p := range completePath(rest, !l.IsArchive()) {
			out = append(out, t+":"+p)
		}
	} else {
		for _, tr := range transports() {
			if strings.HasPrefix(tr, toComplete) {
				out = append(out, tr)
			}
		}
		out = append(out, completePath(toComplete, false)...)
	}
	return out, completionDirective(out)
}

// completionDirective keeps the cursor after a transport or a directory,
// where the word goes on, and never lets the shell add its own file names.
func completionDirective(out []string) cobra.ShellCompDirective {
	d := cobra.ShellCompDirectiveNoFileComp
	for _, c := range out {
		if strings.HasSuffix(c, ":") || strings.HasSuffix(c, "/") || strings.HasSuffix(c, string(filepath.Separator)) {
			return d | cobra.ShellCompDirectiveNoSpace
		}
	}
	return d
}

// maxCompletions bounds what one directory listing offers.
const maxCompletions = 500

// completePath lists the entries of the directory p is in whose names start
// as p's last element does: directories with a trailing slash, files unless
// dirsOnly. Hidden entries only when asked for with a leading dot.
func completePath(p string, dirsOnly bool) []string {
	dir := p[:strings.LastIndexAny(p, `/`+string(filepath.Separator))+1]
	base := p[len(dir):]
	ents, err := os.ReadDir(cmpDir(dir))
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, base) || strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".") {
			continue
		}
		isDir := e.IsDir()
		if e.Type()&os.ModeSymlink != 0 {
			if fi, err := os.Stat(filepath.Join(cmpDir(dir), name)); err == nil {
				isDir = fi.IsDir()
			}
		}
		switch {
		case isDir:
			out = append(out, dir+name+"/")
		case !dirsOnly:
			out = append(out, dir+name)
		}
		if len(out) == maxCompletions {
			break
		}
	}
	return out
}

func cmpDir(dir string) string {
	if dir == "" {
		return "."
	}
	return dir
}

// fixedValues completes a flag from a list.
func fixedValues(values ...string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, v := range values {
			if strings.HasPrefix(v, toComplete) {
				out = append(out, v)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// noValues offers nothing, and no file names, for a flag's free text.
func noValues(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveNoFileComp
}

// platformBudget is how long completing --platform may spend reading sources.
const platformBudget = 2 * time.Second

// completePlatforms offers the platforms the command line's sources hold,
// when they can be read quickly: uncompressed archives and layout
// directories, read without hashing, within platformBudget.
func completePlatforms(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	found := make(chan []string, 1)
	go func() { found <- platformsOf(args) }()
	var all []string
	select {
	case all = <-found:
	case <-time.After(platformBudget):
	}
	var out []string
	for _, p := range all {
		if strings.HasPrefix(p, toComplete) {
			out = append(out, p)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// platformsOf lists, sorted and once each, the platforms of the images the
// arguments that are readable sources hold.
func platformsOf(args []string) []string {
	var out []string
	for _, arg := range args {
		r, err := parseRef(arg)
		if err != nil || r.Path == "-" {
			continue
		}
		a, closeSrc, err := openQuickly(r)
		if err != nil {
			continue
		}
		for _, img := range a.Images {
			for _, p := range img.Summarize().Platforms {
				if p != nil {
					out = append(out, convert.PlatformString(p))
				}
			}
		}
		closeSrc()
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// openQuickly opens a source that needs no copy: a layout directory or an
// uncompressed archive file (compressed ones and streams take a pass
// through TMPDIR, too slow for a key press).
func openQuickly(r imageRef) (*convert.Archive, func(), error) {
	fi, err := os.Stat(r.Path)
	if err != nil {
		return nil, nil, err
	}
	if !fi.IsDir() && !fi.Mode().IsRegular() {
		return nil, nil, os.ErrInvalid
	}
	if fi.Mode().IsRegular() {
		f, err := openInput(r.Path)
		if err != nil {
			return nil, nil, err
		}
		if convert.SniffArchive(f) != "" {
			f.Close()
			return nil, nil, os.ErrInvalid
		}
		f.Close()
	}
	s, err := openSource(context.Background(), r, nil, convert.DefaultLimits)
	if err != nil {
		return nil, nil, err
	}
	a, err := convert.Open(s.in)
	if err != nil {
		s.Close()
		return nil, nil, err
	}
	return a, s.Close, nil
}

// loaderIDs are the ids `check --for` takes.
//
// completeLoaders completes a comma-separated list of loader ids: the
// element being typed, after those already given (check's and convert's
// --for).
func completeLoaders(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	done, cur := "", toComplete
	if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
		done, cur = toComplete[:i+1], toComplete[i+1:]
	}
	given := strings.Split(done, ",")
	var out []string
	for _, id := range check.LoaderIDs() {
		if strings.HasPrefix(id, cur) && !slices.Contains(given, id) {
			out = append(out, done+id)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}
