package cli_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/retar-dev/retar/internal/imagetest"
)

// noise is n bytes that do not compress, the same on every run.
func noise(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// volumeBase is the layer web and api share.
func volumeBase(t *testing.T) []byte { return imagetest.FileLayer(t, noise(1, 100<<10)) }

// volumeSources writes, in dir, three images: web and api of about 300 KiB,
// sharing a 100 KiB base layer, and db of about 200 KiB. It returns their
// paths.
func volumeSources(t *testing.T, dir string) []string {
	t.Helper()
	base := volumeBase(t)
	own := func(seed uint64) []byte { return imagetest.FileLayer(t, noise(seed, 200<<10)) }
	imgs := []struct {
		file, name string
		layers     [][]byte
	}{
		{"web.tar", "example.com/web:1", [][]byte{base, own(2)}},
		{"api.tar", "example.com/api:1", [][]byte{base, own(3)}},
		{"db.tar", "example.com/db:1", [][]byte{own(4)}},
	}
	var paths []string
	for _, i := range imgs {
		p := filepath.Join(dir, i.file)
		imagetest.New(t, imagetest.Names(i.name), imagetest.LayerTars(i.layers...)).DockerArchive(t).WriteFile(t, p)
		paths = append(paths, p)
	}
	return paths
}

// volumesIn lists the files in dir whose names begin with prefix, in
// name order.
func volumesIn(t *testing.T, dir, prefix string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// Volumes each hold whole images and stay within the size; each verifies
// and check says it loads alone; joined in order they are the unsplit
// bundle byte for byte, in every archive layout; the same command gives
// the same volumes.
func TestVolumesJoinToTheWholeBundle(t *testing.T) {
	for _, tc := range []struct {
		name, transport string
		extra           []string
	}{
		{"hybrid", "", nil},
		{"docker-archive", "docker-archive:", nil},
		{"oci-archive v2s2", "oci-archive:", []string{"--format", "v2s2"}},
		{"docker-archive gzip", "docker-archive:", []string{"--compress", "gzip"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			srcs := volumeSources(t, dir)
			at := func(p string) string { return tc.transport + filepath.Join(dir, p) }
			whole := append(append(append([]string{"convert"}, tc.extra...), srcs...), at("whole.tar"))
			if code, _, stderr := run(t, append(whole, "-q")...); code != 0 {
				t.Fatalf("whole: exit %d: %s", code, stderr)
			}
			// 700 KiB: web and api fit together (their base stored
			// once), db begins the second volume.
			split := append(append([]string{"convert", "--volume-size", "700KiB"}, tc.extra...), srcs...)
			code, _, stderr := run(t, append(split, at("vol.tar"))...)
			if code != 0 {
				t.Fatalf("split: exit %d: %s", code, stderr)
			}
			if !strings.Contains(stderr, "2 volumes of at most 700.0 KiB") || !strings.Contains(stderr, "no blob is in two volumes") {
				t.Errorf("the split's notice: %s", stderr)
			}
			vols := volumesIn(t, dir, "vol.")
			if want := []string{"vol.001.tar", "vol.002.tar"}; !slices.Equal(vols, want) {
				t.Fatalf("volumes %q, want %q", vols, want)
			}
			first := map[string][]byte{}
			join := []string{"convert", "-q"}
			for _, v := range vols {
				p := filepath.Join(dir, v)
				first[v] = readFile(t, p)
				if n := len(first[v]); n > 700<<10 {
					t.Errorf("%s is %d bytes, over 700 KiB", v, n)
				}
				if code, _, stderr := run(t, "verify", p); code != 0 {
					t.Errorf("verify %s: exit %d: %s", v, code, stderr)
				}
				join = append(join, tc.transport+p)
			}
			checkLoadsAlone(t, filepath.Join(dir, vols[0]), "example.com/web:1", "example.com/api:1")
			checkLoadsAlone(t, filepath.Join(dir, vols[1]), "example.com/db:1")
			if code, _, stderr := run(t, append(join, at("joined.tar"))...); code != 0 {
				t.Fatalf("join: exit %d: %s", code, stderr)
			}
			if !bytes.Equal(readFile(t, filepath.Join(dir, "joined.tar")), readFile(t, filepath.Join(dir, "whole.tar"))) {
				t.Errorf("the volumes joined are not the unsplit bundle")
			}
			if code, _, stderr := run(t, append(split, at("vol.tar"), "-q")...); code != 0 {
				t.Fatalf("split again: exit %d: %s", code, stderr)
			}
			for v, b := range first {
				if !bytes.Equal(readFile(t, filepath.Join(dir, v)), b) {
					t.Errorf("%s differs from the same split's first", v)
				}
			}
		})
	}
}

// checkLoadsAlone runs check on a volume: docker, ctr and podman take it,
// under the names of its images.
func checkLoadsAlone(t *testing.T, p string, names ...string) {
	t.Helper()
	code, out, stderr := run(t, "check", "--for", "docker-29-classic,ctr-2.3,podman", p)
	if code != 0 {
		t.Errorf("check %s: exit %d: %s%s", p, code, out, stderr)
	}
	for _, n := range names {
		if !strings.Contains(out, n) {
			t.Errorf("check %s does not name %s:\n%s", p, n, out)
		}
	}
}

// A blob that images in two volumes share is in both, and the notice says
// what the repetition costs.
func TestVolumesRepeatSharedBlobs(t *testing.T) {
	dir := t.TempDir()
	srcs := volumeSources(t, dir)
	// 400 KiB: one image a volume; web's and api's base is in two.
	code, _, stderr := run(t, append(append([]string{"convert", "--volume-size", "400K"}, srcs...), filepath.Join(dir, "vol"))...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := "3 volumes of at most 400.0 KiB"; !strings.Contains(stderr, want) {
		t.Errorf("notice lacks %q: %s", want, stderr)
	}
	repeated := fmt.Sprintf("1 blob shared across volumes is repeated, %.1f KiB more", float64(len(volumeBase(t)))/1024)
	if want := repeated; !strings.Contains(stderr, want) {
		t.Errorf("notice lacks %q: %s", want, stderr)
	}
	if vols := volumesIn(t, dir, "vol."); !slices.Equal(vols, []string{"vol.001.tar", "vol.002.tar", "vol.003.tar"}) {
		t.Errorf("volumes %q", vols)
	}
}

// An image larger than the volume size is one line naming it and its size,
// and nothing is written.
func TestVolumesImageTooLarge(t *testing.T) {
	dir := t.TempDir()
	srcs := volumeSources(t, dir)
	code, _, stderr := run(t, append(append([]string{"convert", "--volume-size", "250K"}, srcs...), filepath.Join(dir, "vol.tar"))...)
	oneLineFailure(t, code, stderr, 1, "image example.com/web:1 (", "KiB (", "as a volume of its own, over the volume size of 250.0 KiB (256000 bytes)")
	if vols := volumesIn(t, dir, "vol"); len(vols) > 0 {
		t.Errorf("left behind: %q", vols)
	}
	if vols := volumesIn(t, dir, ".vol"); len(vols) > 0 {
		t.Errorf("left behind: %q", vols)
	}
}

// A DST that cannot be volumes is a usage error before anything is read.
func TestVolumesRefusedDestinations(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "web.tar")
	imagetest.New(t).DockerArchive(t).WriteFile(t, src)
	for _, tc := range []struct{ dst, says string }{
		{"-", "DST - is one stream"},
		{"oci:" + filepath.Join(dir, "layout"), "use oci-archive:"},
		{"dir:" + filepath.Join(dir, "d"), "is a directory"},
		{filepath.Join(dir, "b.tar.gz"), "would be gzip-compressed"},
		{filepath.Join(dir, "b.tar.zst"), "would be zstd-compressed"},
	} {
		code, _, stderr := run(t, "convert", "--volume-size", "1G", src, tc.dst)
		oneLineFailure(t, code, stderr, 2, tc.says)
	}
}

// Sizes: units of 1024 and of 1000, fractions, and what is not a size.
func TestVolumeSizes(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "web.tar")
	imagetest.New(t).DockerArchive(t).WriteFile(t, src)
	for _, size := range []string{"700M", "4G", "100MiB", "4.7GB", "1048576", "64k", "2gib", "1T"} {
		code, _, stderr := run(t, "convert", "-q", "--volume-size", size, src, filepath.Join(dir, "ok.tar"))
		if code != 0 {
			t.Errorf("--volume-size %s: exit %d: %s", size, code, stderr)
		}
	}
	for _, size := range []string{"", "0", "-1", "0.5", "abc", "4X", "NaN", "1e30G", "G"} {
		code, _, stderr := run(t, "convert", "--volume-size", size, src, filepath.Join(dir, "bad.tar"))
		oneLineFailure(t, code, stderr, 2, "want a size such as 700M")
	}
	if vols := volumesIn(t, dir, "bad"); len(vols) > 0 {
		t.Errorf("written: %q", vols)
	}
}

// An image of a few KiB in a volume of 2 KiB: the exact size decides.
func TestVolumeSizeIsExact(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "web.tar")
	imagetest.New(t).DockerArchive(t).WriteFile(t, src)
	dst := filepath.Join(dir, "one.tar")
	if code, _, stderr := run(t, "convert", "-q", src, dst); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	n := len(readFile(t, dst))
	for _, tc := range []struct {
		size string
		code int
	}{{strconv.Itoa(n), 0}, {strconv.Itoa(n - 1), 1}} {
		code, _, stderr := run(t, "convert", "-q", "--volume-size", tc.size, src, filepath.Join(dir, "v.tar"))
		if code != tc.code {
			t.Errorf("--volume-size %s for a %d-byte archive: exit %d, want %d: %s", tc.size, n, code, tc.code, stderr)
		}
	}
	if !bytes.Equal(readFile(t, filepath.Join(dir, "v.001.tar")), readFile(t, dst)) {
		t.Errorf("one volume is not the archive itself")
	}
}

