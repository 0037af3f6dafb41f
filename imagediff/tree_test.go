package imagediff_test

import (
	"archive/tar"
	"bytes"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/retar-dev/retar/imagediff"
	"github.com/retar-dev/retar/internal/imagetest"
)

func dir(name string) imagetest.Member { return imagetest.Member{Name: name, Type: tar.TypeDir} }
func file(name, body string) imagetest.Member {
	return imagetest.Member{Name: name, Body: []byte(body)}
}
func mark(name string) imagetest.Member { return imagetest.Member{Name: name} }

// tree applies layers, each a list of members, in order.
func tree(t *testing.T, layers ...imagetest.Members) *imagediff.Tree {
	t.Helper()
	tr := imagediff.NewTree()
	for i, l := range layers {
		if err := tr.Apply(bytes.NewReader(l.Tar(t))); err != nil {
			t.Fatalf("layer %d: %v", i, err)
		}
	}
	return tr
}

// paths lists what a tree holds, as "path type" lines, sorted.
func paths(tr *imagediff.Tree, candidates ...string) []string {
	var out []string
	for _, p := range candidates {
		if f := tr.Lookup(p); f != nil {
			out = append(out, p+" "+f.Type)
		}
	}
	slices.Sort(out)
	return out
}

var base = imagetest.Members{
	dir("etc/"), file("etc/a", "a"), file("etc/b", "b"),
	dir("etc/sub/"), file("etc/sub/deep", "deep"),
	dir("var/"), dir("var/cache/"), file("var/cache/x", "x"), file("var/cache/y", "y"),
}

var every = []string{"etc", "etc/a", "etc/b", "etc/sub", "etc/sub/deep", "etc/sub/new", "var", "var/cache",
	"var/cache/x", "var/cache/y", "var/cache/z", "var/cache/x/in", "etc/a/in", "opt", "opt/deep", "opt/deep/f"}

func TestTreeWhiteoutsAndOpaqueDirs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		layer imagetest.Members
		want  []string // paths present, besides the untouched rest of base
		gone  []string
	}{
		{name: "whiteout of a file", layer: imagetest.Members{mark("etc/.wh.a")}, gone: []string{"etc/a"}},
		{name: "whiteout of a directory takes what is below it", layer: imagetest.Members{mark("etc/.wh.sub")},
			gone: []string{"etc/sub", "etc/sub/deep"}},
		{name: "whiteout of a name that is not there", layer: imagetest.Members{mark("etc/.wh.nothing")}},
		{name: "opaque directory empties it of lower layers",
			layer: imagetest.Members{dir("var/cache/"), mark("var/cache/.wh..wh..opq"), file("var/cache/z", "z")},
			want:  []string{"var/cache/z file"}, gone: []string{"var/cache/x", "var/cache/y"}},
		{name: "opaque marker after the layer's own files keeps them",
			layer: imagetest.Members{file("var/cache/z", "z"), mark("var/cache/.wh..wh..opq")},
			want:  []string{"var/cache/z file"}, gone: []string{"var/cache/x", "var/cache/y"}},
		{name: "opaque directory reaches into a directory the layer lists again",
			layer: imagetest.Members{dir("etc/sub/"), file("etc/sub/new", "n"), mark("etc/.wh..wh..opq")},
			want:  []string{"etc/sub/new file"}, gone: []string{"etc/a", "etc/b", "etc/sub/deep"}},
		{name: "file replaces a directory and what is below it", layer: imagetest.Members{file("etc/sub", "now a file")},
			want: []string{"etc/sub file"}, gone: []string{"etc/sub/deep"}},
		{name: "directory over a directory keeps its files", layer: imagetest.Members{dir("etc/sub/"), file("etc/sub/new", "n")},
			want: []string{"etc/sub/new file"}},
		{name: "a file under a missing directory makes it", layer: imagetest.Members{file("opt/deep/f", "f")},
			want: []string{"opt dir", "opt/deep dir", "opt/deep/f file"}},
		{name: "a directory over a file replaces it", layer: imagetest.Members{file("etc/a/in", "in")},
			want: []string{"etc/a dir", "etc/a/in file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := tree(t, base, tc.layer)
			all := paths(tree(t, base), every...)
			var want []string
			for _, line := range all {
				p, _, _ := strings.Cut(line, " ")
				if !slices.Contains(tc.gone, p) && !slices.ContainsFunc(tc.want, func(w string) bool { return strings.HasPrefix(w, p+" ") }) {
					want = append(want, line)
				}
			}
			want = append(want, tc.want...)
			slices.Sort(want)
			if got := paths(tr, every...); !slices.Equal(got, want) {
				t.Errorf("got  %q\nwant %q", got, want)
			}
		})
	}
}

