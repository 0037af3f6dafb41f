package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/retar-dev/retar/tarfs"
)

// Limits on metadata read into memory. containerd caps manifests similarly;
// past these an input is rejected, never truncated.
const (
	MaxManifestSize = 4 << 20  // manifests, indexes, index.json, dir manifest.json
	MaxConfigSize   = 8 << 20  // image configs, legacy v1 json
	MaxListSize     = 16 << 20 // docker manifest.json, repositories
	maxGraphDepth   = 16       // nested indexes
)

// Input is a source to open: an archive read through io.ReaderAt, or a
// directory layout read through fs.FS.
type Input struct {
	Name   string // shown in messages, usually the path
	Layout Layout // the transport the user named; "" to detect
	// Compression is how the file itself was compressed ("gzip", "zstd",
	// "bzip2", "xz") when the caller decompressed it to give Archive; some
	// loaders read only uncompressed archives.
	Compression string
	Archive     io.ReaderAt
	Size        int64
	Dir         fs.FS
}

// Archive is an opened source: its images, and the content behind them.
type Archive struct {
	Source       string
	Layout       Layout // as detected from content
	Compression  string // of the file as given, when the caller decompressed it
	indexEntries int    // entries of index.json (one per name in retar's outputs)
	Images       []*Image
	Warnings     []string
	// Mismatches are names that claim a digest their content does not have,
	// where the loaders ignore the claim: notices for convert, failures for verify.
	Mismatches []error

	fsys   fs.FS
	blobs  map[digest.Digest]*Blob
	nodes  map[digest.Digest]*Node
	files  map[string]*Blob                              // docker-archive layers, by path
	lookup func(d digest.Digest, manifest bool) []string // candidate paths of a blob
}

// Open reads a source's metadata and builds its image graph. Metadata blobs
// (manifests, indexes, configs) are verified as they are read; layers are
// verified later, once, by Verify or while planning a conversion.
func Open(in Input) (*Archive, error) {
	a := &Archive{Source: in.Name, Compression: in.Compression, blobs: map[digest.Digest]*Blob{}, nodes: map[digest.Digest]*Node{}, files: map[string]*Blob{}}
	if in.Dir != nil {
		if in.Layout.IsArchive() {
			return nil, a.errorf("", "is a directory, not a %s", in.Layout)
		}
		a.fsys = in.Dir
		if err := a.probeLayoutFiles(); err != nil {
			return nil, err
		}
		switch {
		case a.exists("index.json"):
			a.Layout = OCI
		case a.exists("manifest.json"):
			a.Layout = Dir
		default:
			return nil, a.errorf("", "no index.json or manifest.json: not an OCI layout or dir layout")
		}
	} else {
		if in.Size == 0 {
			return nil, a.errorf("", "empty file")
		}
		if c := SniffArchive(in.Archive); c != "" {
			return nil, &LayoutError{Source: a.Source, Reason: c + "-compressed archive: decompress it first", Err: ErrCompressed}
		}
		if in.Layout == OCI || in.Layout == Dir {
			return nil, a.errorf("", "is a file, not a %s directory", in.Layout)
		}
		t, err := tarfs.Index(in.Archive, in.Size)
		if err != nil {
			return nil, &LayoutError{Source: a.Source, Reason: err.Error(), Err: err}
		}
		a.fsys = t
		if err := a.probeLayoutFiles(); err != nil {
			return nil, err
		}
		switch {
		case in.Layout.IsArchive():
			a.Layout = in.Layout // a hybrid is both; the user said which
		case a.exists("index.json"):
			a.Layout = OCIArchive
		case a.exists("manifest.json"):
			a.Layout = DockerArchive
		case a.exists("repositories"):
			a.Layout = DockerArchive
		}
		if !a.exists("index.json") && !a.exists("manifest.json") && !a.exists("repositories") {
			return nil, a.errorf("", "no manifest.json, index.json or repositories: not an image archive")
		}
	}
	var err error
	switch {
	case a.exists("index.json") && a.Layout != Dir:
		a.lookup = ociPaths
		err = a.readOCI()
		if err == nil && a.exists("manifest.json") {
			err = a.readDocker(true)
		}
	case a.Layout == Dir:
		a.lookup = dirPaths
		err = a.readDir()
	case a.exists("manifest.json"):
		a.lookup = ociPaths
		err = a.readDocker(false)
	default:
		err = a.readLegacy()
	}
	if err != nil {
		return nil, err
	}
	if len(a.Images) == 0 {
		return nil, a.errorf("", "holds no image")
	}
	// Names were gathered with repeats (an index entry per name, RepoTags
	// of hybrids): each list is made unique once.
	for _, img := range a.Images {
		img.Names, img.RepoTags, img.Annotations = uniqueNames(img.Names), uniqueNames(img.RepoTags), uniqueNames(img.Annotations)
	}
	return a, nil
}

