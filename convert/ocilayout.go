package convert

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ociLayout is the OCI image layout: a directory (oci:) or a tar of one
// (oci-archive:). oci-layout, index.json, blobs/<alg>/<hex>; index.json
// entries carry the names. An archive written by retar also carries docker's
// manifest.json (and repositories and v1 directories) pointing into the
// blobs, as ctr export and docker 25+ write, so docker load takes it too;
// such a hybrid is read as an OCI layout whose images docker's manifest.json
// adds RepoTags to.
type ociLayout struct {
	archive bool
}

func (u ociLayout) detects(a *Archive) bool { return a.shape.IndexJSON }

func (u ociLayout) read(a *Archive) error {
	a.lookup = ociPaths
	if err := a.readOCI(); err != nil {
		return err
	}
	if a.shape.ManifestJSON {
		return dockerArchive{}.readManifestJSON(a, true)
	}
	return nil
}

// readOCI reads oci-layout, index.json and the graph below it.
func (a *Archive) readOCI() error {
	if err := a.readLayoutVersion(); err != nil {
		return err
	}
	_, data, err := a.readFile("index.json", MaxManifestSize)
	if err != nil {
		return err
	}
	var idx struct {
		ocispec.Index
		Config json.RawMessage `json:"config"`
	}
	if err := a.jsonDecode("index.json", data, &idx); err != nil {
		return err
	}
	if idx.Config != nil {
		return a.errorf("index.json", "is an image manifest, not an index")
	}
	byDigest := map[digest.Digest]*Image{}
	subjects := map[*Image]digest.Digest{}
	a.shape.IndexEntries = len(idx.Manifests)
	defer func() {
		cosignSubjects(idx.Manifests, a.Images, subjects)
		a.attachReferrers(subjects)
	}()
	for i, d := range idx.Manifests {
		what := fmt.Sprintf("index.json entry %d", i)
		n, err := a.node(d, what, 0)
		if err != nil {
			return err
		}
		if n.Blob == nil { // an index may lack platforms; index.json may not lack its images
			return &MissingError{Source: a.Source, Digest: d.Digest, By: what}
		}
		img := byDigest[d.Digest]
		if img == nil {
			img = imageOf(n)
			byDigest[d.Digest] = img
			a.Images = append(a.Images, img)
			if s, ok := subjectOf(d, n); ok {
				subjects[img] = s
			}
		}
		names := annotationNames(d.Annotations)
		img.Names = append(img.Names, names...)
		img.Annotations = append(img.Annotations, names...)
	}
	return nil
}

func (a *Archive) readLayoutVersion() error {
	b, data, err := a.readFile("oci-layout", MaxManifestSize)
	if err != nil || b == nil {
		return err
	}
	var l ocispec.ImageLayout
	if err := a.jsonDecode("oci-layout", data, &l); err != nil {
		return err
	}
	if l.Version != ocispec.ImageLayoutVersion {
		return a.errorf("oci-layout", "unsupported imageLayoutVersion %q", l.Version)
	}
	return nil
}

// annotationNames reads an index entry's names: containerd's full name first,
// then the OCI ref name when it adds something.
func annotationNames(ann map[string]string) []Name {
	var out []Name
	ref := ann[ocispec.AnnotationRefName]
	if s := ann[annotationContainerdName]; s != "" {
		n, err := ParseName(s)
		if err != nil {
			n = Name{Raw: s}
		} else if ref != "" && (isBareTag(ref) || refName(ref).String() == n.String()) {
			// The same name as ref.name has it (a tag alone, as
			// containerd writes; or as a user typed it): kept, so an
			// OCI layout written from it is found by the same ref.name.
			n, ref = n.as(ref), ""
		}
		out = append(out, n)
	}
	if ref != "" {
		n := refName(ref)
		if n.Ref != nil || len(out) == 0 {
			out = uniqueNames(append(out, n))
		}
	}
	return out
}

func (u ociLayout) holds(o Options, from []Layout) holding {
	h := holding{named: true, holder: "docker's manifest.json", filtersIndex: true, ociFamily: true, storesManifests: true,
		dockerManifest: u.archive && !o.OCIStrict, loadersName: u.archive, refNames: true, sparse: true, referrers: true}
	// Images that came from docker are likely going back to it: the hybrid's
	// manifest.json is what docker loads.
	for _, l := range from {
		h.dockerLoads = h.dockerLoads || h.dockerManifest && l == DockerArchive
	}
	return h
}

