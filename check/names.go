// Names: what each loader registers for an image, from the names the
// archive gives it (RepoTags, index.json's annotations, bare tags), and
// what name an output of retar convert will carry.

package check

import (
	"fmt"
	"sort"
	"strings"

	"github.com/distribution/reference"
	"github.com/retar-dev/retar/convert"
)

// namesOf lists the images' full names (get picks which), each once, sorted.
func namesOf(a *convert.Archive, get func(*convert.Image) []convert.Name) []string {
	seen := map[string]bool{}
	var out []string
	for _, img := range a.Images {
		for _, n := range get(img) {
			if n.Ref != nil && !seen[n.String()] {
				seen[n.String()] = true
				out = append(out, n.String())
			}
		}
	}
	sort.Strings(out)
	return out
}

// podmanName is what podman 4.3 registers for a RepoTag as written: a name
// without a registry goes under localhost/ (measured), not docker.io.
func podmanName(t string) string {
	first, _, hasSlash := strings.Cut(t, "/")
	if !hasSlash || !strings.ContainsAny(first, ".:") && first != "localhost" {
		n := "localhost/" + t
		if r, err := reference.ParseNormalizedNamed(n); err == nil {
			return reference.TagNameOnly(r).String()
		}
		return n
	}
	return normalized(t)
}

// normalized is a name as convert reads it (docker.io/library/... for a
// short one), or as written where it is none.
func normalized(t string) string {
	if n, err := convert.ParseName(t); err == nil {
		return n.String()
	}
	return t
}

// familiar is a name as docker prints it ("retar:1" for docker.io/library/retar:1).
func familiar(name string) string {
	if r, err := reference.ParseNormalizedNamed(name); err == nil {
		return reference.FamiliarString(r)
	}
	return name
}

// allRaw reports whether every name is a bare tag, not a docker reference.
func allRaw(names []convert.Name) bool {
	for _, n := range names {
		if n.Ref != nil {
			return false
		}
	}
	return true
}

// importName is the name containerd's ctr and kind register for an index.json
// name: a bare tag under the import-DATE prefix, a full name as it is.
func importName(n string) string {
	if strings.ContainsAny(n, "/:@") {
		return n
	}
	return "import-YYYY-MM-DD:" + n
}

// A naming is how a loader on containerd's importer registers the names
// the importer reads (facts.ctrNames, ctrTagOnly, ctrUnnamed).
type naming struct {
	// tagOnly is what it registers for an image named by the tag t alone,
	// the problem that makes, and what it prints ("" for nothing).
	tagOnly func(t string) (name, problem, message string)
	sorted  bool   // full names and tags listed together, sorted
	unnamed string // the problem an image without a name makes (its fix: a name)
	// registersNothing: an image without a name is not imported; with
	// no image named, nothing loads.
	registersNothing bool
}

// importNaming: ctr and kind register a tag alone under the import-DATE
// prefix.
func importNaming(t string) (string, string, string) {
	return importName(t), fmt.Sprintf("named only by the tag %q: registered as %s", t, importName(t)), ""
}

// registersNothing is what ctr and k3s do with an image without a name:
// the import succeeds (ctr exits 0), and registers nothing.
const registersNothing = "an image without a name: the import registers nothing for it, and reports no error"

var ctrNaming = naming{
	tagOnly:          importNaming,
	unnamed:          registersNothing,
	registersNothing: true,
}

// k3sRetagFails is what k3s prints when it cannot add an image's
// NAME@DIGEST reference: for a bare tag, which it registers as it is.
const k3sRetagFails = "failed to retag images: failed to parse tag for image "

// importerNaming is how each loader on containerd's importer registers
// names (docker 29's containerd store: docker29Names).
var importerNaming = map[string]naming{
	"docker-containerd": ctrNaming, // its rules are ctr's
	"ctr-1.6":           ctrNaming,
	"ctr-2.0":           ctrNaming,
	"ctr-2.1":           ctrNaming,
	"ctr-2.3":           ctrNaming,
	"ctr-2.4":           ctrNaming,
	"kind": {
		tagOnly: importNaming,
		unnamed: "an image without a name: registered only as import-DATE@sha256:DIGEST (kind imports with --digests), which no pod names",
	},
	"k3s": {
		tagOnly: func(t string) (string, string, string) {
			return t, fmt.Sprintf("named only by the tag %q: k3s registers it as %q and fails to add its digest reference (\"failed to retag images: failed to parse tag for image %s\"); no pod can name it", t, t, t), k3sRetagFails + t
		},
		sorted:           true,
		unnamed:          registersNothing,
		registersNothing: true,
	},
	"nerdctl": {
		tagOnly: func(t string) (string, string, string) {
			return t, fmt.Sprintf("named only by the tag %q: registered as %q, which no other tool resolves", t, t), ""
		},
		sorted:  true,
		unnamed: "an image without a name: registered only as SNAPSHOTTER@sha256:DIGEST (overlayfs@sha256:...)",
	},
}