func (a *Archive) errorf(p, format string, args ...any) error {
	return &LayoutError{Source: a.Source, Path: p, Reason: fmt.Sprintf(format, args...)}
}

func (a *Archive) warnf(format string, args ...any) {
	a.Warnings = append(a.Warnings, fmt.Sprintf(format, args...))
}

func (a *Archive) mismatch(err error) {
	a.Mismatches = append(a.Mismatches, err)
	a.warnf("%v (the content is used, as docker load does)", err)
}

// probeLayoutFiles makes sure the names that decide the layout are
// unambiguous: a name two tar members share is an error, not an absent file.
func (a *Archive) probeLayoutFiles() error {
	for _, name := range []string{"index.json", "manifest.json", "repositories", "oci-layout", "version"} {
		if _, err := fs.Stat(a.fsys, name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return &LayoutError{Source: a.Source, Path: name, Reason: err.Error(), Err: err}
		}
	}
	return nil
}

func (a *Archive) exists(name string) bool {
	fi, err := fs.Stat(a.fsys, name)
	return err == nil && fi.Mode().IsRegular()
}

// file returns a Blob for a regular file of the source, or nil if there is none.
func (a *Archive) file(p string) (*Blob, error) {
	if !fs.ValidPath(p) {
		return nil, a.errorf(p, "path leaves the image layout")
	}
	fi, err := fs.Stat(a.fsys, p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &LayoutError{Source: a.Source, Path: p, Reason: err.Error(), Err: err}
	}
	if !fi.Mode().IsRegular() {
		return nil, a.errorf(p, "not a regular file")
	}
	return &Blob{Path: p, Size: fi.Size(), fsys: a.fsys, origin: a.Source}, nil
}

// blob finds the content of a digest in the source, or nil if it is absent.
func (a *Archive) blob(d digest.Digest, manifest bool) (*Blob, error) {
	if b, ok := a.blobs[d]; ok {
		return b, nil
	}
	if err := validDigest(d); err != nil {
		return nil, a.errorf("", "%v", err)
	}
	for _, p := range a.lookup(d, manifest) {
		b, err := a.file(p)
		if err != nil {
			return nil, err
		}
		if b != nil {
			b.Digest = d
			a.blobs[d] = b
			return b, nil
		}
	}
	return nil, nil
}

func ociPaths(d digest.Digest, _ bool) []string {
	return []string{path.Join("blobs", d.Algorithm().String(), d.Encoded())}
}

// readMeta reads a small blob whole, within limit, and checks its digest.
func (a *Archive) readMeta(b *Blob, limit int64) ([]byte, error) {
	if b.data != nil {
		return b.data, nil
	}
	if b.Size > limit {
		return nil, a.errorf(b.Path, "%d bytes, over the %d MiB limit for metadata", b.Size, limit>>20)
	}
	f, err := b.open()
	if err != nil {
		return nil, &LayoutError{Source: a.Source, Path: b.Path, Reason: err.Error(), Err: err}
	}
	defer f.Close()
	data := make([]byte, b.Size)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, a.errorf(b.Path, "read: %v", err)
	}
	got := digest.FromBytes(data)
	if b.Digest != "" && b.Digest.Algorithm() != digest.SHA256 {
		got = b.Digest.Algorithm().FromBytes(data)
	}
	if b.Digest != "" && got != b.Digest {
		return nil, &DigestError{Source: a.Source, Blob: b.Path, Want: b.Digest.String(), Got: got.String()}
	}
	b.Digest, b.verified = got, true
	return data, nil
}

func (b *Blob) open() (io.ReadCloser, error) {
	if b.spill != nil {
		return io.NopCloser(io.NewSectionReader(b.spill, 0, b.Size)), nil
	}
	if b.data != nil {
		return io.NopCloser(bytes.NewReader(b.data)), nil
	}
	return b.fsys.Open(b.Path)
}

