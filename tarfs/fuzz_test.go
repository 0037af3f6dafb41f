package tarfs_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"testing"

	"github.com/retar-dev/retar/internal/imagetest"
	"github.com/retar-dev/retar/tarfs"
)

func fuzzSeeds(t testing.TB) [][]byte {
	return [][]byte{
		richTar(t),
		imagetest.Members{
			dir("./d/"), reg("d/f", "file", tar.FormatUSTAR), symlink("s", "d/f"), hardlink("h", "s"),
			reg(paxLong, "pax", tar.FormatPAX), reg(gnuLong, "gnu", tar.FormatGNU), symlink("loop", "loop"),
		}.Tar(t),
		imagetest.Members{reg("manifest.json", "[]", tar.FormatUSTAR), reg("manifest.json", "[1]", tar.FormatUSTAR)}.Tar(t),
	}
}

// maxFuzzEntries bounds the files a fuzz input's walk opens: a tar of links to
// "." lists endlessly (see TestTarFSWalkEndsOnDirLinkLoops).
const maxFuzzEntries = 2000

func FuzzIndex(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tfs, err := tarfs.Index(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		// Open and read every entry, through links as the index resolves them.
		visits := 0
		_ = fs.WalkDir(tfs, ".", func(p string, d fs.DirEntry, err error) error {
			if visits++; visits > maxFuzzEntries {
				return fs.SkipAll
			}
			if err != nil || d.IsDir() && p != "." && strings.Count(p, "/") > 16 {
				return fs.SkipDir
			}
			if _, err := d.Info(); err != nil {
				t.Errorf("%s: listed, but Info fails: %v", p, err)
			}
			if d.IsDir() {
				return nil
			}
			b, err := fs.ReadFile(tfs, p)
			if err == nil {
				if fi, err := tfs.Stat(p); err != nil || fi.Size() != int64(len(b)) {
					t.Errorf("%s: read %d bytes, Stat says %v, %v", p, len(b), fi, err)
				}
			}
			return nil
		})
		// What archive/tar streams, the index serves: same files, same bytes.
		var failed bool
		tr := tar.NewReader(bytes.NewReader(data))
		last := map[string][]byte{}
		seen := map[string]bool{}
		dups := map[string]bool{}
		for {
			h, err := tr.Next()
			if err != nil {
				failed = err != io.EOF
				break
			}
			name := path.Clean(strings.TrimLeft(h.Name, "/"))
			if seen[name] && h.Typeflag != tar.TypeDir {
				dups[name] = true
			}
			if h.Typeflag == tar.TypeReg || h.Typeflag == tar.TypeDir || h.Typeflag == tar.TypeSymlink || h.Typeflag == tar.TypeLink || h.Typeflag == tar.TypeGNUSparse {
				seen[name] = true
			}
			switch h.Typeflag {
			case tar.TypeReg:
			case tar.TypeDir, tar.TypeSymlink, tar.TypeLink, tar.TypeGNUSparse:
				last[name] = nil // no longer a plain file
				continue
			default:
				continue // devices and the like: the index skips them
			}
			body, err := io.ReadAll(tr)
			if err != nil {
				failed = true
				break
			}
			last[name] = body
			for k := range h.PAXRecords {
				if strings.HasPrefix(k, "GNU.sparse.") {
					last[name] = nil // sparse files are refused
				}
			}
		}
		if failed {
			return // archive/tar fails on it; the index needn't agree on what is left
		}
		names := make([]string, 0, len(last))
		for n := range last {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			want := last[n]
			if want == nil || n == "." || len(n) > tarfs.MaxName {
				continue
			}
			got, err := fs.ReadFile(tfs, n)
			if dups[n] {
				if !errors.Is(err, tarfs.ErrDuplicate) {
					t.Errorf("%q is written twice; the index reads it: %v", n, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%q: archive/tar reads %d bytes, tarfs fails: %v", n, len(want), err)
			} else if !bytes.Equal(got, want) {
				t.Errorf("%q: tarfs reads %d bytes, archive/tar %d, and they differ", n, len(got), len(want))
			}
		}
	})
}