func TestTreeFileMetadata(t *testing.T) {
	tr := tree(t, imagetest.Members{
		dir("bin/"),
		{Name: "bin/tool", Body: []byte("#!/bin/sh\n"), Header: &tar.Header{Mode: 0o4755, Uid: 1000, Gid: 50}},
		{Name: "bin/alias", Type: tar.TypeSymlink, Link: "tool"},
		{Name: "bin/same", Type: tar.TypeLink, Link: "bin/tool"},
		{Name: "./bin/dotted", Body: []byte("x")},
	})
	tool, same, alias := tr.Lookup("bin/tool"), tr.Lookup("bin/same"), tr.Lookup("bin/alias")
	if tool == nil || tool.Mode != "4755" || tool.UID != 1000 || tool.GID != 50 || tool.Size != 10 || !strings.HasPrefix(tool.Digest, "sha256:") {
		t.Errorf("bin/tool: %+v", tool)
	}
	if same == nil || same.Digest != tool.Digest || same.Size != tool.Size || same.HardLink != "bin/tool" {
		t.Errorf("hard link bin/same: %+v, want bin/tool's content", same)
	}
	if alias == nil || alias.Type != "symlink" || alias.Link != "tool" {
		t.Errorf("bin/alias: %+v", alias)
	}
	if tr.Lookup("bin/dotted") == nil {
		t.Error("./bin/dotted is not at bin/dotted")
	}
}

func TestTreeRefusesNamesOutsideTheRoot(t *testing.T) {
	tr := imagediff.NewTree()
	err := tr.Apply(bytes.NewReader(imagetest.Members{file("../escape", "x")}.Tar(t)))
	if err == nil || !strings.Contains(err.Error(), "../escape") {
		t.Errorf("err = %v, want a refusal naming ../escape", err)
	}
	err = imagediff.NewTree().Apply(bytes.NewReader(imagetest.Members{{Name: "a", Type: tar.TypeLink, Link: "missing"}}.Tar(t)))
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("err = %v, want a refusal of a hard link to nothing", err)
	}
}

func TestDiffTrees(t *testing.T) {
	a := tree(t, base)
	b := tree(t, base, imagetest.Members{
		file("etc/a", "changed"), mark("etc/.wh.b"), file("etc/c", "new"),
		{Name: "var/cache/x", Body: []byte("x"), Header: &tar.Header{Mode: 0o600}},
	})
	d := imagediff.DiffTrees(a, b)
	var got []string
	for _, e := range d.Added {
		got = append(got, "+"+e.Path)
	}
	for _, e := range d.Removed {
		got = append(got, "-"+e.Path)
	}
	for _, c := range d.Modified {
		got = append(got, "~"+c.Path+" "+strings.Join(c.Fields, ","))
	}
	want := []string{"+etc/c", "-etc/b", "~etc/a size,content", "~var/cache/x mode"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if d := imagediff.DiffTrees(a, tree(t, base)); len(d.Added)+len(d.Removed)+len(d.Modified) != 0 {
		t.Errorf("a tree against its own rebuild: %+v", d)
	}
}

// A layer is streamed: applying a file of 128 MiB allocates a small,
// fixed amount, not the file.
func TestTreeStreamsContent(t *testing.T) {
	const size = 128 << 20
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		tw.WriteHeader(&tar.Header{Name: "big", Mode: 0o644, Size: size}) //nolint:errcheck // the reader reports it
		io.CopyN(tw, zeros{}, size)                                       //nolint:errcheck
		pw.CloseWithError(tw.Close())
	}()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	tr := imagediff.NewTree()
	if err := tr.Apply(pr); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if f := tr.Lookup("big"); f == nil || f.Size != size {
		t.Fatalf("big: %+v", f)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 8<<20 {
		t.Errorf("applying a %d MiB file allocated %d MiB", size>>20, n>>20)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
