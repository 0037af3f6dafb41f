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

// needs are what the output must be for the loaders, each naming the
// loaders that need it.
type needs struct {
	archive      []string // a tar, not a directory layout (every loader but skopeo)
	manifestJSON []string // docker's manifest.json (the classic image store)
	noZstd       []string // gzip, not zstd, layers (docker ≤ 24)
	name         []string // a name for every image (ctr registers nothing without one)
	fullName     []string // ... a docker reference, not a bare tag (k3s cannot retag one)
	noAbsent     []string // no index entry without its manifest (an --all-platforms import)
	allPlatforms []string // every platform present kept (kind imports with --all-platforms)
	hostPlatform []string // the host's platform only (containerd 2.0's --all-platforms is broken)
	bytes        []string // every layer's bytes (the loader unpacks the image)
	k3sFile      []string // a file name k3s picks up from agent/images/
	oneOrHybrid  []string // several images only with manifest.json (podman's OCI path takes one)
}

func (f *For) needs() needs {
	var n needs
	add := func(list *[]string, id string) { *list = append(*list, id) }
	for _, id := range f.ids {
		if id != "skopeo" {
			add(&n.archive, id)
		}
		switch {
		case id == "docker-24":
			add(&n.manifestJSON, id)
			add(&n.noZstd, id)
			add(&n.bytes, id)
		case id == "docker-25" || id == "docker-29-classic":
			add(&n.manifestJSON, id)
			add(&n.bytes, id)
		case id == "docker-29-containerd":
			add(&n.bytes, id)
		case id == "docker-containerd" || strings.HasPrefix(id, "ctr-"):
			add(&n.name, id)
			add(&n.bytes, id)
			if id == "ctr-2.0" {
				add(&n.hostPlatform, id)
			}
		case id == "kind":
			add(&n.name, id)
			add(&n.noAbsent, id)
			add(&n.allPlatforms, id)
			add(&n.bytes, id)
		case id == "k3s":
			add(&n.name, id)
			add(&n.fullName, id)
			add(&n.bytes, id)
			add(&n.k3sFile, id)
		case id == "nerdctl":
			add(&n.noAbsent, id)
			add(&n.bytes, id)
		case id == "podman":
			add(&n.oneOrHybrid, id)
		}
	}
	return n
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
	n := f.needs()
	fail := func(who []string, format string, args ...any) error {
		return fmt.Errorf("--for %s: %s", strings.Join(who, ","), fmt.Sprintf(format, args...))
	}
	if len(n.archive) > 0 && !o.To.IsArchive() {
		return nil, fail(n.archive, "these load archives, not a %s directory: write docker-archive:PATH or oci-archive:PATH", o.To)
	}
	if len(n.manifestJSON) > 0 && o.OCIStrict {
		return nil, fail(n.manifestJSON, "the classic image store reads docker's manifest.json, which --oci-strict leaves out")
	}
	var images []*convert.Image
	for _, s := range sources {
		imgs, err := s.Archive.Select(s.Pick)
		if err != nil {
			return nil, err
		}
		images = append(images, imgs...)
	}
	var zstd bool
	var absentBytes, unnamed, bareTag []string
	multi, hostIn := false, false
	for i, img := range images {
		label := fmt.Sprintf("image @%d", i)
		if len(img.Names) > 0 {
			label = img.Names[0].String()
		}
		s := img.Summarize()
		zstd = zstd || s.Zstd
		for _, d := range s.AbsentForeign {
			absentBytes = append(absentBytes, "foreign layer "+d.String())
		}
		absentBytes = append(absentBytes, s.AbsentBlobs...)
		if len(s.Platforms) > 1 {
			multi = true
			hostIn = hostIn || slices.ContainsFunc(s.Platforms, func(p *ocispec.Platform) bool { return convert.MatchPlatform(p, o.Host) })
		}
		switch named, full := nameOf(img, o); {
		case !named:
			unnamed = append(unnamed, label)
		case !full:
			bareTag = append(bareTag, label)
		}
	}
	how := "give one with -t NAME, or DST:NAME"
	switch {
	case len(n.name) > 0 && len(unnamed) > 0:
		return nil, fail(n.name, "%s has no name these register (ctr and k3s register nothing without one, kind only a digest reference): %s", summarize(unnamed), how)
	case len(n.fullName) > 0 && len(bareTag) > 0:
		return nil, fail(n.fullName, "%s is named by a bare tag only, which k3s registers as it is and cannot retag: give a full name with -t NAME, or DST:NAME", summarize(bareTag))
	case len(n.bytes) > 0 && len(absentBytes) > 0:
		return nil, fail(n.bytes, "the source lacks %s, which these need to unpack the image; no output can carry them", summarize(absentBytes))
	case len(n.noAbsent) > 0 && o.KeepAbsent:
		return nil, fail(n.noAbsent, "--keep-absent keeps index entries without their manifests, on which an --all-platforms (or host platform) import fails")
	case len(n.oneOrHybrid) > 0 && len(images) > 1 && o.OCIStrict:
		return nil, fail(n.oneOrHybrid, "podman reads one image from an OCI archive without manifest.json, and --oci-strict leaves it out")
	}
	if len(n.noZstd) > 0 {
		switch {
		case o.Recompress && o.Compress == convert.Zstd:
			return nil, fail(n.noZstd, "--compress zstd: docker before 23 cannot load zstd layers")
		case zstd && o.KeepZstd:
			return nil, fail(n.noZstd, "--compress keep keeps the source's zstd layers, which docker before 23 cannot load")
		case zstd && !o.Recompress && o.To != convert.DockerArchive:
			// a docker-archive gets gzip by default; an oci-archive keeps zstd
			if err := o.Set("compress", "gzip"); err != nil {
				return nil, err
			}
			notes = append(notes, fmt.Sprintf("--for %s: layers re-encoded to gzip (docker before 23 cannot load zstd; the image ID stays)", strings.Join(n.noZstd, ",")))
		}
	}
	if len(n.k3sFile) > 0 {
		if dst == "-" {
			notes = append(notes, "--for k3s: put the archive in agent/images/ under a name ending in .tar")
		} else if file, ok := K3sFileName(dst, ""); !ok {
			return nil, fail(n.k3sFile, "k3s picks up agent/images/ files by name, and retar writes a plain tar: name DST %s", file)
		}
	}
	if multi && len(o.Platforms) == 0 && !o.AllPlatforms {
		switch {
		case len(n.hostPlatform) > 0 && len(n.allPlatforms) > 0:
			return nil, fmt.Errorf("--for %s: no output suits both: %s imports one platform (its --all-platforms fails), %s imports every platform of the index", f.String(), strings.Join(n.hostPlatform, ","), strings.Join(n.allPlatforms, ","))
		case len(n.hostPlatform) > 0 && hostIn:
			if err := o.Set("platform", convert.PlatformString(&o.Host)); err != nil {
				return nil, err
			}
			notes = append(notes, fmt.Sprintf("--for %s: the host's platform (%s) taken from the index, so a plain import needs no --all-platforms", strings.Join(n.hostPlatform, ","), convert.PlatformString(&o.Host)))
		case len(n.allPlatforms) > 0 && (o.To == convert.DockerArchive || o.To == convert.Dir):
			if err := o.Set("all-platforms", "true"); err != nil {
				return nil, err
			}
			notes = append(notes, fmt.Sprintf("--for %s: every platform present kept (it imports with --all-platforms)", strings.Join(n.allPlatforms, ",")))
		}
	}
	return notes, o.Validate()
}

// Check judges the written output, opened: an error naming each loader
// (of those Set gave) that will not load it, and why.
func (f *For) Check(a *convert.Archive) error {
	if len(f.ids) == 0 {
		return nil
	}
	host := f.host
	if host.OS == "" {
		host = ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH}
	}
	var bad []string
	for _, v := range Archive(a, host).Consumers {
		if slices.Contains(f.ids, v.Consumer) && !v.Loads {
			why := "it will not"
			if len(v.Problems) > 0 {
				why = v.Problems[0]
			}
			bad = append(bad, v.Consumer+" ("+why+")")
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s: --for %s: will not load in %s", a.Source, f.String(), strings.Join(bad, "; "))
	}
	return nil
}
