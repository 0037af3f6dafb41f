// Package tarfs serves a tar archive read through io.ReaderAt as an fs.FS.
//
// The headers are indexed once, in one pass; each regular file is then served
// as a section of the archive, so nothing is extracted and nothing is read
// whole into memory. Symlinks and hardlinks inside the archive are followed
// within a depth limit, and a name that would leave the archive is an error.
//
// The index is compact, as archives can hold millions of members: a member is
// a name offset and two integers, its name one slice of a shared string, and
// lookups are binary searches over the sorted members. Two members of one name
// are not silently resolved the way extraction would (the last wins) or the
// way some readers do (the first wins): opening such a name is an error that
// names both, since two readers of one archive must never see two images.
package tarfs

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// Errors, for errors.Is; the errors returned carry the member and the cause.
var (
	ErrNotTar    = errors.New("not a tar archive")
	ErrUnsafe    = errors.New("unsafe name: it leaves the archive")
	ErrTruncated = errors.New("truncated tar archive")
	ErrDuplicate = errors.New("two members of one name")
	ErrTooLarge  = errors.New("too many tar members")
	ErrLinkDepth = errors.New("too many levels of links")
	ErrSparse    = errors.New("sparse tar member")
)

// Limits of the index. A member whose name is longer than MaxName is left
// out (no image layout names a file that long; Linux's PATH_MAX is 4096), so
// a deeply nested hostile name costs nothing. Past MaxMembers members or
// MaxNameBytes bytes of names the archive is refused: memory stays bounded
// whatever the input.
const (
	MaxName      = 4096
	MaxMembers   = 4 << 20
	MaxNameBytes = 64 << 20
	maxLinkDepth = 40 // as the kernel's MAXSYMLINKS
)

// FS is an indexed tar archive. It implements fs.FS, fs.StatFS, fs.ReadDirFS
// and fs.ReadLinkFS, and is safe for concurrent use once built.
type FS struct {
	r       io.ReaderAt
	names   string   // every indexed name and link target, concatenated
	members []member // sorted by name, then by position in the archive
}

// member is one indexed header: 32 bytes, whatever its name.
type member struct {
	off   int64 // data offset; for a link, its target's offset in names
	size  int64 // data size; for a link, its target's length
	name  uint32
	nlen  uint16
	perm  uint16
	typ   byte // tar.TypeReg, tar.TypeDir, tar.TypeSymlink or tar.TypeLink
	flags byte
}

const flagSparse = 1

// DuplicateError reports a name two members share.
type DuplicateError struct {
	Name    string
	Offsets [2]int64 // of each member's data in the archive
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("two tar members are named %q (at offsets %d and %d)", e.Name, e.Offsets[0], e.Offsets[1])
}

func (e *DuplicateError) Unwrap() error { return ErrDuplicate }

// Index reads the headers of the tar in r (size bytes) and returns its index.
func Index(r io.ReaderAt, size int64) (*FS, error) {
	br := &bufReader{r: r, size: size, buf: make([]byte, 64<<10)}
	tr := tar.NewReader(br)
	ix := &indexer{size: size}
	n := 0
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if n == 0 {
				return nil, fmt.Errorf("not a tar archive: %v%.0w", err, ErrNotTar)
			}
			return nil, fmt.Errorf("broken tar after %d members: %v%.0w", n, err, ErrTruncated)
		}
		n++
		// archive/tar reads headers without read-ahead and skips data with
		// Seek, so the position is now the start of this member's data.
		if err := ix.add(hdr, br.pos); err != nil {
			return nil, err
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: no members", ErrNotTar)
	}
	t := &FS{r: r, names: ix.names.String()}
	slices.SortStableFunc(ix.members, func(a, b member) int { return strings.Compare(t.nameOf(&a), t.nameOf(&b)) })
	// Directories named twice are one directory; other repeats stay, to be
	// reported when the name is used.
	t.members = slices.CompactFunc(ix.members, func(a, b member) bool {
		return a.typ == tar.TypeDir && b.typ == tar.TypeDir && t.nameOf(&a) == t.nameOf(&b)
	})
	return t, nil
}

// indexer gathers members as their headers are read.
type indexer struct {
	size    int64
	names   strings.Builder
	members []member
}

