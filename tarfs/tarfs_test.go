package tarfs_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/retar-dev/retar/internal/imagetest"
	"github.com/retar-dev/retar/tarfs"
)

// reg, dir, symlink and hardlink are the members the tests write, each
// with its mode, a regular file in the tar format given.
func reg(name, body string, format tar.Format) imagetest.Member {
	return imagetest.Member{Name: name, Body: []byte(body), Header: &tar.Header{Format: format}}
}

func dir(name string) imagetest.Member {
	return imagetest.Member{Name: name, Type: tar.TypeDir}
}

func symlink(name, target string) imagetest.Member {
	return imagetest.Member{Name: name, Type: tar.TypeSymlink, Link: target, Header: &tar.Header{Mode: 0o777}}
}

func hardlink(name, target string) imagetest.Member {
	return imagetest.Member{Name: name, Type: tar.TypeLink, Link: target}
}

func indexTar(t testing.TB, data []byte) *tarfs.FS {
	t.Helper()
	tfs, err := tarfs.Index(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("IndexTar: %v", err)
	}
	return tfs
}

var (
	paxLong  = "pax/" + strings.Repeat("p", 120) + "/" + strings.Repeat("q", 90) + ".txt"
	gnuLong  = "gnu/" + strings.Repeat("g", 180) + ".txt"
	ustarCut = strings.Repeat("u", 90) + "/" + strings.Repeat("v", 60) + ".txt" // 155/100 prefix split
	paxLink  = "pax-link/" + strings.Repeat("l", 130)
)

// richTar has what archives in the wild carry: nested and implicit
// directories, "./" names, symlinks (relative, absolute, to directories),
// hardlinks, long names in each format, sizes around the block size, a
// directory written twice and a file written twice.
func richTar(t testing.TB) []byte {
	return imagetest.Members{
		dir("./"),
		dir("./etc/"),
		reg("./etc/hostname", "retar\n", tar.FormatUSTAR),
		reg("etc/deep/a/b/c/file.txt", "deep in implicit directories\n", tar.FormatUSTAR),
		dir("bin"),
		{Name: "bin/hello", Body: []byte("hello"), Header: &tar.Header{Mode: 0o755}},
		symlink("bin/hi", "hello"),
		symlink("etc/abs-link", "/etc/hostname"),
		symlink("etc/up-link", "../bin/hello"),
		hardlink("etc/hard", "./etc/hostname"),
		hardlink("./etc/hard-of-symlink", "bin/hi"),
		symlink("lib", "etc/deep"),
		reg("empty", "", tar.FormatUSTAR),
		reg("block/512", strings.Repeat("a", 512), tar.FormatUSTAR),
		reg("block/513", strings.Repeat("b", 513), tar.FormatUSTAR),
		reg("block/1023", strings.Repeat("c", 1023), tar.FormatUSTAR),
		reg(paxLong, "a PAX long name\n", tar.FormatPAX),
		reg(gnuLong, "a GNU long name\n", tar.FormatGNU),
		reg(ustarCut, "a USTAR prefix-split name\n", tar.FormatUSTAR),
		{Name: "pax/records", Body: []byte("pax!"), Header: &tar.Header{Mode: 0o600, Format: tar.FormatPAX,
			PAXRecords: map[string]string{"comment": strings.Repeat("x", 2000), "LIBARCHIVE.xattr.user.k": "dg=="}}},
		{Name: "gnu/times", Body: []byte("gnu"), Header: &tar.Header{Format: tar.FormatGNU, AccessTime: time.Unix(1, 0), ChangeTime: time.Unix(2, 0)}},
		{Name: paxLink, Type: tar.TypeSymlink, Link: "../" + paxLong, Header: &tar.Header{Mode: 0o777, Format: tar.FormatPAX}},
		{Name: "gnu/long-link", Type: tar.TypeSymlink, Link: "../" + gnuLong, Header: &tar.Header{Mode: 0o777, Format: tar.FormatGNU}},
		dir("bin/"),
		reg("dup", "first", tar.FormatUSTAR),
		reg("./dup", "second", tar.FormatUSTAR),
		{Name: "dev/null", Type: tar.TypeChar, Header: &tar.Header{Mode: 0o666, Devmajor: 1, Devminor: 3}},
	}.Tar(t)
}

