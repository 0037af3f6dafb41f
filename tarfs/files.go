package tarfs

import (
	"archive/tar"
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// What an indexed archive serves: the fs.FS methods, and the files and
// directories they return.

// Open implements fs.FS.
func (t *FS) Open(name string) (fs.File, error) {
	n, err := t.resolve("open", name)
	if err != nil {
		return nil, err
	}
	if n.isDir() {
		return &dir{t: t, n: n, name: name}, nil
	}
	if n.m.flags&flagSparse != 0 {
		return nil, &fs.PathError{Op: "open", Path: name, Err: ErrSparse}
	}
	return &File{SectionReader: io.NewSectionReader(t.r, n.m.off, n.m.size), n: n, name: name, r: t.r}, nil
}

// Stat implements fs.StatFS.
func (t *FS) Stat(name string) (fs.FileInfo, error) {
	n, err := t.resolve("stat", name)
	if err != nil {
		return nil, err
	}
	return info{n: n, name: path.Base(name)}, nil
}

// ReadDir implements fs.ReadDirFS.
func (t *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := t.resolve("readdir", name)
	if err != nil {
		return nil, err
	}
	if !n.isDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	return t.dirEntries(n.name), nil
}

func (t *FS) dirEntries(dirName string) []fs.DirEntry {
	prefix := dirName + "/"
	if dirName == "." {
		prefix = ""
	}
	i, j := t.below(prefix)
	var children []string
	seen := map[string]bool{}
	for k := i; k < j; k++ {
		child, _, _ := strings.Cut(t.nameOf(&t.members[k])[len(prefix):], "/")
		if !seen[child] {
			seen[child] = true
			children = append(children, child)
		}
	}
	slices.Sort(children)
	out := make([]fs.DirEntry, 0, len(children))
	for _, c := range children {
		n, _, err := t.lookupExact(prefix + c)
		if err != nil {
			continue // a duplicate lists as nothing, as it opens as nothing
		}
		if n.m != nil && n.m.typ == tar.TypeLink { // a hardlink is the file it links to
			budget := maxLinkDepth
			if n, err = t.follow(n.name, &budget); err != nil {
				continue // a dangling link lists as nothing, as it opens as nothing
			}
		}
		// A symlink lists as a symlink, as os.ReadDir has it, so walks do
		// not follow links to "." or "..".
		out = append(out, fs.FileInfoToDirEntry(info{n: n, name: c}))
	}
	return out
}

// ReadLink implements fs.ReadLinkFS: a symlink's target, not followed.
func (t *FS) ReadLink(name string) (string, error) {
	n, err := t.lstat("readlink", name)
	if err != nil {
		return "", err
	}
	if n.m == nil || n.m.typ != tar.TypeSymlink {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	return t.linkOf(n.m), nil
}

// Lstat implements fs.ReadLinkFS: a symlink itself, not what it points to.
func (t *FS) Lstat(name string) (fs.FileInfo, error) {
	n, err := t.lstat("lstat", name)
	if err != nil {
		return nil, err
	}
	return info{n: n, name: path.Base(name)}, nil
}

func (t *FS) lstat(op, name string) (node, error) {
	if !fs.ValidPath(name) {
		return node{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	n, ok, err := t.lookupExact(name)
	if err != nil {
		return node{}, &fs.PathError{Op: op, Path: name, Err: err}
	}
	if dir, base := path.Split(name); !ok && dir != "" { // the parent may be reached through links
		d, err := t.resolve(op, strings.TrimSuffix(dir, "/"))
		if err != nil {
			return node{}, err
		}
		if n, ok, err = t.lookupExact(path.Join(d.name, base)); err != nil {
			return node{}, &fs.PathError{Op: op, Path: name, Err: err}
		}
	}
	if !ok {
		return node{}, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	if n.m != nil && n.m.typ == tar.TypeLink {
		return t.resolve(op, name)
	}
	return n, nil
}

// File is a regular file of an FS: a section of the archive.
type File struct {
	*io.SectionReader
	n    node
	name string
	r    io.ReaderAt
}

// Section returns the archive and the byte range that hold this file, so a
// writer can copy it without passing it through memory.
func (f *File) Section() (r io.ReaderAt, off, n int64) { return f.r, f.n.m.off, f.n.m.size }

func (f *File) Stat() (fs.FileInfo, error) { return info{n: f.n, name: path.Base(f.name)}, nil }
func (f *File) Close() error               { return nil }

type dir struct {
	t    *FS
	n    node
	name string
	pos  int
}

func (d *dir) Stat() (fs.FileInfo, error) { return info{n: d.n, name: path.Base(d.name)}, nil }
func (d *dir) Close() error               { return nil }
func (d *dir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errors.New("is a directory")}
}

func (d *dir) ReadDir(n int) ([]fs.DirEntry, error) {
	all := d.t.dirEntries(d.n.name)[d.pos:]
	if n > 0 && len(all) == 0 {
		return nil, io.EOF
	}
	if n > 0 && len(all) > n {
		all = all[:n]
	}
	d.pos += len(all)
	return all, nil
}

type info struct {
	n    node
	name string
}

func (i info) Name() string { return i.name }
func (i info) Size() int64 {
	if i.n.isDir() || i.n.m.typ != tar.TypeReg {
		return 0
	}
	return i.n.m.size
}
func (i info) Mode() fs.FileMode {
	switch {
	case i.n.m == nil:
		return fs.ModeDir | 0o755
	case i.n.m.typ == tar.TypeSymlink:
		return fs.ModeSymlink | 0o777
	case i.n.m.typ == tar.TypeDir:
		return fs.ModeDir | fs.FileMode(i.n.m.perm).Perm()
	}
	return fs.FileMode(i.n.m.perm).Perm()
}

// ModTime is the zero time: image layouts carry no meaning in it, and the
// index keeps only what readers use.
func (i info) ModTime() time.Time { return time.Time{} }
func (i info) IsDir() bool        { return i.n.isDir() }
func (i info) Sys() any           { return nil }

// bufReader reads an archive's headers through a buffer: archive/tar reads
// each header in 512-byte blocks and seeks over data, and a ReaderAt call
// per block is slow natively and slower still in a browser.
type bufReader struct {
	r      io.ReaderAt
	size   int64
	pos    int64
	buf    []byte
	bstart int64
	blen   int
}

func (b *bufReader) Read(p []byte) (int, error) {
	if b.pos >= b.size {
		return 0, io.EOF
	}
	if b.pos < b.bstart || b.pos >= b.bstart+int64(b.blen) {
		if len(p) >= len(b.buf) {
			n, err := b.r.ReadAt(p[:min(int64(len(p)), b.size-b.pos)], b.pos)
			b.pos += int64(n)
			if err == io.EOF && n > 0 {
				err = nil
			}
			return n, err
		}
		n, err := b.r.ReadAt(b.buf[:min(int64(len(b.buf)), b.size-b.pos)], b.pos)
		if n == 0 {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		b.bstart, b.blen = b.pos, n
	}
	n := copy(p, b.buf[b.pos-b.bstart:b.blen])
	b.pos += int64(n)
	return n, nil
}

func (b *bufReader) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		off += b.pos
	case io.SeekEnd:
		off += b.size
	}
	if off < 0 {
		return 0, errors.New("tarfs: seek before the start")
	}
	b.pos = off
	return off, nil
}
