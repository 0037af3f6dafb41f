package convert

import (
	"fmt"
	"regexp"
	"strings"
)

// The layouts retar reads and writes: adding one is a unit (a file like
// dockerarchive.go) and a line here, or, from outside the package, a
// LayoutUnit and a RegisterLayout call. Everything the front ends ask of a
// layout (its name, whether it is an archive, whether it takes a name, what
// a directory of it may hold) is asked here, of its row.

// DefaultDestination is the layout of a destination given as a bare path:
// an oci-archive, which retar writes with docker's manifest.json beside the
// OCI index (the hybrid), so docker, containerd and podman all load it.
const DefaultDestination = OCIArchive

// registry lists the layouts. A source is of the first layout whose unit
// detects it, among those of its kind (an archive, or a directory).
var registry = []layoutRow{
	{DockerArchive, true, dockerArchive{}},
	{OCIArchive, true, ociLayout{archive: true}},
	{OCI, false, ociLayout{}},
	{Dir, false, dirLayout{}},
}

// layoutRow is one layout of the registry: its name, whether it is one tar
// file (else a directory), and its unit.
type layoutRow struct {
	layout  Layout
	archive bool
	unit    layoutUnit
}

// transportName is what a layout may be called: a word a reference can
// start with (TRANSPORT:PATH), as skopeo's transports are.
var transportName = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// RegisterLayout adds a layout, read and written by u, after those retar
// has: from then on every front end (convert and the CLI's references,
// destination policy and completion, check, the page) knows it by name, and
// a source that u detects, and no layout before it, is read as one. It
// returns l, so that a package can keep its layout's name as it registers it:
//
//	var Toy = convert.RegisterLayout("toy", toyUnit{})
//
// The registry is read without locks: register from an init function or a
// package variable's initializer, before anything converts. A name that is
// no transport name (lowercase letters, digits and inner dashes), one
// already registered, or no unit, is a programming error, and panics.
func RegisterLayout(l Layout, u LayoutUnit) Layout {
	if u == nil {
		panic(fmt.Sprintf("convert.RegisterLayout: %q has no unit", l))
	}
	if !transportName.MatchString(string(l)) {
		panic(fmt.Sprintf("convert.RegisterLayout: %q is not a transport name", l))
	}
	if _, taken := rowOf(l); taken {
		panic(fmt.Sprintf("convert.RegisterLayout: %q is registered already", l))
	}
	registry = append(registry, layoutRow{l, u.Holds().Archive, outsideUnit{layout: l, u: u}})
	return l
}

// Layouts lists the layouts retar reads and writes, in the order messages
// name them (docker-archive, oci-archive, oci, dir, then those registered
// from outside). The slice is the caller's.
func Layouts() []Layout {
	var out []Layout
	for _, r := range registry {
		out = append(out, r.layout)
	}
	return out
}

// rowOf finds a layout's row; ok is false for a name that is none.
func rowOf(l Layout) (r layoutRow, ok bool) {
	for _, r := range registry {
		if r.layout == l {
			return r, true
		}
	}
	return layoutRow{}, false
}

func unitOf(l Layout) layoutUnit {
	r, _ := rowOf(l)
	return r.unit
}

// ParseLayout accepts a transport name as skopeo spells it.
func ParseLayout(s string) (Layout, bool) {
	if unitOf(Layout(s)) != nil {
		return Layout(s), true
	}
	return "", false
}

// IsArchive reports whether the layout is a single tar file; a layout that
// is not is a directory (and a name that is no layout is neither).
func (l Layout) IsArchive() bool {
	r, _ := rowOf(l)
	return r.archive
}

// isDirectory reports whether the layout is a directory (and one retar knows).
func (l Layout) isDirectory() bool {
	r, ok := rowOf(l)
	return ok && !r.archive
}

// Owns reports whether a destination directory of layout l may hold the
// entry at rel, a slash-separated path below the directory, a directory when
// isDir: whether it is part of such a layout, so a writer may replace a
// directory all of whose entries it owns, and should refuse one holding
// anything else. An OCI layout owns oci-layout, index.json, blobs/, a
// directory per algorithm below it (blobs/sha256) and the files in those
// (blobs/sha256/<hex>, lowercase hex of a digest's length for sha256,
// sha384 and sha512); a dir: layout owns version, manifest.json,
// signature-N, and <hex>, <hex>.tar, <hex>.manifest.json and
// <hex>.signature-N, all files at its top. An archive layout owns nothing:
// it is one file.
func (l Layout) Owns(rel string, isDir bool) bool {
	u := unitOf(l)
	return u != nil && u.owns(rel, isDir)
}

// TakesName reports whether a destination of layout l carries names, so
// that a reference to one may give a name after its path
// (oci-archive:PATH:NAME); a dir: layout holds one image and no names.
func (l Layout) TakesName() bool {
	return unitOf(l) != nil && l.facts(Options{}).named
}

// facts are what a layout of kind l holds whatever the sources: what the
// options alone decide (how names given for it are read), and what a source
// of that kind may be (sparse).
func (l Layout) facts(o Options) holding { return unitOf(l).holds(o, nil) }

// layoutNames lists the layouts for messages: "docker-archive, oci-archive,
// oci or dir".
func layoutNames() string {
	names := Layouts()
	var s []string
	for _, l := range names[:len(names)-1] {
		s = append(s, string(l))
	}
	return strings.Join(s, ", ") + " or " + string(names[len(names)-1])
}

// detect finds the unit that reads a source, by its content. The layout
// named for a tar is kept when it is an archive layout (a hybrid is both an
// oci-archive and a docker-archive: the user said which).
func detect(a *Archive, named Layout) (layoutUnit, Layout, error) {
	for _, r := range registry {
		if r.archive == a.shape.Tar && r.unit.detects(a) {
			if a.shape.Tar && named.IsArchive() {
				return r.unit, named, nil
			}
			return r.unit, r.layout, nil
		}
	}
	if a.shape.Tar {
		return nil, "", a.errorf("", "no manifest.json, index.json or repositories: not an image archive")
	}
	return nil, "", a.errorf("", "no index.json or manifest.json: not an OCI layout or dir layout")
}
