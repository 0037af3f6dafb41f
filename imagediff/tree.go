package imagediff

import (
	"archive/tar"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/retar-dev/retar/tarfs"
)

// Tree is the filesystem that layers make, applied in order as a
// container runtime unpacks them: a whiteout (.wh.NAME) removes NAME and
// what is below it, an opaque marker (.wh..wh..opq) empties its directory
// of what lower layers put there. It holds each file's metadata and content
// digest, never its bytes: memory grows with the number of files only.
type Tree struct {
	files    map[string]*File
	children map[string]map[string]bool // a directory's entries, by name
	layer    int                        // layers applied so far
}

// File is what a Tree holds of a file.
type File struct {
	Type     string `json:"type"` // file, dir, symlink, char, block, fifo
	Mode     string `json:"mode"` // permission and special bits, octal
	UID      int    `json:"uid"`
	GID      int    `json:"gid"`
	Size     int64  `json:"size"`
	Link     string `json:"link,omitempty"`     // a symlink's target
	HardLink string `json:"hardlink,omitempty"` // the file a hard link was made to
	Device   string `json:"device,omitempty"`   // major,minor of a device
	Digest   string `json:"digest,omitempty"`   // a regular file's content

	layer int
}

const (
	whiteoutPrefix = ".wh."
	opaqueMarker   = ".wh..wh..opq"
)

// NewTree is an empty filesystem.
func NewTree() *Tree {
	return &Tree{files: map[string]*File{}, children: map[string]map[string]bool{}}
}

// Len is how many files the tree holds.
func (t *Tree) Len() int { return len(t.files) }

// Lookup returns the file at p ("etc/passwd"), or nil.
func (t *Tree) Lookup(p string) *File { return t.files[p] }

// Apply reads one layer's tar and applies it over the tree, streaming each
// file's content through a hash once.
func (t *Tree) Apply(r io.Reader) error {
	t.layer++
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("layer tar: %w", err)
		}
		if err := t.entry(hdr, tr); err != nil {
			return err
		}
	}
}

func (t *Tree) entry(hdr *tar.Header, body io.Reader) error {
	p, ok := tarfs.Clean(hdr.Name)
	if !ok {
		return fmt.Errorf("layer tar: %q leaves the filesystem root", hdr.Name)
	}
	if p == "." {
		return nil
	}
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = "."
	}
	switch {
	case base == opaqueMarker:
		for name := range t.children[dir] {
			t.prune(path.Join(dir, name))
		}
		return nil
	case strings.HasPrefix(base, whiteoutPrefix):
		t.prune(path.Join(dir, base[len(whiteoutPrefix):]))
		return nil
	}
	f, err := t.file(hdr, body)
	if err != nil || f == nil {
		return err
	}
	t.put(p, dir, base, f)
	return nil
}

// file is what a tar header and its body say of a file; nil for a header
// that is no file (PAX globals and the like).
func (t *Tree) file(hdr *tar.Header, body io.Reader) (*File, error) {
	f := &File{Mode: fmt.Sprintf("%04o", hdr.Mode&0o7777), UID: hdr.Uid, GID: hdr.Gid, layer: t.layer}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeRegA: //nolint:staticcheck // old tars still carry it
		h := sha256.New()
		n, err := io.Copy(h, body)
		if err != nil {
			return nil, fmt.Errorf("layer tar: %s: %w", hdr.Name, err)
		}
		f.Type, f.Size, f.Digest = "file", n, digest.NewDigest(digest.SHA256, h).String()
	case tar.TypeLink:
		target, _ := tarfs.Clean(hdr.Linkname)
		to := t.files[target]
		if to == nil || to.Type != "file" {
			return nil, fmt.Errorf("layer tar: hard link %s to %s, which is no file below it", hdr.Name, hdr.Linkname)
		}
		f.Type, f.Size, f.Digest, f.HardLink = "file", to.Size, to.Digest, target
	case tar.TypeDir:
		f.Type = "dir"
	case tar.TypeSymlink:
		f.Type, f.Link = "symlink", hdr.Linkname
	case tar.TypeChar, tar.TypeBlock:
		f.Type, f.Device = map[byte]string{tar.TypeChar: "char", tar.TypeBlock: "block"}[hdr.Typeflag], fmt.Sprintf("%d,%d", hdr.Devmajor, hdr.Devminor)
	case tar.TypeFifo:
		f.Type = "fifo"
	default:
		return nil, nil
	}
	return f, nil
}

// put places f at p: a directory over a directory keeps what is in it,
// anything else replaces what was there.
func (t *Tree) put(p, dir, base string, f *File) {
	if old := t.files[p]; old != nil && !(old.Type == "dir" && f.Type == "dir") {
		t.remove(p)
	}
	t.parents(dir)
	t.files[p] = f
	t.child(dir, base)
}

// parents makes the directories above a file that the layer did not list,
// as unpacking does.
func (t *Tree) parents(dir string) {
	if dir == "." {
		return
	}
	if f := t.files[dir]; f != nil && f.Type == "dir" {
		return
	}
	if t.files[dir] != nil {
		t.remove(dir)
	}
	up, base := path.Split(dir)
	up = strings.TrimSuffix(up, "/")
	if up == "" {
		up = "."
	}
	t.parents(up)
	t.files[dir] = &File{Type: "dir", Mode: "0755", layer: t.layer}
	t.child(up, base)
}

func (t *Tree) child(dir, name string) {
	if t.children[dir] == nil {
		t.children[dir] = map[string]bool{}
	}
	t.children[dir][name] = true
}

// prune removes what lower layers put at p; what this layer put there
// stays, and is pruned below.
func (t *Tree) prune(p string) {
	f := t.files[p]
	switch {
	case f == nil:
	case f.layer < t.layer:
		t.remove(p)
	case f.Type == "dir":
		for name := range t.children[p] {
			t.prune(path.Join(p, name))
		}
	}
}

// remove deletes p and everything below it.
func (t *Tree) remove(p string) {
	for name := range t.children[p] {
		t.remove(path.Join(p, name))
	}
	delete(t.children, p)
	delete(t.files, p)
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = "."
	}
	delete(t.children[dir], base)
}
