// retar convert --for: what each loader needs of an output, set before the
// conversion (Adjust) and judged once it is written (Check). The rules
// Adjust applies are in the files of their families.

package check

import (
	"fmt"
	"runtime"
	"slices"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/retar-dev/retar/convert"
)

// For is the loaders a conversion's output must suit (retar convert --for):
// Adjust sets the options they need before the conversion, from the sources;
// Check judges the output once written, as retar check does.
type For struct {
	names []string // as given (ids, aliases, groups), in order
	ids   []string // what they stand for, each once
	host  ocispec.Platform
}

// Set adds a comma-separated list of loaders (ids, aliases or groups, as
// retar check --for takes them); unknown names are a usage error.
func (f *For) Set(list string) error {
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		ids, err := expand(name)
		if err != nil {
			return err
		}
		f.names = append(f.names, name)
		for _, id := range ids {
			if !slices.Contains(f.ids, id) {
				f.ids = append(f.ids, id)
			}
		}
	}
	return nil
}

// IDs are the loaders' ids, each once, in the order given.
func (f *For) IDs() []string { return f.ids }

// String is the list as given.
func (f *For) String() string { return strings.Join(f.names, ",") }

// A need is one thing a loader needs of the output.
type need int

const (
	needArchive      need = iota // a tar, not a directory layout (every loader but skopeo)
	needManifestJSON             // docker's manifest.json (the classic image store)
	needNoZstd                   // gzip, not zstd, layers (docker ≤ 24)
	needName                     // a name for every image (ctr registers nothing without one)
	needFullName                 // ... a docker reference, not a bare tag (k3s cannot retag one)
	needNoAbsent                 // no index entry without its manifest (an --all-platforms import)
	needAllPlatforms             // every platform present kept (kind imports with --all-platforms)
	needHostPlatform             // the host's platform only (containerd 2.0's --all-platforms is broken)
	needBytes                    // every layer's bytes (the loader unpacks the image)
	needK3sFile                  // a file name k3s picks up from agent/images/
	needOneOrHybrid              // several images only with manifest.json (podman's OCI path takes one)
)

// loaderNeeds are what each loader needs of an output.
var loaderNeeds = map[string][]need{
	"docker-24":            {needArchive, needManifestJSON, needNoZstd, needBytes},
	"docker-25":            {needArchive, needManifestJSON, needBytes},
	"docker-29-classic":    {needArchive, needManifestJSON, needBytes},
	"docker-containerd":    {needArchive, needName, needBytes},
	"docker-29-containerd": {needArchive, needBytes},
	"ctr-1.6":              {needArchive, needName, needBytes},
	"ctr-2.0":              {needArchive, needName, needBytes, needHostPlatform},
	"ctr-2.1":              {needArchive, needName, needBytes},
	"ctr-2.3":              {needArchive, needName, needBytes},
	"ctr-2.4":              {needArchive, needName, needBytes},
	"kind":                 {needArchive, needName, needNoAbsent, needAllPlatforms, needBytes},
	"k3s":                  {needArchive, needName, needFullName, needBytes, needK3sFile},
	"nerdctl":              {needArchive, needNoAbsent, needBytes},
	"podman":               {needArchive, needOneOrHybrid},
	"skopeo":               nil,
}

// needs are the loaders given that need each thing, in the order given.
func (f *For) needs() map[need][]string {
	n := map[need][]string{}
	for _, id := range f.ids {
		for _, k := range loaderNeeds[id] {
			n[k] = append(n[k], id)
		}
	}
	return n
}

// An adjusting is one Adjust under way: the options it sets, the loaders
// by what they need, what it read off the sources' images, and the notices
// so far.
type adjusting struct {
	f       *For
	o       *convert.Options
	sources []convert.Source
	dst     string // the destination path, "-" for standard output
	needs   map[need][]string
	notes   []string

	images      []*convert.Image
	zstd        bool     // a zstd layer
	absentBytes []string // layers and configs the sources lack
	unnamed     []string // images without a name in the output
	bareTag     []string // ... named by a bare tag alone
	multi       bool     // an index of several platforms
	hostIn      bool     // ... the host's among them
}