func TestTarFSContract(t *testing.T) {
	tfs := indexTar(t, richTar(t))
	if err := fstest.TestFS(tfs,
		"etc/hostname", "etc/deep/a/b/c/file.txt", "bin/hello", "bin/hi", "etc/abs-link", "etc/up-link",
		"etc/hard", "etc/hard-of-symlink", "empty", "block/512", "block/513",
		"block/1023", paxLong, gnuLong, ustarCut, "pax/records", "gnu/times", paxLink, "gnu/long-link"); err != nil {
		t.Fatal(err)
	}
	// A walk does not descend through a symlinked directory (as with
	// os.DirFS), but opening a path through it does.
	if b, err := fs.ReadFile(tfs, "lib/a/b/c/file.txt"); err != nil || len(b) == 0 {
		t.Errorf("reading through the lib -> etc/deep link: %q, %v", b, err)
	}
}

func TestTarFSLinks(t *testing.T) {
	tfs := indexTar(t, richTar(t))
	for name, want := range map[string]string{
		"bin/hi":              "hello",
		"etc/abs-link":        "retar\n",
		"etc/up-link":         "hello",
		"etc/hard":            "retar\n",
		"etc/hard-of-symlink": "hello",
		"lib/a/b/c/file.txt":  "deep in implicit directories\n",
		paxLink:               "a PAX long name\n",
		"gnu/long-link":       "a GNU long name\n",
	} {
		got, err := fs.ReadFile(tfs, name)
		if err != nil || string(got) != want {
			t.Errorf("ReadFile(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := tfs.Open("dev/null"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a device opens: %v", err)
	}
	fi, err := tfs.Stat("bin/hello")
	if err != nil || fi.Mode() != 0o755 || fi.Size() != 5 {
		t.Errorf("Stat(bin/hello) = %v %v, %v", fi.Mode(), fi.Size(), err)
	}
}

// checkTarEquivalence reads data with archive/tar's streaming reader and
// checks that every regular file it yields (the last entry of each name)
// reads the same through the TarFS, whole and as the section it names.
func checkTarEquivalence(t testing.TB, data []byte, tfs *tarfs.FS) int {
	t.Helper()
	type want struct {
		raw  string
		body []byte
	}
	last := map[string]*want{}
	dups := map[string]bool{}
	var order []string
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("archive/tar: %v", err)
		}
		name := path.Clean(strings.TrimLeft(h.Name, "/"))
		if name == "." || name == "" {
			continue
		}
		if _, ok := last[name]; !ok {
			order = append(order, name)
		} else if h.Typeflag != tar.TypeDir {
			dups[name] = true
		}
		switch h.Typeflag {
		case tar.TypeReg:
			body, err := io.ReadAll(tr)
			if err != nil {
				t.Fatalf("archive/tar read %q: %v", h.Name, err)
			}
			last[name] = &want{raw: h.Name, body: body}
		case tar.TypeDir, tar.TypeSymlink, tar.TypeLink, tar.TypeGNUSparse:
			last[name] = nil // not a plain file any more
		}
	}
	n := 0
	for _, name := range order {
		w := last[name]
		if dups[name] {
			// Extraction keeps the last, some readers the first: tarfs
			// refuses the name rather than pick.
			if _, err := fs.ReadFile(tfs, name); !errors.Is(err, tarfs.ErrDuplicate) {
				t.Errorf("%q is written twice; reading it: %v, want ErrDuplicate", name, err)
			}
			continue
		}
		if w == nil {
			continue
		}
		n++
		got, err := fs.ReadFile(tfs, name)
		if err != nil {
			t.Errorf("%q: TarFS: %v", w.raw, err)
			continue
		}
		if !bytes.Equal(got, w.body) {
			t.Errorf("%q: TarFS reads %d bytes, archive/tar %d, and they differ", w.raw, len(got), len(w.body))
		}
		f, err := tfs.Open(name)
		if err != nil {
			t.Errorf("%q: %v", w.raw, err)
			continue
		}
		tf, ok := f.(*tarfs.File)
		if !ok {
			t.Errorf("%q opens as %T, not a *tarfs.File", w.raw, f)
			f.Close()
			continue
		}
		r, off, size := tf.Section()
		sec := make([]byte, size)
		if _, err := r.ReadAt(sec, off); err != nil && !(err == io.EOF && size == 0) {
			t.Errorf("%q: section %d+%d: %v", w.raw, off, size, err)
		}
		if !bytes.Equal(sec, w.body) {
			t.Errorf("%q: the section at %d+%d is not the entry's content", w.raw, off, size)
		}
		f.Close()
	}
	return n
}

