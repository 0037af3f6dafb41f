package golden_test

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
)

// TestDiffFilesMatchUnpacking holds retar diff --files against what
// unpacking both images onto a disk and comparing the trees (diff -r's
// view: type, permissions, size, content, link target) shows, for images
// with whiteouts, an opaque directory, hard links and symlinks.
func TestDiffFilesMatchUnpacking(t *testing.T) {
	tmp := t.TempDir()
	writeDiffInputs(t, tmp)
	umoci := filepath.Join("testdata", "real", "umoci-layout")
	multi := filepath.Join("testdata", "real", "podman-save-multi.tar")
	for _, tc := range []struct{ a, aPick, b, bPick string }{
		{filepath.Join(tmp, "rebuild-a.tar"), "", filepath.Join(tmp, "rebuild-b.tar"), ""},
		{filepath.Join(tmp, "rebuild-b.tar"), "", filepath.Join(tmp, "rebuild-a.tar"), ""},
		{umoci, "1", umoci, "2"},
		{umoci, "2", umoci, "1"},
		{multi, "@0", multi, "@1"},
	} {
		t.Run(filepath.Base(tc.a)+tc.aPick+"-"+filepath.Base(tc.b)+tc.bPick, func(t *testing.T) {
			ref := func(p, pick string) string {
				if st, err := os.Stat(p); err == nil && st.IsDir() {
					p = "oci:" + p
				}
				if pick != "" {
					p += ":" + pick
				}
				return p
			}
			out, code := runDiff(t, "--json", "--files", ref(tc.a, tc.aPick), ref(tc.b, tc.bPick))
			if code != 1 {
				t.Fatalf("exit %d, want 1", code)
			}
			got := reportedPaths(t, out)
			want := diskDiff(t, unpack(t, tc.a, tc.aPick), unpack(t, tc.b, tc.bPick))
			if !slices.Equal(got, want) {
				t.Errorf("retar diff --files: %q\nunpacked trees:     %q", got, want)
			}
			if len(want) == 0 {
				t.Error("the pair has no file that differs: it tests nothing")
			}
		})
	}
}

// reportedPaths are the paths of the report's file diff, as "+path",
// "-path", "~path", leaving out what a disk of this test cannot show: owners,
// and the permissions of directories (made writable to unpack into).
func reportedPaths(t *testing.T, out string) []string {
	var r struct {
		Images []struct {
			Platforms []struct {
				Files *struct {
					Added, Removed []struct{ Path string }
					Modified       []struct {
						Path   string
						Fields []string
						A      struct{ Type string }
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Images) != 1 || len(r.Images[0].Platforms) != 1 || r.Images[0].Platforms[0].Files == nil {
		t.Fatalf("want one image of one platform with a file diff: %s", out)
	}
	f := r.Images[0].Platforms[0].Files
	var paths []string
	for _, e := range f.Added {
		paths = append(paths, "+"+e.Path)
	}
	for _, e := range f.Removed {
		paths = append(paths, "-"+e.Path)
	}
	for _, m := range f.Modified {
		shown := slices.DeleteFunc(slices.Clone(m.Fields), func(s string) bool {
			return s == "owner" || s == "mode" && m.A.Type == "dir"
		})
		if len(shown) > 0 {
			paths = append(paths, "~"+m.Path)
		}
	}
	slices.Sort(paths)
	return paths
}

// unpack writes the image's filesystem into a directory the way a runtime
// unpacks layers, with os calls: a whiteout removes its target from the
// disk, an opaque marker removes what this layer did not write below its
// directory.
func unpack(t *testing.T, p, pick string) string {
	t.Helper()
	a := imagetest.OpenPath(t, p)
	imgs, err := a.Select(pick)
	if err != nil {
		t.Fatal(err)
	}
	root, err := imgs[0].Root(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for root.Index != nil {
		root = root.Children[0]
	}
	dir := t.TempDir()
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, l := range root.Children[1:] {
		written := map[string]bool{}
		if err := a.ReadLayer(context.Background(), l, convert.DefaultLimits, func(tr io.Reader) error {
			return unpackLayer(r, tar.NewReader(tr), written)
		}); err != nil {
			t.Fatalf("%s: %v", l.Desc.Digest, err)
		}
	}
	return dir
}

func unpackLayer(r *os.Root, tr *tar.Reader, written map[string]bool) error {
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Clean(strings.TrimPrefix(strings.TrimPrefix(h.Name, "./"), "/"))
		dir, base := path.Split(name)
		dir = path.Clean(dir)
		switch {
		case base == ".wh..wh..opq":
			if err := removeUnwritten(r, dir, written); err != nil {
				return err
			}
			continue
		case strings.HasPrefix(base, ".wh."):
			if err := r.RemoveAll(path.Join(dir, strings.TrimPrefix(base, ".wh."))); err != nil {
				return err
			}
			continue
		}
		if err := r.MkdirAll(dir, 0o755); err != nil && dir != "." {
			return err
		}
		if fi, err := r.Lstat(name); err == nil && (fi.IsDir() != (h.Typeflag == tar.TypeDir)) || err == nil && h.Typeflag != tar.TypeDir {
			if err := r.RemoveAll(name); err != nil {
				return err
			}
		}
		written[name] = true
		if err := writeEntry(r, h, name, tr); err != nil {
			return err
		}
	}
}

func writeEntry(r *os.Root, h *tar.Header, name string, body io.Reader) error {
	switch h.Typeflag {
	case tar.TypeDir:
		return r.MkdirAll(name, 0o755)
	case tar.TypeSymlink:
		return r.Symlink(h.Linkname, name)
	case tar.TypeLink:
		return r.Link(path.Clean(strings.TrimPrefix(h.Linkname, "/")), name)
	case tar.TypeReg:
		b, err := io.ReadAll(body)
		if err != nil {
			return err
		}
		if err := r.WriteFile(name, b, 0o600); err != nil {
			return err
		}
		return r.Chmod(name, fs.FileMode(h.Mode).Perm())
	}
	return fmt.Errorf("%s: entry type %q not unpacked here", name, h.Typeflag)
}

// removeUnwritten removes, below dir, what the layer being unpacked did not
// write.
func removeUnwritten(r *os.Root, dir string, written map[string]bool) error {
	f, err := r.Open(dir)
	if err != nil {
		return nil // nothing below it yet
	}
	ents, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return err
	}
	for _, e := range ents {
		p := path.Join(dir, e.Name())
		switch {
		case !written[p]:
			err = r.RemoveAll(p)
		case e.IsDir():
			err = removeUnwritten(r, p, written)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// diskDiff compares two unpacked trees as diff -r does, plus permissions
// of files: "+path" only in b, "-path" only in a, "~path" differing.
func diskDiff(t *testing.T, a, b string) []string {
	ta, tb := diskTree(t, a), diskTree(t, b)
	var out []string
	for p, da := range ta {
		db, ok := tb[p]
		switch {
		case !ok:
			out = append(out, "-"+p)
		case da != db:
			out = append(out, "~"+p)
		}
	}
	for p := range tb {
		if _, ok := ta[p]; !ok {
			out = append(out, "+"+p)
		}
	}
	slices.Sort(out)
	return out
}

func diskTree(t *testing.T, root string) map[string]string {
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			m[rel] = "dir"
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			m[rel] = "symlink " + target
			return err
		default:
			b, err := os.ReadFile(p)
			m[rel] = fmt.Sprintf("file %o %x", fi.Mode().Perm(), sha256.Sum256(b))
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