// Volumes an earlier, longer split left at the same DST stay where they are
// (they may be the user's), and a notice names each so a glob leaves them out.
func TestVolumesNameWhatAnEarlierSplitLeft(t *testing.T) {
	dir := t.TempDir()
	srcs := volumeSources(t, dir)
	dst := filepath.Join(dir, "vol.tar")
	if code, _, stderr := run(t, append(append([]string{"convert", "-q", "--volume-size", "400K"}, srcs...), dst)...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	other := filepath.Join(dir, "vol.005.tar") // not next: left alone
	os.WriteFile(other, []byte("x"), 0o644)
	code, _, stderr := run(t, append(append([]string{"convert", "--volume-size", "1M"}, srcs...), dst)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if vols := volumesIn(t, dir, "vol.00"); !slices.Equal(vols, []string{"vol.001.tar", "vol.002.tar", "vol.003.tar", "vol.005.tar"}) {
		t.Errorf("volumes %q", vols)
	}
	for _, v := range []string{"vol.002.tar", "vol.003.tar"} {
		if !strings.Contains(stderr, filepath.Join(dir, v)+" is not this split's (it wrote 1 volume)") {
			t.Errorf("no notice of %s left: %s", v, stderr)
		}
	}
}

// A layer that is not what its digest says, found while the last volume is
// written, fails the split with nothing written: not the volumes before
// it, not a temporary file.
func TestVolumesCorruptLayerLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	srcs := volumeSources(t, dir)
	// an oci-archive's layers are checked as they are written, not before
	hybrid := filepath.Join(dir, "db-oci.tar")
	if code, _, stderr := run(t, "convert", "-q", srcs[2], hybrid); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	srcs[2] = hybrid
	db := readFile(t, srcs[2])
	at := bytes.Index(db, noise(4, 200<<10)[:4096])
	if at < 0 {
		t.Fatal("db's layer bytes not found in db.tar")
	}
	db[at+1000] ^= 0x20
	if err := os.WriteFile(srcs[2], db, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, append(append([]string{"convert", "--volume-size", "400K"}, srcs...), filepath.Join(dir, "vol.tar"))...)
	oneLineFailure(t, code, stderr, 1, "db-oci.tar", "blobs/sha256/")
	for _, prefix := range []string{"vol", ".vol"} {
		if left := volumesIn(t, dir, prefix); len(left) > 0 {
			t.Errorf("left behind: %q", left)
		}
	}
}
