package convert

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"
)

// TarFS is a tar archive read through io.ReaderAt: its headers are indexed once,
// and each regular file is then served as a section of the archive, so nothing is
// extracted and nothing is read whole into memory. It implements fs.FS, fs.StatFS
// and fs.ReadDirFS; symlinks and hardlinks inside the archive are followed.
type TarFS struct {
	r       io.ReaderAt
	entries map[string]*tarEntry // by cleaned name; directories included
}

type tarEntry struct {
	name     string // cleaned, no leading "./" or "/"
	typ      byte
	linkname string
	offset   int64 // of the data in the archive
	size     int64
	mode     fs.FileMode
	mtime    time.Time
	sparse   bool
	children []string // base names, for directories
}

// maxLinkDepth bounds symlink resolution, as the kernel does.
const maxLinkDepth = 40

// IndexTar reads the headers of the tar in r (size bytes) and returns its index.
// Entries whose names would escape the archive root ("../x") make it fail: no
// consumer should be handed such an archive.
func IndexTar(r io.ReaderAt, size int64) (*TarFS, error) {
	sr := io.NewSectionReader(r, 0, size)
	tr := tar.NewReader(sr)
	t := &TarFS{r: r, entries: map[string]*tarEntry{".": {name: ".", typ: tar.TypeDir, mode: fs.ModeDir | 0o755}}}
	n := 0
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if n == 0 {
				return nil, fmt.Errorf("not a tar archive: %w", err)
			}
			return nil, fmt.Errorf("broken tar after %d entries: %w", n, err)
		}
		n++
		name, ok := cleanMember(hdr.Name)
		if !ok {
			return nil, fmt.Errorf("tar entry %q: unsafe name", hdr.Name)
		}
		// archive/tar reads headers without read-ahead and skips data with Seek,
		// so the section's position is now the start of this entry's data.
		off, _ := sr.Seek(0, io.SeekCurrent)
		e := &tarEntry{name: name, typ: hdr.Typeflag, linkname: hdr.Linkname, offset: off,
			size: hdr.Size, mode: hdr.FileInfo().Mode(), mtime: hdr.ModTime}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeRegA:
			e.typ = tar.TypeReg
			if off+hdr.Size > size {
				return nil, fmt.Errorf("tar entry %q: truncated (%d bytes declared, archive ends first)", hdr.Name, hdr.Size)
			}
		case tar.TypeGNUSparse:
			e.typ, e.sparse = tar.TypeReg, true
		case tar.TypeDir, tar.TypeSymlink, tar.TypeLink:
		default:
			continue // devices, fifos: not part of any image layout
		}
		for k := range hdr.PAXRecords {
			if strings.HasPrefix(k, "GNU.sparse.") {
				e.sparse = true
			}
		}
		if name == "." {
			continue
		}
		t.add(e)
	}
	if n == 0 {
		return nil, errors.New("not a tar archive: no entries")
	}
	return t, nil
}

// cleanMember turns a member name into an fs.FS path; ok is false for names that
// would land outside the archive root.
func cleanMember(name string) (string, bool) {
	name = strings.TrimLeft(name, "/")
	for _, elem := range strings.Split(name, "/") {
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

func (t *TarFS) add(e *tarEntry) {
	if old, ok := t.entries[e.name]; ok {
		// A later entry replaces an earlier one, as extraction would; a
		// directory keeps the children it already has.
		if old.typ == tar.TypeDir && e.typ == tar.TypeDir {
			return
		}
		if e.typ == tar.TypeDir {
			e.children = old.children
		}
		t.entries[e.name] = e
		return
	}
	t.entries[e.name] = e
	dir, base := path.Split(e.name)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = "."
	}
	p, ok := t.entries[dir]
	if !ok {
		p = &tarEntry{name: dir, typ: tar.TypeDir, mode: fs.ModeDir | 0o755}
		t.add(p)
	}
	p.children = append(p.children, base)
}

// resolve follows symlinks and hardlinks to the entry that holds the data.
func (t *TarFS) resolve(op, name string) (*tarEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	budget := maxLinkDepth
	e, err := t.follow(name, &budget)
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return e, nil
}

// follow resolves name, spending one unit of budget per link followed, so that
// link cycles end however they are built.
func (t *TarFS) follow(name string, budget *int) (*tarEntry, error) {
	for {
		e, err := t.lookup(name, budget)
		if err != nil {
			return nil, err
		}
		var target string
		switch e.typ {
		case tar.TypeSymlink:
			target = path.Join(path.Dir(e.name), e.linkname)
			if strings.HasPrefix(e.linkname, "/") {
				target = e.linkname
			}
		case tar.TypeLink:
			target = e.linkname
		default:
			return e, nil
		}
		if *budget--; *budget < 0 {
			return nil, errors.New("too many levels of links")
		}
		c, ok := cleanMember(target)
		if !ok {
			return nil, fmt.Errorf("link to %q leaves the archive", e.linkname)
		}
		name = c
	}
}

// lookup finds name, resolving parents that are symlinks to directories.
func (t *TarFS) lookup(name string, budget *int) (*tarEntry, error) {
	if e, ok := t.entries[name]; ok {
		return e, nil
	}
	dir, base := path.Split(name)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		return nil, fs.ErrNotExist
	}
	d, err := t.follow(dir, budget)
	if err != nil {
		return nil, err
	}
	if d.typ != tar.TypeDir || d.name == dir {
		return nil, fs.ErrNotExist
	}
	return t.lookup(path.Join(d.name, base), budget)
}

