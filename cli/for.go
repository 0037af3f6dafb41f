package cli

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"slices"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/retar-dev/retar/check"
	"github.com/retar-dev/retar/convert"
)

// adjust sets the options the --for loaders need (check.For.Adjust), with
// a notice for each thing it set.
func (e *env) adjust(loaders *check.For, opts *convert.Options, sources []convert.Source, dst imageRef) error {
	notes, err := loaders.Adjust(opts, sources, dst.Path)
	e.notices(notes)
	return err
}

// loaderNotices are convert's notices of a fact check judges too: after a
// conversion whose output check reads back, check says it (or, with --for,
// says what the loaders asked for make of it), and the notice is left out.
var loaderNotices = []struct {
	said *regexp.Regexp
	fact check.Fact
}{
	{regexp.MustCompile(`^image \S+ has no name: ctr images import will register nothing`), check.FactNoName},
	{regexp.MustCompile(`^image \S+ is named only by the tag `), check.FactBareTag},
	{regexp.MustCompile(`^image \S+ has zstd layers: docker load before 23\.0 cannot read them`), check.FactZstdLayers},
	{regexp.MustCompile(`^\S+ lists \S+ \(.*\) but the source does not hold it; kept in the index`), check.FactAbsentManifests},
}

// A held notice waits for check's judgement of the output.
type held struct {
	text string
	fact check.Fact
}

// noticesHolding prints a plan's notices but those of a fact check judges
// too, which it returns.
func (e *env) noticesHolding(ws []string) []held {
	var hs []held
	for _, w := range ws {
		i := slices.IndexFunc(loaderNotices, func(n struct {
			said *regexp.Regexp
			fact check.Fact
		}) bool {
			return n.said.MatchString(w)
		})
		if i < 0 {
			e.notices([]string{w})
			continue
		}
		hs = append(hs, held{w, loaderNotices[i].fact})
	}
	return hs
}

// judge reads the written output back and has check judge it, then says
// what was written. With --for: an error saying why each of those loaders
// that will not load it will not. Without: a line per fact for the loaders
// that will not, the output's main readers first (check.ReadersFirst), each
// fix fitted to the conversion conv. A held notice is printed where check
// could not judge, or said nothing of its fact.
func (e *env) judge(ctx context.Context, dst imageRef, conv check.Conversion, sources []convert.Source, plan *convert.Plan, hs []held) error {
	asked := e.loaders.IDs()
	r, err := e.readBack(ctx, dst, len(asked) > 0)
	if err != nil && len(asked) > 0 {
		return err
	}
	var lines []check.Line
	if r != nil && len(asked) == 0 {
		var from []convert.Layout
		for _, s := range sources {
			from = append(from, s.Archive.Layout)
		}
		lines = r.Failing(check.ReadersFirst(conv.Options, from...), &conv)
	}
	if !e.quiet {
		for _, h := range hs {
			said := slices.ContainsFunc(lines, func(l check.Line) bool { return l.Fact == h.fact })
			if r == nil || !said && len(asked) == 0 {
				fmt.Fprintf(e.stderr, "retar: notice: %s\n", h.text)
			}
		}
		for _, l := range lines {
			fmt.Fprintf(e.stderr, "retar: %s\n", l.Text)
		}
	}
	e.wrote(dst, plan)
	if r == nil || len(asked) == 0 {
		return nil
	}
	return e.loaders.Judge(r, &conv)
}

// readBack opens a written output and has check judge it; nil where it
// cannot be read back: standard output, a FIFO or a device. Without --for
// (forAsked) only an archive is judged, and not under -q: a directory
// layout is for skopeo, and every other loader would say it reads archives.
func (e *env) readBack(ctx context.Context, dst imageRef, forAsked bool) (*check.Report, error) {
	if dst.Path == "-" || !forAsked && (e.quiet || !dst.Layout.IsArchive()) {
		return nil, nil
	}
	fi, err := os.Stat(dst.Path)
	if err != nil || !fi.Mode().IsRegular() && !fi.IsDir() {
		return nil, nil
	}
	s, err := openSource(ctx, imageRef{Path: dst.Path, Layout: dst.Layout}, nil, e.opts.Hashing.Limits)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	a, err := convert.Open(s.in)
	if err != nil {
		return nil, err
	}
	host := ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH}
	return check.Archive(a, host), nil
}
