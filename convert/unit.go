package convert

import (
	"sort"

	"github.com/opencontainers/go-digest"
)

// A layoutUnit is one layout, reading and writing together: how a source of
// its kind is recognised and read into the model, what a destination of its
// kind can hold, how an output is laid out, and what a directory of its kind
// may hold. The stages ask the destination's unit, and nothing outside the
// units tells one layout from another; adding a layout is one unit and one
// line in registry.go, or, from outside the package, a LayoutUnit and one
// RegisterLayout call (outsideunit.go).
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

// manifestPick is how the options pick one manifest for a destination that
// holds what h says.
func (o Options) manifestPick(h holding) manifestPick {
	return manifestPick{platforms: o.Platforms, host: o.Host, indexKept: o.AllPlatforms || h.filtersIndex, holder: h.holder}
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

// collect lists the distinct blobs below the images, sorted by digest.
func collect(out []outImage) []*Blob {
	byDigest := map[digest.Digest]*Blob{}
	for _, o := range out {
		for _, root := range append([]*Node{o.root}, o.referrers...) {
			_ = root.walk(func(n *Node) error {
				if n.Blob != nil {
					byDigest[n.Blob.Digest] = n.Blob
				}
				return nil
			})
		}
	}
	blobs := make([]*Blob, 0, len(byDigest))
	for _, b := range byDigest {
		blobs = append(blobs, b)
	}
	sort.Slice(blobs, func(i, j int) bool { return blobs[i].Digest < blobs[j].Digest })
	return blobs
}