// containerdNames gives the verdict of a loader on containerd's importer
// the names it registers, as importerNaming says, with what to do about a
// tag alone or no name.
func containerdNames(f facts, v *Verdict) {
	n := importerNaming[v.Consumer]
	v.Names = append([]string(nil), f.ctrNames...)
	for _, t := range f.ctrTagOnly {
		name, problem, message := n.tagOnly(t)
		v.Names = append(v.Names, name)
		if message != "" {
			v.Message = message
		}
		v.note(Problem{Fact: FactBareTag, Text: problem, Fix: fixFullName(f)})
	}
	if n.sorted {
		sort.Strings(v.Names)
	}
	if f.ctrUnnamed {
		p := Problem{Fact: FactNoName, Text: n.unnamed, Fix: fixName(f)}
		if n.registersNothing && len(v.Names) == 0 {
			p.Does = "will register nothing"
			v.fail(p)
		} else {
			v.note(p)
		}
	}
}

// docker29Names: docker 29's containerd store names what containerd's
// importer reads; an image named by a tag alone or by nothing loads all
// the same, known by its ID.
func docker29Names(f facts, v *Verdict) {
	v.Names = f.ctrNames
	switch {
	case len(f.ctrTagOnly) > 0:
		t := f.ctrTagOnly[0]
		v.Message = "Loaded image: " + t + ":latest"
		v.note(Problem{Fact: FactBareTag, Text: fmt.Sprintf("named only by the tag %q: docker prints \"Loaded image: %s:latest\", lists the image as <none> and keeps %q in containerd", t, t, t), Fix: fixFullName(f)})
	case f.ctrUnnamed:
		v.Message = "Loaded image ID: sha256:"
		v.note(Problem{Fact: FactNoName, Text: "an image without a name: it loads untagged (" + quoteMsg(loadedByID) + "), known by its ID", Fix: fixName(f)})
	case len(v.Names) > 0:
		v.Message = "Loaded image: " + familiar(v.Names[0])
	}
}

// dockerClassicNames: docker's classic store names the images by their
// RepoTags; docker 29 prints the first.
func dockerClassicNames(f facts, v *Verdict, version int) {
	v.Names = namesOf(f.a, func(i *convert.Image) []convert.Name { return i.RepoTags })
	if len(v.Names) == 0 {
		v.note(Problem{Fact: FactNoName, Text: "no RepoTags: the image loads untagged, known by its ID only", Fix: fixName(f)})
		if version >= 29 {
			v.Message = "Loaded image ID: sha256:"
		}
	} else if version >= 29 {
		v.Message = "Loaded image: " + familiar(v.Names[0])
	}
}

// podmanIndexName: podman's OCI path names a one-entry index's image by
// io.containerd.image.name, else by ref.name (a bare tag T as
// localhost/T:latest).
func podmanIndexName(f facts, v *Verdict) {
	img := f.a.Images[0]
	for _, n := range img.Annotations {
		if n.Ref != nil {
			v.Names = []string{n.String()}
			break
		}
	}
	if v.Names == nil && len(img.Annotations) > 0 {
		t := img.Annotations[0].Raw
		v.Names = []string{"localhost/" + t + ":latest"}
		v.note(Problem{Fact: FactBareTag, Text: fmt.Sprintf("named only by the tag %q: podman registers localhost/%s:latest", t, t), Fix: fixFullName(f)})
	}
}

// podmanDockerNames: podman's docker-archive path names the images by
// their RepoTags, one without a registry under localhost/.
func podmanDockerNames(f facts, v *Verdict) {
	seen := map[string]bool{}
	for _, img := range f.a.Images {
		for _, t := range img.RawTags {
			if n := podmanName(t); !seen[n] {
				seen[n] = true
				v.Names = append(v.Names, n)
			}
		}
	}
	sort.Strings(v.Names)
	if len(f.shortDocker) > 0 {
		v.note(Problem{Fact: FactShortNames, Text: "RepoTags without a registry (" + strings.Join(f.shortDocker, ", ") + ") go under localhost/", Fix: fixFullNames()})
	}
}

// nameOf says whether the image will have a name in the output, and
// whether a full docker name (not a bare tag alone): the conversion's
// preview says which names it carries and which the output keeps.
func nameOf(img *convert.Image, p convert.Preview) (named, full bool) {
	for _, n := range p.Names(img) {
		switch {
		case !p.Keeps(n):
			// a bare tag or a digest where only name:tag is held
		case n.Ref != nil:
			return true, true
		default:
			named = true // a bare tag, as an OCI ref.name
		}
	}
	return named, false
}

// forName: ctr and k3s register nothing for an image without a name, kind
// only a digest reference.
func forName(s *adjusting) error {
	if who := s.needs[needName]; len(who) > 0 && len(s.unnamed) > 0 {
		return s.fail(who, "%s has no name these register (ctr and k3s register nothing without one, kind only a digest reference): give one with -t NAME, or DST:NAME", summarize(s.unnamed))
	}
	return nil
}

// forFullName: k3s cannot retag an image named by a bare tag.
func forFullName(s *adjusting) error {
	if who := s.needs[needFullName]; len(who) > 0 && len(s.bareTag) > 0 {
		return s.fail(who, "%s is named by a bare tag only, which k3s registers as it is and cannot retag: give a full name with -t NAME, or DST:NAME", summarize(s.bareTag))
	}
	return nil
}