// jsonDecode parses metadata; the path goes into the error.
func (a *Archive) jsonDecode(p string, data []byte, v any) error {
	// Names of free-form maps (repositories, a v1 layer's json) are data:
	// exact duplicates only; elsewhere the decoder folds case.
	_, isMap := v.(*map[string]map[string]string)
	_, isV1 := v.(*v1JSON)
	if err := checkJSON(data, !isMap && !isV1); err != nil {
		if errors.Is(err, errDuplicateKey) {
			return a.errorf(p, "%v: readers would disagree on which one counts", err)
		}
		return a.errorf(p, "invalid JSON: %v", err)
	}
	err := json.Unmarshal(data, v)
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te) && te.Field == "":
		return a.errorf(p, "a JSON %s where %s belongs", te.Value, shapeOf(v))
	case errors.As(err, &te):
		return a.errorf(p, "a JSON %s at %q, which is not of that shape", te.Value, te.Field)
	}
	return a.errorf(p, "invalid JSON: %v", err)
}

// shapeOf names what a document should be, for messages.
func shapeOf(v any) string {
	switch v.(type) {
	case *[]dockerEntry:
		return "an array of images"
	case *map[string]map[string]string:
		return "an object of repositories"
	}
	return "an object"
}

// readOCI reads index.json and the graph below it.
func (a *Archive) readOCI() error {
	if b, err := a.file("oci-layout"); err != nil {
		return err
	} else if b != nil {
		data, err := a.readMeta(b, MaxManifestSize)
		if err != nil {
			return err
		}
		var l ocispec.ImageLayout
		if err := a.jsonDecode("oci-layout", data, &l); err != nil {
			return err
		}
		if l.Version != ocispec.ImageLayoutVersion {
			return a.errorf("oci-layout", "unsupported imageLayoutVersion %q", l.Version)
		}
	}
	b, err := a.file("index.json")
	if err != nil {
		return err
	}
	data, err := a.readMeta(b, MaxManifestSize)
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
	a.indexEntries = len(idx.Manifests)
	for i, d := range idx.Manifests {
		n, err := a.node(d, fmt.Sprintf("index.json entry %d", i), 0)
		if err != nil {
			return err
		}
		if n.Blob == nil { // an index may lack platforms; index.json may not lack its images
			return &MissingError{Source: a.Source, Digest: d.Digest, By: fmt.Sprintf("index.json entry %d", i)}
		}
		img := byDigest[d.Digest]
		if img == nil {
			img = &Image{Root: n}
			byDigest[d.Digest] = img
			a.Images = append(a.Images, img)
		}
		for _, nm := range annotationNames(d.Annotations) {
			img.Names = append(img.Names, nm)
			img.Annotations = append(img.Annotations, nm)
		}
	}
	return nil
}

// annotationNames reads an index entry's names: containerd's full name first,
// then the OCI ref name when it adds something.
func annotationNames(ann map[string]string) []Name {
	var out []Name
	if s := ann[AnnotationContainerdName]; s != "" {
		if n, err := ParseName(s); err == nil {
			out = append(out, n)
		} else {
			out = append(out, Name{Raw: s})
		}
	}
	if s := ann[ocispec.AnnotationRefName]; s != "" {
		n := refName(s)
		if n.Ref != nil || len(out) == 0 {
			out = uniqueNames(append(out, n))
		}
	}
	return out
}

// node builds the graph below a descriptor that names a manifest or an index.
func (a *Archive) node(d ocispec.Descriptor, by string, depth int) (*Node, error) {
	if err := validDescriptor(d); err != nil {
		return nil, a.errorf("", "%s: %v", by, err)
	}
	if depth > maxGraphDepth {
		return nil, a.errorf("", "indexes nested deeper than %d (at %s)", maxGraphDepth, d.Digest)
	}
	if n, ok := a.nodes[d.Digest]; ok {
		c := *n // the content is shared; the descriptor is this reference's own
		c.Desc = d
		return &c, nil
	}
	b, err := a.blob(d.Digest, true)
	if err != nil {
		return nil, err
	}
	n := &Node{Desc: d, Blob: b}
	if b == nil { // an index may list platforms the archive does not carry
		return n, nil
	}
	if b.Size != d.Size {
		return nil, &DigestError{Source: a.Source, Blob: b.Path, What: "size", Want: fmt.Sprint(d.Size), Got: fmt.Sprint(b.Size)}
	}
	data, err := a.readMeta(b, MaxManifestSize)
	if err != nil {
		return nil, err
	}
	a.nodes[d.Digest] = n
	if err := a.parseManifest(n, data, by, depth); err != nil {
		return nil, err
	}
	return n, nil
}

