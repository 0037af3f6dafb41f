package imagediff

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
)

// FileDiff is how the filesystems of two images differ, after every layer
// is applied: not the tar entries of the layers that differ.
type FileDiff struct {
	FilesA   int          `json:"filesA"`
	FilesB   int          `json:"filesB"`
	Added    []FileEntry  `json:"added"`
	Removed  []FileEntry  `json:"removed"`
	Modified []FileChange `json:"modified"`
}

// FileEntry is a file that one side has.
type FileEntry struct {
	Path string `json:"path"`
	File
}

// FileChange is a file both sides have, differing in what Fields name.
type FileChange struct {
	Path   string   `json:"path"`
	Fields []string `json:"fields"` // type, mode, owner, size, link, content, device
	A      File     `json:"a"`
	B      File     `json:"b"`
}

// compareFiles applies each image's layers and compares the filesystems.
func compareFiles(ctx context.Context, a, b *manifest, o Options) (*FileDiff, error) {
	ta, err := buildTree(ctx, a, o)
	if err != nil {
		return nil, err
	}
	tb, err := buildTree(ctx, b, o)
	if err != nil {
		return nil, err
	}
	return DiffTrees(ta, tb), nil
}

// buildTree reads a manifest's layers, in order, each once, into a Tree.
func buildTree(ctx context.Context, m *manifest, o Options) (*Tree, error) {
	t := NewTree()
	arch := m.arch
	for i, n := range m.blobs {
		err := arch.ReadLayer(ctx, n, o.Limits, func(r io.Reader) error { return t.Apply(r) })
		if err != nil {
			return nil, fmt.Errorf("%s: layer %d (%s): %w", arch.Source, i, n.Desc.Digest, err)
		}
	}
	return t, nil
}

// DiffTrees lists what differs between two filesystems, by path.
func DiffTrees(a, b *Tree) *FileDiff {
	d := &FileDiff{FilesA: a.Len(), FilesB: b.Len(), Added: []FileEntry{}, Removed: []FileEntry{}, Modified: []FileChange{}}
	for _, p := range slices.Sorted(maps.Keys(a.files)) {
		fa := a.files[p]
		fb := b.files[p]
		if fb == nil {
			d.Removed = append(d.Removed, FileEntry{p, *fa})
			continue
		}
		if fields := fileFields(fa, fb); len(fields) > 0 {
			d.Modified = append(d.Modified, FileChange{Path: p, Fields: fields, A: *fa, B: *fb})
		}
	}
	for _, p := range slices.Sorted(maps.Keys(b.files)) {
		if a.files[p] == nil {
			d.Added = append(d.Added, FileEntry{p, *b.files[p]})
		}
	}
	return d
}

// fileFields names what differs between two files: what diff -r sees
// (type, content, link target) and what it does not (mode, owner).
// Modification times are left out: every rebuild changes them.
func fileFields(a, b *File) []string {
	var out []string
	check := func(name string, differ bool) {
		if differ {
			out = append(out, name)
		}
	}
	check("type", a.Type != b.Type)
	check("mode", a.Mode != b.Mode)
	check("owner", a.UID != b.UID || a.GID != b.GID)
	check("size", a.Size != b.Size)
	check("content", a.Digest != b.Digest)
	check("link", a.Link != b.Link)
	check("device", a.Device != b.Device)
	return out
}
