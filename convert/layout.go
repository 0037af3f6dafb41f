package convert

import "strings"

// Layout is one of the ways an image is laid out on disk, named as skopeo
// names its transports.
type Layout string

const (
	DockerArchive Layout = "docker-archive"
	OCIArchive    Layout = "oci-archive"
	OCI           Layout = "oci"
	Dir           Layout = "dir"
)

// A layoutUnit is one layout, reading and writing together: how a source of
// its kind is recognised and read into the model, what a destination of its
// kind can hold, how an output is laid out, and what a directory of its kind
// may hold. The stages ask the destination's unit, and nothing outside the
// units tells one layout from another; adding a layout is one unit and one
// line in registry.go.
type layoutUnit interface {
	// detects reports whether a source is of this kind, by its files.
	detects(a *Archive) bool
	// read adds the source's images to a.
	read(a *Archive) error
	// holds says what a destination of this kind holds, by the options and
	// the layouts of the sources; with no sources, what the options alone
	// decide (see Layout.facts).
	holds(o Options, from []Layout) holding
	// write lays out the images in the plan.
	write(w layoutWrite) error
	// owns reports whether a directory of this kind may hold the entry at
	// rel (see Layout.Owns); false for an archive layout.
	owns(rel string, isDir bool) bool
}

// holding is what a destination holds, for the stages to ask instead of
// carrying a flag per layout.
type holding struct {
	// oneManifest: one image manifest per image; an index is narrowed to
	// one platform, unless --all-platforms keeps it.
	oneManifest bool
	oneImage    bool // a single image (names and tags then apply to it)
	named       bool // its images carry names; a dir: layout's carries none
	// tagsOnly: names are held as docker's RepoTags (name:tag), so a bare
	// tag or a digest reference is not kept.
	tagsOnly bool
	// holder names what takes one image manifest per image, for messages:
	// the layout itself, or docker's manifest.json beside an OCI layout.
	holder string
	// filtersIndex: an index is kept and its platforms filtered by
	// --platform (instead of one manifest picked).
	filtersIndex bool
	// ociFamily: a docker-archive image's derived manifest is written as an
	// OCI one, as skopeo and docker 25+ write OCI layouts.
	ociFamily bool
	// storesManifests: manifests are stored as bytes, so their digests
	// mean something; a docker-archive stores none.
	storesManifests bool
	// dockerManifest: an OCI layout with a docker manifest.json (and
	// repositories and v1 directories) pointing into its blobs, so docker
	// load takes it too: the hybrid.
	dockerManifest bool
	// hybridNotice says why the destination is written as the hybrid, when
	// that is not what its layout is (a docker-archive); "" otherwise.
	hybridNotice string
	loadersName  bool // loaders register names from it: missing names are worth a notice
	// refNames: names given for it are OCI ref.names, kept as typed (see
	// OCIName); elsewhere they are docker references. skopeo finds an
	// image by them among OCI media types only.
	refNames bool
	// dockerLoads: docker load is its main reader, so zstd layers become
	// gzip unless kept explicitly (docker reads zstd from 23.0 on).
	dockerLoads bool
	// sparse: configs and layers the source lacks are carried as
	// descriptors, as the OCI image layout allows; a source of this kind
	// may lack them too.
	sparse bool
	// referrers: an image's signatures, attestations and SBOMs go with it
	// (an OCI layout); elsewhere they are left out, with a notice.
	referrers bool
}

// parseGiven reads a name given for the destination (DST's, or -t's): an
// OCI ref.name kept as typed where it holds those (a bare tag takes the
// repository of the first of from that has one), else a docker reference.
func (h holding) parseGiven(s string, from []Name) (Name, error) {
	if h.refNames {
		return OCIName(s, from)
	}
	return ParseName(s)
}

// layoutWrite is what a destination's unit lays out: the images as they are
// written, into plan, as hold says; pick takes the one manifest of each
// image that docker's manifest.json lists, in the hybrid.
type layoutWrite struct {
	images []outImage
	plan   *Plan
	hold   holding
	pick   manifestPick
}

// outImage is an image as it will be written.
type outImage struct {
	names      []Name
	root       *Node
	referrers  []*Node  // signatures, attestations, SBOMs: written after the image
	fromDocker bool     // its manifest was derived from a docker manifest.json
	src        *Archive // where it comes from
	img        *Image
	index      int // in its source, for messages
}

// facts are what a layout of kind l holds whatever the sources: what the
// options alone decide (how names given for it are read), and what a source
// of that kind may be (sparse).
func (l Layout) facts(o Options) holding { return unitOf(l).holds(o, nil) }

func unitOf(l Layout) layoutUnit {
	r, _ := rowOf(l)
	return r.unit
}

// Article is the layout's name with its article, for messages: "an
// oci-archive", "a docker-archive".
func (l Layout) Article() string {
	if l != "" && strings.ContainsRune("aeiou", rune(l[0])) {
		return "an " + string(l)
	}
	return "a " + string(l)
}

// IsArchive reports whether the layout is a single tar file; a layout that
// is not is a directory (and a name that is no layout is neither).
func (l Layout) IsArchive() bool {
	r, _ := rowOf(l)
	return r.archive
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

// isDirectory reports whether the layout is a directory (and one retar knows).
func (l Layout) isDirectory() bool {
	r, ok := rowOf(l)
	return ok && !r.archive
}

// ParseLayout accepts a transport name as skopeo spells it.
func ParseLayout(s string) (Layout, bool) {
	if unitOf(Layout(s)) != nil {
		return Layout(s), true
	}
	return "", false
}

// layoutNames lists the layouts for messages: "docker-archive, oci-archive,
// oci or dir".
func layoutNames() string {
	var names []string
	for _, r := range registry {
		names = append(names, string(r.layout))
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
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