// Open implements fs.FS.
func (t *TarFS) Open(name string) (fs.File, error) {
	e, err := t.resolve("open", name)
	if err != nil {
		return nil, err
	}
	if e.sparse {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("sparse tar entries are not supported")}
	}
	if e.typ == tar.TypeDir {
		return &tarDir{t: t, e: e, name: name}, nil
	}
	return &TarFile{SectionReader: io.NewSectionReader(t.r, e.offset, e.size), e: e, name: name, r: t.r}, nil
}

// Stat implements fs.StatFS.
func (t *TarFS) Stat(name string) (fs.FileInfo, error) {
	e, err := t.resolve("stat", name)
	if err != nil {
		return nil, err
	}
	return tarInfo{e: e, name: path.Base(name)}, nil
}

// ReadDir implements fs.ReadDirFS.
func (t *TarFS) ReadDir(name string) ([]fs.DirEntry, error) {
	e, err := t.resolve("readdir", name)
	if err != nil {
		return nil, err
	}
	if e.typ != tar.TypeDir {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	return t.dirEntries(e), nil
}

func (t *TarFS) dirEntries(e *tarEntry) []fs.DirEntry {
	names := append([]string(nil), e.children...)
	sort.Strings(names)
	out := make([]fs.DirEntry, 0, len(names))
	for _, n := range names {
		c := t.entries[path.Join(e.name, n)]
		if c.typ == tar.TypeLink { // a hardlink is the file it links to
			budget := maxLinkDepth
			var err error
			if c, err = t.follow(c.name, &budget); err != nil {
				continue // a dangling link lists as nothing, as it opens as nothing
			}
		}
		// A symlink lists as a symlink, as os.ReadDir has it, so walks do
		// not follow links to "." or "..".
		out = append(out, fs.FileInfoToDirEntry(tarInfo{e: c, name: n}))
	}
	return out
}

// ReadLink implements fs.ReadLinkFS: a symlink's target, not followed.
func (t *TarFS) ReadLink(name string) (string, error) {
	e, err := t.lstat("readlink", name)
	if err != nil {
		return "", err
	}
	if e.typ != tar.TypeSymlink {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	return e.linkname, nil
}

// Lstat implements fs.ReadLinkFS: a symlink itself, not what it points to.
func (t *TarFS) Lstat(name string) (fs.FileInfo, error) {
	e, err := t.lstat("lstat", name)
	if err != nil {
		return nil, err
	}
	return tarInfo{e: e, name: path.Base(name)}, nil
}

func (t *TarFS) lstat(op, name string) (*tarEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	dir, base := path.Split(name)
	e, ok := t.entries[name]
	if !ok && dir != "" { // the parent may be reached through links
		d, err := t.resolve(op, strings.TrimSuffix(dir, "/"))
		if err != nil {
			return nil, err
		}
		e, ok = t.entries[path.Join(d.name, base)]
	}
	if !ok {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	if e.typ == tar.TypeLink {
		return t.resolve(op, name)
	}
	return e, nil
}

// TarFile is a regular file of a TarFS: a section of the archive.
type TarFile struct {
	*io.SectionReader
	e    *tarEntry
	name string
	r    io.ReaderAt
}

// Section returns the archive and the byte range that hold this file, so a sink
// can copy it without passing it through memory.
func (f *TarFile) Section() (r io.ReaderAt, off, n int64) { return f.r, f.e.offset, f.e.size }

func (f *TarFile) Stat() (fs.FileInfo, error) { return tarInfo{e: f.e, name: path.Base(f.name)}, nil }
func (f *TarFile) Close() error               { return nil }

type tarDir struct {
	t    *TarFS
	e    *tarEntry
	name string
	pos  int
}

func (d *tarDir) Stat() (fs.FileInfo, error) { return tarInfo{e: d.e, name: path.Base(d.name)}, nil }
func (d *tarDir) Close() error               { return nil }
func (d *tarDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errors.New("is a directory")}
}

func (d *tarDir) ReadDir(n int) ([]fs.DirEntry, error) {
	all := d.t.dirEntries(d.e)[d.pos:]
	if n > 0 && len(all) == 0 {
		return nil, io.EOF
	}
	if n > 0 && len(all) > n {
		all = all[:n]
	}
	d.pos += len(all)
	return all, nil
}

type tarInfo struct {
	e    *tarEntry
	name string
}

func (i tarInfo) Name() string { return i.name }
func (i tarInfo) Size() int64 {
	if i.e.typ == tar.TypeDir {
		return 0
	}
	return i.e.size
}
func (i tarInfo) Mode() fs.FileMode {
	if i.e.typ == tar.TypeSymlink {
		return fs.ModeSymlink | 0o777
	}
	if i.e.typ == tar.TypeDir {
		return fs.ModeDir | i.e.mode.Perm()
	}
	return i.e.mode.Perm()
}
func (i tarInfo) ModTime() time.Time { return i.e.mtime }
func (i tarInfo) IsDir() bool        { return i.e.typ == tar.TypeDir }
func (i tarInfo) Sys() any           { return nil }