func TestTarFSEqualsArchiveTar(t *testing.T) {
	data := richTar(t)
	if n := checkTarEquivalence(t, data, indexTar(t, data)); n < 12 {
		t.Errorf("compared %d regular files, want every one of richTar's", n)
	}
}

// The same equivalence on every uncompressed tar of the interop corpus: real
// writers (docker, podman, Bazel, BuildKit, ggcr) and their header quirks.
func TestTarFSEqualsArchiveTarOnFixtures(t *testing.T) {
	root := filepath.Join("..", "golden", "testdata", "thirdparty")
	if _, err := os.Stat(root); err != nil {
		t.Fatalf("no fixtures at %s: %v", root, err)
	}
	count := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".tar") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if _, err := tar.NewReader(bytes.NewReader(data)).Next(); err != nil {
			return nil // not a tar, or compressed under a .tar name
		}
		count++
		t.Run(strings.TrimPrefix(filepath.ToSlash(p), filepath.ToSlash(root)+"/"), func(t *testing.T) {
			tfs, err := tarfs.Index(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Skipf("IndexTar refuses it: %v", err)
			}
			checkTarEquivalence(t, data, tfs)
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if count == 0 {
		t.Error("no tar in the fixtures")
	}
}

func chain(n int, final imagetest.Member, mk func(name, target string) imagetest.Member) imagetest.Members {
	entries := imagetest.Members{final}
	for i := range n {
		target := final.Name
		if i > 0 {
			target = fmt.Sprintf("l%d", i-1)
		}
		entries = append(entries, mk(fmt.Sprintf("l%d", i), target))
	}
	return entries
}

func TestTarFSLinkDepth(t *testing.T) {
	file := reg("target", "end of the chain", tar.FormatUSTAR)
	for _, c := range []struct {
		name string
		mk   func(name, target string) imagetest.Member
	}{{"symlinks", symlink}, {"hardlinks", hardlink}} {
		t.Run(c.name, func(t *testing.T) {
			// 40 links resolve, as in the kernel (MAXSYMLINKS); 41 do not.
			tfs := indexTar(t, chain(41, file, c.mk).Tar(t))
			if got, err := fs.ReadFile(tfs, "l39"); err != nil || string(got) != "end of the chain" {
				t.Errorf("40 links: %q, %v", got, err)
			}
			if _, err := fs.ReadFile(tfs, "l40"); err == nil || errors.Is(err, fs.ErrNotExist) {
				t.Errorf("41 links: %v, want a too-many-links error", err)
			}
		})
	}
	loops := imagetest.Members{
		symlink("a", "b"), symlink("b", "a"),
		symlink("self", "self"),
		hardlink("h1", "h2"), hardlink("h2", "h1"),
		symlink("mixed", "hm"), hardlink("hm", "mixed"),
		symlink("d", "d"), symlink("up", "."),
		dir("real"), symlink("real/back", ".."),
		reg("real/file", "ok", tar.FormatUSTAR),
	}.Tar(t)
	tfs := indexTar(t, loops)
	for _, name := range []string{"a", "b", "self", "h1", "mixed", "d/x", "d/d/d/x", "real/back/d/x"} {
		done := make(chan error, 1)
		go func() {
			_, err := fs.ReadFile(tfs, name)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("%s: read through a link loop", name)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: resolving a link loop does not end", name)
		}
		if _, err := tfs.Stat(name); err == nil {
			t.Errorf("Stat(%s): no error", name)
		}
	}
	if got, err := fs.ReadFile(tfs, "real/back/real/back/up/real/file"); err != nil || string(got) != "ok" {
		t.Errorf("a path through links that do not loop: %q, %v", got, err)
	}
}

// fs.WalkDir does not follow symbolic links, trusting the FS to list them as
// links; a TarFS lists a link by what it resolves to, so a link to a parent
// directory must not make every walk of it endless (here 2^40 paths).
func TestTarFSWalkEndsOnDirLinkLoops(t *testing.T) {
	tfs := indexTar(t, imagetest.Members{
		symlink("up", "."), symlink("up2", "."),
		dir("real"), symlink("real/back", ".."),
		reg("real/file", "ok", tar.FormatUSTAR),
	}.Tar(t))
	visits := 0
	err := fs.WalkDir(tfs, ".", func(p string, d fs.DirEntry, err error) error {
		if visits++; visits > 10000 {
			return fmt.Errorf("still walking after %d entries, at %s", visits, p)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

func TestTarFSUnsafeNames(t *testing.T) {
	for _, name := range []string{"../x", "a/../../x", "./../x", "/../x", "a/..", "a/../b"} {
		data := imagetest.Members{reg("ok", "ok", tar.FormatUSTAR), reg(name, "escape", tar.FormatUSTAR)}.Tar(t)
		_, err := tarfs.Index(bytes.NewReader(data), int64(len(data)))
		if err == nil {
			t.Errorf("IndexTar accepts an entry named %q", name)
		} else if !strings.Contains(err.Error(), name) {
			t.Errorf("%q: the error does not name the entry: %v", name, err)
		}
	}
	data := imagetest.Members{
		reg("etc/passwd", "inside", tar.FormatUSTAR),
		symlink("out", "../../etc/passwd"),
		symlink("abs", "/etc/passwd"),
		symlink("deep/out", "../../x"),
		hardlink("hout", "../etc/passwd"),
	}.Tar(t)
	tfs := indexTar(t, data)
	for _, name := range []string{"../etc/passwd", "/etc/passwd", "etc/../etc/passwd", "./etc/passwd", "etc/passwd/", ""} {
		if _, err := tfs.Open(name); !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("Open(%q): %v, want fs.ErrInvalid", name, err)
		}
	}
	for _, name := range []string{"out", "deep/out", "hout"} {
		if b, err := fs.ReadFile(tfs, name); err == nil {
			t.Errorf("%s leaves the archive and reads %q", name, b)
		}
	}
	// An absolute link stays inside: the archive is its root.
	if b, err := fs.ReadFile(tfs, "abs"); err != nil || string(b) != "inside" {
		t.Errorf("abs: %q, %v", b, err)
	}
}

func TestTarFSTruncated(t *testing.T) {
	data := imagetest.Members{reg("a", "aaaa", tar.FormatUSTAR), reg("big", strings.Repeat("z", 4000), tar.FormatUSTAR)}.Tar(t)
	for _, n := range []int{1536 + 2000, 1024 + 100, 100} { // in big's data, in its header, in the first header
		if _, err := tarfs.Index(bytes.NewReader(data[:n]), int64(n)); err == nil {
			t.Errorf("IndexTar of the first %d bytes of %d: no error", n, len(data))
		}
	}
}

func TestDuplicateNamesBothOffsets(t *testing.T) {
	data := imagetest.Members{
		reg("manifest.json", "[first]", tar.FormatUSTAR),
		reg("other", "x", tar.FormatUSTAR),
		reg("./manifest.json", "[second]", tar.FormatUSTAR),
		dir("blobs"), dir("blobs/"), reg("blobs/a", "a", tar.FormatUSTAR),
	}.Tar(t)
	tfs := indexTar(t, data)
	_, err := fs.ReadFile(tfs, "manifest.json")
	var de *tarfs.DuplicateError
	if !errors.As(err, &de) || !errors.Is(err, tarfs.ErrDuplicate) {
		t.Fatalf("ReadFile of a name written twice: %v, want a DuplicateError", err)
	}
	// The data of member 1 starts after its header, member 3's after three
	// headers and two padded bodies.
	if de.Offsets != [2]int64{512, 3*512 + 2*512} || !strings.Contains(err.Error(), "512") || !strings.Contains(err.Error(), "2560") {
		t.Errorf("offsets %v in %q, want 512 and 2560", de.Offsets, err)
	}
	if _, err := tfs.Stat("manifest.json"); !errors.Is(err, tarfs.ErrDuplicate) {
		t.Errorf("Stat: %v", err)
	}
	// A directory written twice is one directory.
	if b, err := fs.ReadFile(tfs, "blobs/a"); err != nil || string(b) != "a" {
		t.Errorf("blobs/a: %q, %v", b, err)
	}
	if ents, err := fs.ReadDir(tfs, "blobs"); err != nil || len(ents) != 1 {
		t.Errorf("ReadDir(blobs): %v, %v", ents, err)
	}
}

// A member nested hundreds of thousands of directories deep is left out at
// once: no image layout names such a file, and indexing its parents one by
// one would take time and memory quadratic in its depth.
func TestDeepNamesAreLeftOut(t *testing.T) {
	deep := strings.Repeat("d/", 200000) + "f"
	data := imagetest.Members{
		reg(deep, "deep", tar.FormatPAX),
		reg(deep+"2", "deep", tar.FormatPAX),
		reg("manifest.json", "[]", tar.FormatUSTAR),
	}.Tar(t)
	tfs := indexTar(t, data)
	if b, err := fs.ReadFile(tfs, "manifest.json"); err != nil || string(b) != "[]" {
		t.Errorf("manifest.json beside deep names: %q, %v", b, err)
	}
	if _, err := tfs.Stat("d"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the deep member's first directory: %v, want not-exist (the member is left out)", err)
	}
}

func TestLongLinkTargetsAreLeftOut(t *testing.T) {
	data := imagetest.Members{
		{Name: "l", Type: tar.TypeSymlink, Link: strings.Repeat("x/", 3000), Header: &tar.Header{Mode: 0o777, Format: tar.FormatPAX}},
		reg("ok", "ok", tar.FormatUSTAR),
	}.Tar(t)
	tfs := indexTar(t, data)
	if _, err := tfs.Stat("l"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a link with a %d-byte target: %v, want it left out", 6000, err)
	}
}

// The index costs a few dozen bytes a member, whatever archive/tar's headers
// cost: 200 000 members index in well under 20 MiB of live heap.
func TestScaleIndexIsCompact(t *testing.T) {
	if raceDetector {
		t.Skip("the race detector's memory says nothing; make test runs TestScale without it")
	}
	const n = 200000
	data := manyMembers(t, n, func(i int) string { return fmt.Sprintf("d%03d/f%06d", i%1000, i) })
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tfs := indexTar(t, data)
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if grew > 20<<20 {
		t.Errorf("the index of %d members holds %d MiB", n, grew>>20)
	}
	if b, err := fs.ReadFile(tfs, "d123/f001123"); err != nil || string(b) != "x" {
		t.Errorf("a member among %d: %q, %v", n, b, err)
	}
	runtime.KeepAlive(tfs)
}

func BenchmarkIndex(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		data := manyMembers(b, n, func(i int) string { return fmt.Sprintf("blobs/sha256/%064d", i) })
		b.Run(fmt.Sprint(n, "-members"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tarfs.Index(bytes.NewReader(data), int64(len(data))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// manyMembers is a tar of n one-byte files, member i named name(i).
func manyMembers(t testing.TB, n int, name func(int) string) []byte {
	x := []byte{'x'}
	ms := make(imagetest.Members, n)
	for i := range ms {
		ms[i] = imagetest.Member{Name: name(i), Body: x}
	}
	return ms.Tar(t)
}

// raceDetector is set in race builds, where time and memory say nothing about
// growth: make test runs the TestScale tests a second time without it.
var raceDetector bool