func (u ociLayout) write(w layoutWrite) error { return writeOCI(w) }

// The names the OCI image layout allows below blobs/: an algorithm, and an
// encoded part, which for an algorithm retar knows is lowercase hex of a
// digest's length.
var (
	layoutAlgorithm = regexp.MustCompile(`^[a-z0-9]+([+._-][a-z0-9]+)*$`)
	layoutEncoded   = regexp.MustCompile(`^[a-zA-Z0-9=_-]+$`)
	knownEncoded    = regexp.MustCompile(`^([0-9a-f]{64}|[0-9a-f]{96}|[0-9a-f]{128})$`)
)

// owns oci-layout and index.json (and a delta's DeltaFile), blobs/, a directory per algorithm below
// it and the files in those; an oci-archive owns nothing, being one file.
func (u ociLayout) owns(rel string, isDir bool) bool {
	if u.archive {
		return false
	}
	parts := strings.Split(rel, "/")
	switch {
	case len(parts) == 1:
		return (rel == "oci-layout" || rel == "index.json" || rel == DeltaFile) && !isDir || rel == "blobs" && isDir
	case parts[0] != "blobs" || !layoutAlgorithm.MatchString(parts[1]):
		return false
	case len(parts) == 2:
		return isDir
	case len(parts) == 3:
		known := parts[1] == "sha256" || parts[1] == "sha384" || parts[1] == "sha512"
		return !isDir && layoutEncoded.MatchString(parts[2]) && (!known || knownEncoded.MatchString(parts[2]))
	}
	return false
}

// writeOCI lays out an OCI image layout: each name of each image is its own
// index.json entry, with the full name in both name annotations; in the
// hybrid, a docker manifest.json points into the blobs so docker load takes
// it too.
func writeOCI(w layoutWrite) error {
	p := w.plan
	p.addData("oci-layout", marshal(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion}))
	p.addData("index.json", marshal(indexOf(w.images)))
	legacy := newLegacyDirs()
	if w.hold.dockerManifest {
		dockerManifestOf(w, legacy)
	}
	blobs := collect(w.images)
	dirs := map[string]bool{}
	p.addDir("blobs")
	for _, b := range blobs {
		if d := path.Dir(blobPath(b.Digest)); !dirs[d] {
			dirs[d] = true
			p.addDir(d)
		}
	}
	for _, b := range blobs {
		p.addBlob(blobPath(b.Digest), b)
	}
	legacy.addDirs(p) // after the blobs their layer.tar links point to
	return nil
}

// indexOf is index.json: an entry per name of each image (an unnamed image
// has one entry without names), other annotations kept.
func indexOf(out []outImage) ocispec.Index {
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{}}
	idx.SchemaVersion = 2
	for _, o := range out {
		base := o.root.Desc
		base.Annotations = map[string]string{}
		for k, v := range o.root.Desc.Annotations {
			cosignMark := k == annotationCosignKind && (v == cosignKindImage || v == cosignKindIndex) // set below, by what is written
			if k != annotationContainerdName && k != ocispec.AnnotationRefName && !cosignMark {
				base.Annotations[k] = v
			}
		}
		if slices.ContainsFunc(o.referrers, func(r *Node) bool { return cosignTag(r) != "" }) {
			// as cosign save marks the image its artifacts vouch for
			base.Annotations[annotationCosignKind] = cosignKindImage
			if o.root.Index != nil {
				base.Annotations[annotationCosignKind] = cosignKindIndex
			}
		}
		if len(o.names) == 0 {
			d := base
			if len(d.Annotations) == 0 {
				d.Annotations = nil
			}
			idx.Manifests = append(idx.Manifests, d)
		}
		for _, n := range o.names {
			d := base
			d.Annotations = map[string]string{ocispec.AnnotationRefName: n.ociRefName()}
			for k, v := range base.Annotations {
				d.Annotations[k] = v
			}
			if n.Ref != nil {
				d.Annotations[annotationContainerdName] = n.Ref.String()
			}
			idx.Manifests = append(idx.Manifests, d)
		}
		// What refers to the image follows it, never named.
		for _, r := range o.referrers {
			idx.Manifests = append(idx.Manifests, referrerEntry(r))
		}
	}
	return idx
}