// add records a header whose data starts at off, if it is one an image
// layout can use.
func (ix *indexer) add(hdr *tar.Header, off int64) error {
	name, ok := Clean(hdr.Name)
	if !ok {
		return fmt.Errorf("tar member %q: %w", hdr.Name, ErrUnsafe)
	}
	m := member{off: off, size: hdr.Size, perm: uint16(hdr.Mode & 0o7777), typ: hdr.Typeflag}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			m.flags |= flagSparse
		}
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
		if hdr.Typeflag == tar.TypeGNUSparse {
			m.flags |= flagSparse
		}
		m.typ = tar.TypeReg
		// A sparse member declares its expanded size; it is never read.
		if m.flags&flagSparse == 0 && (hdr.Size < 0 || off+hdr.Size > ix.size) {
			return fmt.Errorf("tar member %q: truncated (%d bytes declared, the archive ends first)%.0w", hdr.Name, hdr.Size, ErrTruncated)
		}
	case tar.TypeDir:
		m.size = 0
	case tar.TypeSymlink, tar.TypeLink:
		if len(hdr.Linkname) > MaxName {
			return nil // a link no layout can use
		}
	default:
		return nil // devices, fifos: not part of any image layout
	}
	if name == "." || len(name) > MaxName {
		return nil
	}
	if len(ix.members) >= MaxMembers || ix.names.Len()+len(name)+len(hdr.Linkname) > MaxNameBytes {
		return fmt.Errorf("%w: over %d members or %d MiB of names, more than any image layout holds", ErrTooLarge, MaxMembers, MaxNameBytes>>20)
	}
	m.name, m.nlen = uint32(ix.names.Len()), uint16(len(name))
	ix.names.WriteString(name)
	if m.typ == tar.TypeSymlink || m.typ == tar.TypeLink {
		m.off, m.size = int64(ix.names.Len()), int64(len(hdr.Linkname))
		ix.names.WriteString(hdr.Linkname)
	}
	ix.members = append(ix.members, m)
	return nil
}

// Clean turns a member name into an fs.FS path; ok is false for a name that
// would land outside the archive root.
func Clean(name string) (string, bool) {
	name = strings.TrimLeft(name, "/")
	for elem := range strings.SplitSeq(name, "/") {
		if elem == ".." {
			return "", false
		}
	}
	c := path.Clean(name)
	if c == "" {
		c = "."
	}
	return c, true
}

func (t *FS) nameOf(m *member) string { return t.names[m.name : m.name+uint32(m.nlen)] }
func (t *FS) linkOf(m *member) string { return t.names[m.off : m.off+m.size] }

// find returns the members named name: a sub-slice of the index.
func (t *FS) find(name string) []member {
	i, found := slices.BinarySearchFunc(t.members, name, func(m member, s string) int { return strings.Compare(t.nameOf(&m), s) })
	if !found {
		return nil
	}
	j := i + 1
	for j < len(t.members) && t.nameOf(&t.members[j]) == name {
		j++
	}
	return t.members[i:j]
}

// below returns the index range of members whose names start with prefix.
func (t *FS) below(prefix string) (int, int) {
	i, _ := slices.BinarySearchFunc(t.members, prefix, func(m member, s string) int { return strings.Compare(t.nameOf(&m), s) })
	j := i
	for j < len(t.members) && strings.HasPrefix(t.nameOf(&t.members[j]), prefix) {
		j++
	}
	return i, j
}

// node is a resolved name: a member, or a directory only implied by the
// names below it (m == nil).
type node struct {
	name string
	m    *member
}

func (n node) isDir() bool { return n.m == nil || n.m.typ == tar.TypeDir }

// lookupExact finds name itself, without following links.
func (t *FS) lookupExact(name string) (node, bool, error) {
	if name == "." {
		return node{name: "."}, true, nil
	}
	ms := t.find(name)
	switch {
	case len(ms) > 1:
		return node{}, false, &DuplicateError{Name: name, Offsets: [2]int64{ms[0].off, ms[1].off}}
	case len(ms) == 1:
		return node{name: name, m: &ms[0]}, true, nil
	}
	if i, j := t.below(name + "/"); i < j {
		return node{name: name}, true, nil
	}
	return node{}, false, nil
}

// resolve follows symlinks and hardlinks to the node that holds the data.
func (t *FS) resolve(op, name string) (node, error) {
	if !fs.ValidPath(name) {
		return node{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	budget := maxLinkDepth
	n, err := t.follow(name, &budget)
	if err != nil {
		return node{}, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return n, nil
}

// follow resolves name, spending one unit of budget per link followed, so
// that link cycles end however they are built.
func (t *FS) follow(name string, budget *int) (node, error) {
	for {
		n, err := t.lookup(name, budget)
		if err != nil {
			return node{}, err
		}
		if n.m == nil || n.m.typ != tar.TypeSymlink && n.m.typ != tar.TypeLink {
			return n, nil
		}
		link := t.linkOf(n.m)
		target := link
		if n.m.typ == tar.TypeSymlink && !strings.HasPrefix(link, "/") {
			target = path.Join(path.Dir(n.name), link)
		}
		if *budget--; *budget < 0 {
			return node{}, ErrLinkDepth
		}
		c, ok := Clean(target)
		if !ok {
			return node{}, fmt.Errorf("link to %q: %w", link, ErrUnsafe)
		}
		name = c
	}
}

// lookup finds name, resolving parents that are symlinks to directories.
func (t *FS) lookup(name string, budget *int) (node, error) {
	n, ok, err := t.lookupExact(name)
	if err != nil || ok {
		return n, err
	}
	dir, base := path.Split(name)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		return node{}, fs.ErrNotExist
	}
	d, err := t.follow(dir, budget)
	if err != nil {
		return node{}, err
	}
	if !d.isDir() || d.name == dir {
		return node{}, fs.ErrNotExist
	}
	return t.lookup(path.Join(d.name, base), budget)
}