// manifestProbe tells manifests from indexes whatever media type a descriptor claims.
type manifestProbe struct {
	SchemaVersion int                   `json:"schemaVersion"`
	MediaType     string                `json:"mediaType"`
	Manifests     *[]ocispec.Descriptor `json:"manifests"`
	Config        *ocispec.Descriptor   `json:"config"`
}

func (a *Archive) parseManifest(n *Node, data []byte, by string, depth int) error {
	p := n.Blob.Path
	n.raw = data
	var probe manifestProbe
	if err := a.jsonDecode(p, data, &probe); err != nil {
		return err
	}
	switch {
	case probe.SchemaVersion == 1:
		return a.errorf(p, "Docker schema 1 manifests are not supported")
	case probe.Manifests != nil || isIndexType(probe.MediaType):
		var idx ocispec.Index
		if err := a.jsonDecode(p, data, &idx); err != nil {
			return err
		}
		n.Index = &idx
		for _, c := range idx.Manifests {
			cn, err := a.node(c, p, depth+1)
			if err != nil {
				return err
			}
			n.Children = append(n.Children, cn)
		}
	case probe.Config != nil:
		var m ocispec.Manifest
		if err := a.jsonDecode(p, data, &m); err != nil {
			return err
		}
		n.Manifest = &m
		return a.manifestChildren(n)
	default:
		return a.errorf(p, "neither an image manifest nor an index (referenced by %s)", by)
	}
	return nil
}

// manifestChildren attaches a manifest's config and layers and checks the
// layers against the config's diff_ids.
func (a *Archive) manifestChildren(n *Node) error {
	m, p := n.Manifest, n.Blob.Path
	if err := validDescriptor(m.Config); err != nil {
		return a.errorf(p, "config: %v", err)
	}
	for i, l := range m.Layers {
		if err := validDescriptor(l); err != nil {
			return a.errorf(p, "layer %d: %v", i, err)
		}
	}
	if m.Subject != nil {
		if err := validDescriptor(*m.Subject); err != nil {
			return a.errorf(p, "subject: %v", err)
		}
	}
	cb, err := a.blob(m.Config.Digest, false)
	if err != nil {
		return err
	}
	cfg := &Node{Desc: m.Config, Blob: cb}
	n.Children = append(n.Children, cfg)
	if cb != nil {
		if cb.Size != m.Config.Size {
			return &DigestError{Source: a.Source, Blob: cb.Path, What: "size", Want: fmt.Sprint(m.Config.Size), Got: fmt.Sprint(cb.Size)}
		}
		if isImageConfigType(m.Config.MediaType) || m.Config.MediaType == "application/octet-stream" {
			data, err := a.readMeta(cb, MaxConfigSize)
			if err != nil {
				return err
			}
			if cfg.Config, err = parseConfig(data); err != nil {
				return a.errorf(cb.Path, "invalid image config: %v", err)
			}
		}
	}
	if cfg.Config.isImage() && len(cfg.Config.RootFS.DiffIDs) != len(m.Layers) {
		return a.errorf(p, "%d layers, but the config lists %d diff_ids", len(m.Layers), len(cfg.Config.RootFS.DiffIDs))
	}
	for i, l := range m.Layers {
		lb, err := a.blob(l.Digest, false)
		if err != nil {
			return err
		}
		if lb != nil && lb.Size != l.Size {
			return &DigestError{Source: a.Source, Blob: lb.Path, What: "size", Want: fmt.Sprint(l.Size), Got: fmt.Sprint(lb.Size)}
		}
		ln := &Node{Desc: l, Blob: lb}
		if cfg.Config.isImage() {
			ids := cfg.Config.RootFS.DiffIDs
			if c, ok := compressionOf(l.MediaType); ok && c == Uncompressed && l.Digest.Algorithm() == ids[i].Algorithm() && l.Digest != ids[i] && !isForeign(l) {
				return &DigestError{Source: a.Source, Blob: path.Join(p, "layers", fmt.Sprint(i)), What: "diff_id", Want: ids[i].String(), Got: l.Digest.String()}
			}
			if lb != nil && lb.diffID == "" {
				lb.diffID = ids[i]
			}
		}
		n.Children = append(n.Children, ln)
	}
	return nil
}
