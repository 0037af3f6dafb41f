package imagetest

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// modTime is the modification time of every member whose header gives none.
var modTime = time.Unix(1700000000, 0)

// Member is one entry of a tar or one file of a layout directory.
type Member struct {
	Name string
	Type byte   // tar.TypeReg when zero
	Link string // a symlink's or hardlink's target
	Body []byte // a regular file's content

	// Header, when not nil, is the rest of the tar header: its mode, format,
	// times, owners, PAX records, device numbers. Name, Typeflag, Linkname
	// and (for a regular file) Size are the fields above. A zero Mode is
	// 0644 (0755 for a directory); a zero ModTime is Unix time 1700000000.
	Header *tar.Header
}

// Members is an archive as a list of entries, in the order they are
// written. Its methods return edited copies and leave the list they are
// called on as it was, so one valid archive can give many hostile ones.
type Members []Member

// Blob is the member of an OCI layout that stores b.
func Blob(b []byte) Member { return Member{Name: BlobPath(b), Body: b} }

// Tar writes the members as a tar.
func (ms Members) Tar(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range ms {
		h := m.header()
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("imagetest: tar header %q: %v", m.Name, err)
		}
		if _, err := tw.Write(m.Body); err != nil {
			t.Fatalf("imagetest: tar body %q: %v", m.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (m Member) header() *tar.Header {
	var h tar.Header
	if m.Header != nil {
		h = *m.Header
	}
	h.Name, h.Typeflag, h.Linkname, h.Size = m.Name, m.Type, m.Link, 0
	if h.Typeflag == 0 {
		h.Typeflag = tar.TypeReg
	}
	if h.Typeflag == tar.TypeReg {
		h.Size = int64(len(m.Body))
	}
	if h.Mode == 0 {
		h.Mode = 0o644
		if h.Typeflag == tar.TypeDir {
			h.Mode = 0o755
		}
	}
	if h.ModTime.IsZero() {
		h.ModTime = modTime
	}
	return &h
}

// WriteFile writes the members as a tar file at p.
func (ms Members) WriteFile(t testing.TB, p string) {
	t.Helper()
	if err := os.WriteFile(p, ms.Tar(t), 0o644); err != nil {
		t.Fatal(err)
	}
}

// WriteDir writes the members as files under dir (an OCI layout or a dir:
// layout on disk), creating the directories they need. Regular files,
// directories and symlinks only; a name that leaves dir fails the test.
func (ms Members) WriteDir(t testing.TB, dir string) {
	t.Helper()
	for _, m := range ms {
		if !filepath.IsLocal(filepath.FromSlash(m.Name)) {
			t.Fatalf("imagetest: %q is not a path inside a directory", m.Name)
		}
		p := filepath.Join(dir, filepath.FromSlash(m.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch m.Type {
		case 0, tar.TypeReg:
			err = os.WriteFile(p, m.Body, 0o644)
		case tar.TypeDir:
			err = os.MkdirAll(p, 0o755)
		case tar.TypeSymlink:
			err = os.Symlink(m.Link, p)
		default:
			t.Fatalf("imagetest: %q: a %q member has no place in a directory", m.Name, m.Type)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// WholeTar says whether a tar reader reads data, something written, to its
// end without an error: what a loader would take for a whole archive.
func WholeTar(data []byte) bool {
	if len(data) == 0 {
		return false // nothing written: no archive at all
	}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		_, err := tr.Next()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
		if _, err := io.Copy(io.Discard, tr); err != nil {
			return false
		}
	}
}

// FileLayer is a layer tar of one file, "data", holding body.
func FileLayer(t testing.TB, body []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "data", Mode: 0o644, Size: int64(len(body))}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TarNames lists the entries of data, a tar as far as it reads, and says
// whether it ends as a whole tar does: every entry read to its end, then
// the end-of-archive marker (zero blocks, at least two). A stream cut
// short before its marker is what no loader takes for an archive.
func TarNames(data []byte) (names []string, ended bool) {
	r := bytes.NewReader(data)
	tr := tar.NewReader(r)
	end := int64(0) // where the last entry, padded, ends
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name)
		if _, err := io.Copy(io.Discard, tr); err != nil {
			return names, false
		}
		end = (int64(len(data)) - int64(r.Len()) + 511) / 512 * 512
	}
	rest := data[min(end, int64(len(data))):]
	return names, len(rest) >= 1024 && len(rest)%512 == 0 && bytes.Count(rest, []byte{0}) == len(rest)
}

// ReadTar reads a tar into members, each with its whole header, so that
// writing them again gives the same entries.
func ReadTar(t testing.TB, data []byte) Members {
	t.Helper()
	var ms Members
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return ms
		}
		if err != nil {
			t.Fatalf("imagetest: read tar: %v", err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("imagetest: read tar member %q: %v", h.Name, err)
		}
		ms = append(ms, Member{Name: h.Name, Type: h.Typeflag, Link: h.Linkname, Body: body, Header: h})
	}
}

// ReadTarFile reads the tar file at p into members.
func ReadTarFile(t testing.TB, p string) Members {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return ReadTar(t, data)
}

// ReadDir reads the files, directories ("name/") and symlinks under dir,
// in lexical order, as members.
func ReadDir(t testing.TB, dir string) Members {
	t.Helper()
	var ms Members
	err := fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil || p == ".":
			return err
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(filepath.Join(dir, filepath.FromSlash(p)))
			ms = append(ms, Member{Name: p, Type: tar.TypeSymlink, Link: target})
			return err
		case d.IsDir():
			ms = append(ms, Member{Name: p + "/", Type: tar.TypeDir})
			return nil
		case !d.Type().IsRegular():
			return errors.New(p + ": neither a file, a directory nor a symlink")
		}
		body, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		ms = append(ms, Member{Name: p, Body: body})
		return err
	})
	if err != nil {
		t.Fatalf("imagetest: read %s: %v", dir, err)
	}
	return ms
}

// Get returns the body of the first member named name.
func (ms Members) Get(t testing.TB, name string) []byte {
	t.Helper()
	return ms[ms.find(t, name)].Body
}

// Set returns a copy with the body of the first member named name replaced.
func (ms Members) Set(t testing.TB, name string, body []byte) Members {
	t.Helper()
	out := ms.clone()
	out[ms.find(t, name)].Body = body
	return out
}

// Edit returns a copy with the body of the first member named name replaced
// by what fn makes of it (Flip, say).
func (ms Members) Edit(t testing.TB, name string, fn func([]byte) []byte) Members {
	t.Helper()
	return ms.Set(t, name, fn(ms.Get(t, name)))
}

// Rename returns a copy with the first member named old named new, in its place.
func (ms Members) Rename(t testing.TB, old, new string) Members {
	t.Helper()
	out := ms.clone()
	out[ms.find(t, old)].Name = new
	return out
}

// Drop returns a copy without the members named name.
func (ms Members) Drop(t testing.TB, name string) Members {
	t.Helper()
	ms.find(t, name)
	var out Members
	for _, m := range ms {
		if m.Name != name {
			out = append(out, m)
		}
	}
	return out
}

// Add returns a copy with more appended: a second member of a name already
// there, a link, an entry that climbs out.
func (ms Members) Add(more ...Member) Members {
	return append(ms.clone(), more...)
}

// Names lists the members' names in order.
func (ms Members) Names() []string {
	s := make([]string, 0, len(ms))
	for _, m := range ms {
		s = append(s, m.Name)
	}
	return s
}

func (ms Members) clone() Members { return append(Members(nil), ms...) }

// find is the index of the first member named name, failing the test if there is none.
func (ms Members) find(t testing.TB, name string) int {
	t.Helper()
	for i, m := range ms {
		if m.Name == name {
			return i
		}
	}
	t.Fatalf("imagetest: no member %q in %q", name, ms.Names())
	return -1
}