// fail is an error saying why no output suits the loaders who.
func (s *adjusting) fail(who []string, format string, args ...any) error {
	return fmt.Errorf("--for %s: %s", strings.Join(who, ","), fmt.Sprintf(format, args...))
}

// note says what was set for the loaders who.
func (s *adjusting) note(who []string, format string, args ...any) {
	s.notes = append(s.notes, fmt.Sprintf("--for %s: %s", strings.Join(who, ","), fmt.Sprintf(format, args...)))
}

// outputRules are what Adjust refuses or sets, in order: each returns an
// error saying why no output suits the loaders that need something, or
// sets the options they need, with a notice. The first two look at the
// options alone, before the sources are read.
var outputRules = []func(*adjusting) error{
	forArchive, forManifestJSON,
	readImages,
	forName, forFullName, forBytes, forNoAbsent, forOneOrHybrid,
	forNoZstd, forK3sFile, forPlatforms,
}

// Adjust sets, through o.Set, what the loaders need of the output, before
// the conversion, from the sources (as opened) and the destination path
// ("-" for standard output); it returns notices saying what it set, or an
// error saying why no output can suit them all. o is validated again.
func (f *For) Adjust(o *convert.Options, sources []convert.Source, dst string) (notes []string, err error) {
	if len(f.ids) == 0 {
		return nil, nil
	}
	f.host = o.Host
	s := &adjusting{f: f, o: o, sources: sources, dst: dst, needs: f.needs()}
	for _, rule := range outputRules {
		if err := rule(s); err != nil {
			return nil, err
		}
	}
	return s.notes, o.Validate()
}

// preview is what the conversion, as the options stand, makes of the
// sources' images, by convert's own rules.
func (s *adjusting) preview() convert.Preview {
	var from []convert.Layout
	for _, src := range s.sources {
		from = append(from, src.Archive.Layout)
	}
	return convert.NewPreview(*s.o, from...)
}

// readImages reads off the sources' images what the rules after it ask.
func readImages(s *adjusting) error {
	for _, src := range s.sources {
		imgs, err := src.Archive.Select(src.Pick)
		if err != nil {
			return err
		}
		s.images = append(s.images, imgs...)
	}
	for i, img := range s.images {
		label := fmt.Sprintf("image @%d", i)
		if len(img.Names) > 0 {
			label = img.Names[0].String()
		}
		sum := img.Summarize()
		s.zstd = s.zstd || sum.Zstd
		for _, d := range sum.AbsentForeign {
			s.absentBytes = append(s.absentBytes, "foreign layer "+d.String())
		}
		s.absentBytes = append(s.absentBytes, sum.AbsentBlobs...)
		if len(sum.Platforms) > 1 {
			s.multi = true
			s.hostIn = s.hostIn || slices.ContainsFunc(sum.Platforms, func(p *ocispec.Platform) bool { return convert.MatchPlatform(p, s.o.Host) })
		}
		switch named, full := nameOf(img, s.preview()); {
		case !named:
			s.unnamed = append(s.unnamed, label)
		case !full:
			s.bareTag = append(s.bareTag, label)
		}
	}
	return nil
}

// Check judges the written output, opened, for the loaders Set gave: an
// error saying why each that will not load it will not, one fact at a
// time; conv is the conversion that wrote it, which the fixes fit.
func (f *For) Check(a *convert.Archive, conv *Conversion) error {
	if len(f.ids) == 0 {
		return nil
	}
	host := f.host
	if host.OS == "" {
		host = ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH}
	}
	r := Archive(a, host)
	return f.Judge(r, conv)
}

// Judge is Check of a report already made.
func (f *For) Judge(r *Report, conv *Conversion) error {
	failed := r.Failed(f.ids)
	if len(failed) == 0 {
		return nil
	}
	var why []string
	for _, l := range r.Failing(f.ids, conv) {
		why = append(why, l.Text)
	}
	return fmt.Errorf("%s: will not load in %s (--for %s): %s", r.Source, Who(failed), f.String(), strings.Join(why, "; "))
}
