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
// kind can hold, and how an output is laid out. The stages ask the
// destination's unit; adding a layout is one unit and one line below.
type layoutUnit interface {
	// detects reports whether a source is of this kind, by its files.
	detects(a *Archive) bool
	// read adds the source's images to a.
	read(a *Archive) error
	// holds says what a destination of this kind holds in this conversion.
	holds(c *conversion) holding
	// write lays the conversion's images out in its plan.
	write(c *conversion) error
}

// holding is what a destination holds, for the stages to ask instead of
// carrying a flag per layout.
type holding struct {
	// oneManifest: one image manifest per image; an index is narrowed to
	// one platform, unless --all-platforms keeps it.
	oneManifest bool
	oneImage    bool // a single image (names and tags then apply to it)
	// filtersIndex: an index is kept and its platforms filtered by
	// --platform (instead of one manifest picked).
	filtersIndex bool
	// ociFamily: a docker-archive image's derived manifest is written as an
	// OCI one, as skopeo and docker 25+ write OCI layouts.
	ociFamily bool
	// storesManifests: manifests are stored as bytes, so their digests
	// mean something; a docker-archive stores none.
	storesManifests bool
	loadersName     bool // loaders register names from it: missing names are worth a notice
	// refNames: names given for it are OCI ref.names, kept as typed (see
	// OCIName); elsewhere they are docker references.
	refNames bool
	// dockerLoads: docker load is its main reader, so zstd layers become
	// gzip unless kept explicitly (docker reads zstd from 23.0 on).
	dockerLoads bool
	// sparse: configs and layers the source lacks are carried as
	// descriptors, as the OCI image layout allows.
	sparse bool
	// referrers: an image's signatures, attestations and SBOMs go with it
	// (an OCI layout); elsewhere they are left out, with a notice.
	referrers bool
}

func unitOf(l Layout) layoutUnit {
	for _, r := range registry {
		if r.layout == l {
			return r.unit
		}
	}
	return nil
}

// IsArchive reports whether the layout is a single tar file.
func (l Layout) IsArchive() bool {
	for _, r := range registry {
		if r.layout == l {
			return r.archive
		}
	}
	return false
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
