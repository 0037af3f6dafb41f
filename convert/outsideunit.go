package convert

import (
	"errors"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// A layout from outside the package: what its unit implements, what it is
// given to read a source and to lay out an output, and how the registry
// holds it among retar's own (outsideUnit).

// LayoutUnit is a layout registered from outside the package
// (RegisterLayout): how a source of its kind is told and read, what a
// destination of its kind holds, how an output is laid out, and what a
// directory of its kind may hold. Such a layout stores images as they are:
// every manifest, index, config and layer as a blob by its digest, and for
// each image the descriptor of its manifest or index and its names. It
// holds images only: the signatures, attestations and SBOMs referring to
// them are left out, with a notice. The stages do the rest (picking,
// naming, platforms, re-encoding, rewriting manifests, verifying every
// blob) as for retar's own layouts.
type LayoutUnit interface {
	// Holds says what a destination of this layout holds, whatever the
	// options.
	Holds() Holding
	// Detects reports whether a source is of this layout, by its files.
	Detects(src *LayoutSource) bool
	// BlobPath is where a source of this layout keeps the blob of digest d,
	// slash-separated; Read finds every manifest, index, config and layer
	// there.
	BlobPath(d digest.Digest) string
	// Read adds the source's images (LayoutSource.AddImage). An error of
	// its own is reported as a LayoutError about the source.
	Read(src *LayoutSource) error
	// Write lays out the images (LayoutWrite).
	Write(w *LayoutWrite) error
	// Owns reports whether a destination directory of this layout may hold
	// the entry at rel, a slash-separated path below it, a directory when
	// isDir (see Layout.Owns): a directory holding anything else is not
	// replaced. An archive layout owns nothing.
	Owns(rel string, isDir bool) bool
}

// Holding is what a destination of a layout holds.
type Holding struct {
	Archive bool // the layout is one tar file; else a directory
	// OneImage: it holds a single image, so a source of several needs one
	// picked, and names given apply to it.
	OneImage bool
	// OneManifest: one image manifest per image; an index is narrowed to
	// one platform (--platform, or the host's), unless --all-platforms
	// keeps it whole.
	OneManifest bool
	// Named: its images carry names, given after its path
	// (TRANSPORT:PATH:NAME) or with -t, as docker references.
	Named bool
}

// LayoutSource is a source being told and read by a LayoutUnit: its files,
// and the images the unit adds.
type LayoutSource struct{ a *Archive }

// Exists reports whether the source holds a regular file at name,
// slash-separated.
func (s *LayoutSource) Exists(name string) bool { return s.a.exists(name) }

// ReadFile reads a small file of the source whole (within MaxManifestSize),
// to find its images; nil, and no error, when the source has no such file.
func (s *LayoutSource) ReadFile(name string) ([]byte, error) {
	_, data, err := s.a.readFile(name, MaxManifestSize)
	return data, err
}

// AddImage adds an image to the source: root describes its manifest or
// index, read with every manifest, index and config below it from where
// BlobPath says (and verified as it is read); names are its names.
func (s *LayoutSource) AddImage(root ocispec.Descriptor, names []Name) error {
	n, err := s.a.node(root, "image "+root.Digest.String(), 0)
	if err != nil {
		return err
	}
	if n.Blob == nil {
		return &MissingError{Source: s.a.Source, Digest: root.Digest, By: "its list of images"}
	}
	img := imageOf(n)
	img.Names = names
	s.a.Images = append(s.a.Images, img)
	return nil
}

// LayoutWrite is an output being laid out by a LayoutUnit: the images to
// write, and the entries of the output, in the order they are added.
type LayoutWrite struct{ w layoutWrite }

// OutputImage is an image to write: the descriptor of its manifest or
// index, as the stages made it, and its names.
type OutputImage struct {
	Root  ocispec.Descriptor
	Names []Name
}

// Images are the images to write, in order.
func (w *LayoutWrite) Images() []OutputImage {
	var out []OutputImage
	for _, o := range w.w.images {
		out = append(out, OutputImage{Root: o.root.Desc, Names: o.names})
	}
	return out
}

// Blobs are the distinct blobs below the images, sorted by digest: every
// manifest, index, config and layer the output holds.
func (w *LayoutWrite) Blobs() []*Blob { return collect(w.w.images) }

// AddFile adds a file holding data, bytes the unit wrote.
func (w *LayoutWrite) AddFile(name string, data []byte) { w.w.plan.addData(name, data) }

// AddDir adds a directory (an archive's member, or one made in the
// destination directory), before what is in it.
func (w *LayoutWrite) AddDir(name string) { w.w.plan.addDir(name) }

// AddBlob adds a file holding b, one of Blobs: its bytes are copied from
// where the source holds them, and checked against its digest.
func (w *LayoutWrite) AddBlob(name string, b *Blob) { w.w.plan.addBlob(name, b) }

// outsideUnit is a LayoutUnit as the registry and the stages hold it: a
// layoutUnit like retar's own.
type outsideUnit struct {
	layout Layout
	u      LayoutUnit
}

func (o outsideUnit) detects(a *Archive) bool { return o.u.Detects(&LayoutSource{a}) }

func (o outsideUnit) read(a *Archive) error {
	a.lookup = func(d digest.Digest, _ bool) []string { return []string{o.u.BlobPath(d)} }
	err := o.u.Read(&LayoutSource{a})
	if err != nil && !isFamily(err) {
		return &LayoutError{Source: a.Source, Reason: err.Error(), Err: err}
	}
	return err
}

// isFamily reports an error of the package's families (as AddImage returns
// them), which says its source and its blob already.
func isFamily(err error) bool {
	for _, f := range []error{ErrLayout, ErrDigestMismatch, ErrSizeMismatch, ErrMissingBlob, ErrLimit} {
		if errors.Is(err, f) {
			return true
		}
	}
	return false
}

// holds: what the unit says, and what it is as every outside layout is: it
// stores manifests as blobs, so an index kept whole is filtered by
// --platform; names are docker references; signatures, attestations and
// SBOMs are left out, with a notice.
func (o outsideUnit) holds(opts Options, _ []Layout) holding {
	h := o.u.Holds()
	return holding{oneManifest: h.OneManifest, oneImage: h.OneImage, named: h.Named, holder: o.layout.Article(),
		filtersIndex: !h.OneManifest || opts.AllPlatforms, storesManifests: true}
}

func (o outsideUnit) write(w layoutWrite) error { return o.u.Write(&LayoutWrite{w}) }

func (o outsideUnit) owns(rel string, isDir bool) bool { return o.u.Owns(rel, isDir) }
