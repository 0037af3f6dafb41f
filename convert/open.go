package convert

import (
	"errors"
	"io/fs"

	"github.com/opencontainers/go-digest"
	"github.com/retar-dev/retar/tarfs"
)

// Opening a source: its file system mounted, its layout detected among the
// registry's, and its images read by that layout's unit. The Archive it
// gives, and what the units read it with, are archive.go's.

// Open reads a source's metadata and builds its image graph. Metadata blobs
// (manifests, indexes, configs) are verified as they are read; layers are
// verified later, once, by Verify or while planning a conversion.
func Open(in Input) (*Archive, error) {
	a := &Archive{Source: in.Name, Compression: in.Compression, hashing: in.Hashing, base: in.Base,
		blobs: map[digest.Digest]*Blob{}, nodes: map[digest.Digest]*Node{}, files: map[string]*Blob{}}
	if err := a.mount(in); err != nil {
		return nil, err
	}
	// The names that decide the layout must be unambiguous: a name two tar
	// members share is an error, not an absent file.
	for _, name := range []string{"index.json", "manifest.json", "repositories", "oci-layout", "version"} {
		if _, err := fs.Stat(a.fsys, name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, &LayoutError{Source: a.Source, Path: name, Reason: err.Error(), Err: err}
		}
	}
	a.shape = a.readShape(in.Dir == nil)
	unit, layout, err := detect(a, in.Layout)
	if err != nil {
		return nil, err
	}
	a.Layout = layout
	if err := unit.read(a); err != nil {
		return nil, err
	}
	if len(a.Images) == 0 {
		return nil, a.errorf("", "holds no image")
	}
	// Names were gathered with repeats (an index entry per name, RepoTags
	// of hybrids): each list is made unique once.
	for _, img := range a.Images {
		img.src = a
		img.Names, img.RepoTags, img.Annotations = uniqueNames(img.Names), uniqueNames(img.RepoTags), uniqueNames(img.Annotations)
	}
	return a, nil
}

// mount gives the archive its file system: the directory, or the tar indexed.
func (a *Archive) mount(in Input) error {
	if in.Dir != nil {
		if in.Layout.IsArchive() {
			return a.errorf("", "is a directory, not %s", in.Layout.Article())
		}
		a.fsys = in.Dir
		return nil
	}
	if in.Size == 0 {
		return a.errorf("", "empty file")
	}
	if c := SniffArchive(in.Archive); c != "" {
		return &LayoutError{Source: a.Source, Reason: c + "-compressed archive: decompress it first", Err: ErrCompressed}
	}
	if in.Layout.isDirectory() {
		return a.errorf("", "is a file, not %s directory", in.Layout.Article())
	}
	t, err := tarfs.Index(in.Archive, in.Size)
	if in.indexed != nil {
		in.indexed()
	}
	if err != nil {
		return &LayoutError{Source: a.Source, Reason: err.Error(), Err: err}
	}
	a.fsys = t
	return nil
}
