package convert_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/retar-dev/retar/convert"
)

// The front ends learn the layouts from the registry: their names, which
// are archives, which take a name, and the bare destination.
func TestLayouts(t *testing.T) {
	want := []convert.Layout{convert.DockerArchive, convert.OCIArchive, convert.OCI, convert.Dir}
	got := convert.Layouts()
	if !slices.Equal(got, want) {
		t.Fatalf("Layouts() = %v, want %v", got, want)
	}
	got[0] = "changed"
	if convert.Layouts()[0] != convert.DockerArchive {
		t.Error("changing what Layouts returned changed the registry")
	}
	for _, l := range want {
		if p, ok := convert.ParseLayout(string(l)); !ok || p != l {
			t.Errorf("ParseLayout(%q) = %q, %v", l, p, ok)
		}
	}
	archive := map[convert.Layout]bool{convert.DockerArchive: true, convert.OCIArchive: true}
	named := map[convert.Layout]bool{convert.DockerArchive: true, convert.OCIArchive: true, convert.OCI: true}
	for _, l := range append(want, "tarball", "") {
		if l.IsArchive() != archive[l] {
			t.Errorf("%q: IsArchive %v", l, l.IsArchive())
		}
		if l.TakesName() != named[l] {
			t.Errorf("%q: TakesName %v", l, l.TakesName())
		}
	}
	if d := convert.DefaultDestination; d != convert.OCIArchive || !d.IsArchive() {
		t.Errorf("DefaultDestination = %q, want the oci-archive", d)
	}
}

// Owns is the policy for replacing a destination directory: what a layout
// of its kind may already hold.
func TestLayoutOwns(t *testing.T) {
	hex64, hex96, hex128 := strings.Repeat("ab", 32), strings.Repeat("c", 96), strings.Repeat("0", 128)
	type entry struct {
		rel   string
		isDir bool
	}
	file := func(rel string) entry { return entry{rel, false} }
	dir := func(rel string) entry { return entry{rel, true} }
	for _, c := range []struct {
		layout    convert.Layout
		owns, not []entry
	}{
		{convert.OCI,
			[]entry{file("oci-layout"), file("index.json"), dir("blobs"), dir("blobs/sha256"), dir("blobs/sha512"),
				dir("blobs/blake3"), dir("blobs/multi+part.alg-1"), file("blobs/sha256/" + hex64),
				file("blobs/sha384/" + hex96), file("blobs/sha512/" + hex128),
				file("blobs/sha256/" + hex128), // a digest's length, if another algorithm's
				file("blobs/blake3/Not-Hex_="), file("blobs/x/Z")},
			[]entry{dir("oci-layout"), dir("index.json"), file("blobs"), file("blobs/sha256"), file("manifest.json"),
				file("repositories"), file("version"), dir("other"), file(".hidden"), file(""),
				dir("blobs/SHA256"), dir("blobs/sha256+"), dir("blobs/-x"), dir("blobs/"),
				dir("blobs/sha256/" + hex64), file("blobs/sha256/" + strings.ToUpper(hex64)), file("blobs/sha256/abc"),
				file("blobs/sha256/" + hex64 + ".tar"), file("blobs/blake3/a.b"), file("blobs/blake3/"),
				file("blobs/sha256/" + hex64 + "/x"), file("other/index.json"), file("blobs/sha256/x/y")}},
		{convert.Dir,
			[]entry{file("version"), file("manifest.json"), file("signature-1"), file("signature-10"), file(hex64),
				file(hex96), file(hex128), file(hex64 + ".tar"), file(hex64 + ".manifest.json"), file(hex64 + ".signature-2")},
			[]entry{dir("version"), dir(hex64), file("index.json"), file("oci-layout"), dir("blobs"), file("signature-"),
				file("signature-x"), file(strings.ToUpper(hex64)), file("abc"), file(hex64 + ".tar.gz"),
				file(hex64 + ".json"), file("x/version"), file("blobs/sha256/" + hex64), file("")}},
		{convert.OCIArchive, nil, []entry{file("oci-layout"), file("index.json"), dir("blobs"), file("manifest.json")}},
		{convert.DockerArchive, nil, []entry{file("manifest.json"), file("repositories"), file(hex64 + ".json")}},
		{"tarball", nil, []entry{file("index.json"), file("version")}},
	} {
		for _, e := range c.owns {
			if !c.layout.Owns(e.rel, e.isDir) {
				t.Errorf("%s does not own %q (dir %v), want it to", c.layout, e.rel, e.isDir)
			}
		}
		for _, e := range c.not {
			if c.layout.Owns(e.rel, e.isDir) {
				t.Errorf("%s owns %q (dir %v), want it not to", c.layout, e.rel, e.isDir)
			}
		}
	}
}

// A layout from outside is registered under a transport name no other
// layout has; anything else is a programming error, refused at once and
// leaving the registry as it was. (The units registered from outside are
// tested where one is: the CLI's toy layout.)
func TestRegisterLayoutRefuses(t *testing.T) {
	for _, name := range []convert.Layout{"", "Toy", "toy:", "toy layout", "-toy", "toy-", "oci", "dir"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("RegisterLayout(%q) did not panic", name)
				}
			}()
			convert.RegisterLayout(name, nil)
		}()
	}
	if n := len(convert.Layouts()); n != 4 {
		t.Errorf("%d layouts after refusals, want 4", n)
	}
}
