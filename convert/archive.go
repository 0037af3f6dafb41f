package convert

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/opencontainers/go-digest"
)

// Limits on metadata read into memory. containerd caps manifests similarly;
// past these an input is rejected, never truncated.
const (
	MaxManifestSize = 4 << 20  // manifests, indexes, index.json, dir manifest.json
	maxConfigSize   = 8 << 20  // image configs, legacy v1 json
	maxListSize     = 16 << 20 // docker manifest.json, repositories
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
	// Hashing is how Image.Root hashes a docker-archive's layers when it
	// derives their manifest; a conversion passes its own.
	Hashing Hashing
	// Base holds the configs and layers the source lacks, by digest: a
	// delta's base (delta.go). Blobs taken from it are verified as any other.
	Base *Holdings

	// indexed, when set, is called once the tar's headers are indexed
	// (ReadStream's file, whose holes read as zeros until then).
	indexed func()
}

// Archive is an opened source: its images, and the content behind them.
type Archive struct {
	Source      string
	Layout      Layout // as detected from content (or named, for a hybrid)
	Compression string // of the file as given, when the caller decompressed it
	// Stream: read once as it arrived (standard input, a FIFO), so there is
	// no file to name again in a command.
	Stream   bool
	Images   []*Image
	Warnings []string
	// Mismatches are names that claim a digest their content does not have,
	// where the loaders ignore the claim: notices for convert, failures for verify.
	Mismatches []error
	// Dangling are referrers whose subject the source does not hold.
	Dangling []*Node

	fsys    fs.FS
	hashing Hashing
	shape   Shape
	blobs   map[digest.Digest]*Blob
	nodes   map[digest.Digest]*Node
	files   map[string]*Blob                              // docker-archive layers, by path
	lookup  func(d digest.Digest, manifest bool) []string // candidate paths of a blob
	base    *Holdings                                     // Input.Base
}

// Shape is what a source looks like from outside, as loaders see it before
// they read an image: loaders decide by these files.
type Shape struct {
	Tar          bool // an archive; not a directory
	IndexJSON    bool // an OCI index.json (in a tar, or an oci: directory)
	ManifestJSON bool // a docker manifest.json (or a dir: layout's manifest)
	Repositories bool // a docker repositories file
	// OCILayout: an oci-layout file. containerd's importer reads index.json
	// only when it is there, and then ignores manifest.json.
	OCILayout    bool
	IndexEntries int // entries of index.json (one per name in retar's outputs)
}

// Shape says what the source looks like to loaders.
func (a *Archive) Shape() Shape { return a.shape }

// readShape reads the names loaders decide by; tar says the source came as
// an archive (a directory may be given as any fs.FS, a tar's included).
func (a *Archive) readShape(tar bool) Shape {
	return Shape{Tar: tar, IndexJSON: a.exists("index.json"), ManifestJSON: a.exists("manifest.json"), Repositories: a.exists("repositories"), OCILayout: a.exists("oci-layout")}
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

func (a *Archive) exists(name string) bool {
	fi, err := fs.Stat(a.fsys, name)
	return err == nil && fi.Mode().IsRegular()
}

// file returns a Blob for a regular file of the source, or nil if there is none.
func (a *Archive) file(p string) (*Blob, error) {
	if !fs.ValidPath(p) {
		return nil, &LayoutError{Source: a.Source, Path: p, Reason: "path leaves the image layout", Err: ErrUnsafePath}
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

// cachedFile is file, returning one Blob per path so that a layer two images
// share is hashed once.
func (a *Archive) cachedFile(p string) (*Blob, error) {
	if b, ok := a.files[p]; ok {
		return b, nil
	}
	b, err := a.file(p)
	if b != nil {
		a.files[p] = b
	}
	return b, err
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
	if b := a.fromBase(d); b != nil && !manifest {
		a.blobs[d] = b
		return b, nil
	}
	return nil, nil
}

// fromBase is the bytes of a config or layer the source lacks, taken from
// Input.Base: a blob of the base, checked against d as any other is when
// the output is written.
func (a *Archive) fromBase(d digest.Digest) *Blob {
	if a.base == nil {
		return nil
	}
	hb := a.base.bytesOf(d)
	if hb == nil {
		return nil
	}
	return &Blob{Path: hb.blob.Path, origin: hb.source, Size: hb.blob.Size, Digest: d, fsys: hb.blob.fsys}
}

// sourceOf names the source a blob's bytes are in, for messages: the
// archive's own, or the base a delta's blob was taken from.
func (a *Archive) sourceOf(b *Blob) string {
	if b.origin != "" {
		return b.origin
	}
	return a.Source
}

// jsonDecode parses metadata strictly; the path goes into the error.
func (a *Archive) jsonDecode(p string, data []byte, v any) error {
	doc, _ := v.(document)
	// The decoder folds the case of field names, so a duplicate is one in
	// any case; where keys are data, only an exact one is.
	if err := checkJSON(data, doc == nil || !doc.keysAreData()); err != nil {
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
		shape := "an object"
		if doc != nil {
			shape = doc.shape()
		}
		return a.errorf(p, "a JSON %s where %s belongs", te.Value, shape)
	case errors.As(err, &te):
		return a.errorf(p, "a JSON %s at %q, which is not of that shape", te.Value, te.Field)
	}
	return a.errorf(p, "invalid JSON: %v", err)
}

// A document is what jsonDecode reads into where it is more than an object
// of named fields: it says what it is, for messages ("an array of images"),
// and whether its keys are data (repositories, a v1 layer's json), each
// told from the others exactly.
type document interface {
	shape() string
	keysAreData() bool
}

// Source is one source of a conversion: an opened archive and the images
// picked from it (":REF", ":@N", or "" for all).
type Source struct {
	Archive *Archive
	Pick    string
}

// Image is one image of a source: a manifest or an index, and its names.
type Image struct {
	Names []Name

	// Where its names come from, as each loader reads only some of them.
	RepoTags    []Name   // a docker manifest.json's RepoTags
	RawTags     []string // the same as written (podman reads short ones as localhost/)
	Annotations []Name   // index.json annotations
	// InDockerManifest: a docker manifest.json lists it, so docker's
	// classic image store sees it.
	InDockerManifest bool
	// Referrers are what refers to the image from its layout: signatures,
	// attestations, SBOMs (OCI 1.1 referrers, cosign's tag scheme), each
	// with its index.json descriptor; a referrer of one of them too.
	Referrers []*Node

	src     *Archive
	root    *Node        // the manifest or index; for a docker-archive, once derived
	docker  *dockerImage // for images read from a docker manifest.json
	derived bool         // root is the manifest retar derived from a docker manifest.json
}

// imageOf is the image a root node stands for: the node itself, or the
// image a schema 1 manifest describes, derived once its layers are hashed.
func imageOf(n *Node) *Image {
	if n.pending != nil {
		return &Image{docker: n.pending}
	}
	return &Image{root: n}
}

// Stored reports whether the source stores the image's manifest or index;
// an image of a docker-archive has none until Root derives one.
func (img *Image) Stored() bool { return img.docker == nil }
