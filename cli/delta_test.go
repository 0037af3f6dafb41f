package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/retar-dev/retar/internal/imagetest"
)

// deltaImages are a base and its update: the update keeps the base's first
// two layers and changes the third; other is an image that shares one of
// them, for bundles.
func deltaImages(t *testing.T, c imagetest.Compression) (base, update, other imagetest.Image) {
	base = imagetest.New(t, imagetest.Layers(3), imagetest.Compress(c), imagetest.Names("example.com/app:1"))
	changed := imagetest.FileLayer(t, []byte("the update's own layer\n"))
	update = imagetest.New(t, imagetest.LayerTars(base.Layers[0], base.Layers[1], changed), imagetest.Compress(c), imagetest.Names("example.com/app:2"))
	other = imagetest.New(t, imagetest.LayerTars(base.Layers[0], imagetest.FileLayer(t, []byte("other\n"))), imagetest.Compress(c), imagetest.Names("example.com/other:1"))
	return base, update, other
}

// write puts members at p, a tar or (dir) a directory.
func write(t *testing.T, ms imagetest.Members, p string, dir bool) string {
	if dir {
		ms.WriteDir(t, p)
	} else {
		ms.WriteFile(t, p)
	}
	return p
}

// same reports whether two outputs (files or directories) hold the same bytes.
func same(t *testing.T, a, b string) bool {
	t.Helper()
	if fi, err := os.Stat(a); err == nil && fi.IsDir() {
		am, bm := imagetest.ReadDir(t, a), imagetest.ReadDir(t, b)
		if len(am) != len(bm) {
			return false
		}
		for i := range am {
			if am[i].Name != bm[i].Name || !bytes.Equal(am[i].Body, bm[i].Body) {
				return false
			}
		}
		return true
	}
	ab, err1 := os.ReadFile(a)
	bb, err2 := os.ReadFile(b)
	return err1 == nil && err2 == nil && bytes.Equal(ab, bb)
}

// TestDigestsEveryLayout: every layout of one image lists its config and
// layers, and each layer's diff_id; a sparse layout lists only what it holds.
func TestDigestsEveryLayout(t *testing.T) {
	base, _, _ := deltaImages(t, imagetest.None)
	dir := t.TempDir()
	srcs := map[string]string{
		"docker-archive": write(t, base.DockerArchive(t), filepath.Join(dir, "d.tar"), false),
		"legacy":         write(t, base.Legacy(t), filepath.Join(dir, "l.tar"), false),
		"oci-archive":    write(t, base.OCIArchive(t), filepath.Join(dir, "o.tar"), false),
		"oci":            "oci:" + write(t, base.OCILayout(t), filepath.Join(dir, "oci"), true),
		"dir":            "dir:" + write(t, base.Dir(t), filepath.Join(dir, "dir"), true),
	}
	for name, src := range srcs {
		code, stdout, stderr := run(t, "digests", "-q", src)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
		var want []string
		if name != "legacy" { // the pre-1.10 shape stores no config: retar builds it
			want = append(want, digest.FromBytes(base.Config).String())
		}
		for _, l := range base.Layers {
			want = append(want, digest.FromBytes(l).String(), "diff_id "+digest.FromBytes(l).String())
		}
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		for _, w := range want {
			if !strings.Contains("\n"+stdout, "\n"+w+"\n") {
				t.Errorf("%s: digests lack %s:\n%s", name, w, stdout)
			}
		}
		for _, l := range lines {
			if _, err := digest.Parse(strings.TrimPrefix(l, "diff_id ")); err != nil {
				t.Errorf("%s: line %q is not a digest: %v", name, l, err)
			}
		}
	}
	sparse := base.OCILayout(t).Drop(t, imagetest.BlobPath(base.Layers[1]))
	p := write(t, sparse, filepath.Join(dir, "sparse"), true)
	_, stdout, _ := run(t, "digests", "-q", "oci:"+p)
	if strings.Contains(stdout, digest.FromBytes(base.Layers[1]).String()) {
		t.Errorf("a sparse layout lists the layer it lacks:\n%s", stdout)
	}
	code, stdout, stderr := run(t, "digests", "--json", srcs["oci-archive"])
	var doc struct {
		SchemaVersion int
		Blobs         []struct{ Digest, MediaType string }
		DiffIDs       []string
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &doc) != nil || doc.SchemaVersion != 1 || len(doc.Blobs) != 5 || len(doc.DiffIDs) != 3 {
		t.Errorf("--json: exit %d, %+v: %s %s", code, doc, stdout, stderr)
	}
}

// TestDeltaApplyIsTheFullOutput: a delta leaves out the layers HAVE holds,
// verifies with them absent by design, and applied to the base it is the
// output the same conversion writes without --since, byte for byte: in
// each OCI destination, from one source or a bundle of two, HAVE given as
// an archive, retar digests' list or a ctr content ls -q list.
func TestDeltaApplyIsTheFullOutput(t *testing.T) {
	base, update, other := deltaImages(t, imagetest.Gzip)
	dir := t.TempDir()
	baseTar := write(t, base.DockerArchive(t), filepath.Join(dir, "base.tar"), false)
	updTar := write(t, update.OCIArchive(t), filepath.Join(dir, "update.tar"), false)
	otherTar := write(t, other.DockerArchive(t), filepath.Join(dir, "other.tar"), false)
	list := filepath.Join(dir, "have.txt")
	_, digests, _ := run(t, "digests", "-q", baseTar)
	if err := os.WriteFile(list, []byte(digests), 0o644); err != nil {
		t.Fatal(err)
	}
	ctrList := filepath.Join(dir, "ctr.txt")
	var ctr []string
	for _, l := range strings.Fields(digests) {
		if strings.HasPrefix(l, "sha256:") {
			ctr = append(ctr, l)
		}
	}
	if err := os.WriteFile(ctrList, []byte(strings.Join(ctr, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, have, to string
		srcs           []string
		left           int // layers left out
	}{
		{"oci-archive", baseTar, "oci-archive:", []string{updTar}, 2},
		{"hybrid-from-list", list, "", []string{updTar}, 2},
		{"oci-dir-from-ctr", ctrList, "oci:", []string{updTar}, 2},
		{"bundle", baseTar, "", []string{updTar, otherTar}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			delta, full, applied := filepath.Join(d, "delta"), filepath.Join(d, "full"), filepath.Join(d, "applied")
			args := append(append([]string{"convert", "--since", tc.have}, tc.srcs...), tc.to+delta)
			code, _, stderr := run(t, args...)
			if code != 0 || !strings.Contains(stderr, fmt.Sprintf("a delta: %d layers", tc.left)) {
				t.Fatalf("delta: exit %d: %s", code, stderr)
			}
			if code, _, stderr := run(t, append(append([]string{"convert", "-q"}, tc.srcs...), tc.to+full)...); code != 0 {
				t.Fatalf("full: %s", stderr)
			}
			code, stdout, stderr := run(t, "verify", tc.to+delta)
			if code != 0 || strings.Count(stdout, "absent by design (a delta): ") != tc.left || strings.Contains(stdout, "absent: ") {
				t.Errorf("verify: exit %d: %s %s", code, stdout, stderr)
			}
			if same(t, delta, full) {
				t.Fatal("the delta is the full output")
			}
			if code, _, stderr := run(t, "convert", "-q", "--base", baseTar, tc.to+delta, tc.to+applied); code != 0 {
				t.Fatalf("apply: exit %d: %s", code, stderr)
			}
			if !same(t, applied, full) {
				t.Error("the applied delta differs from the output written without --since")
			}
		})
	}
}

// TestDeltaByDiffID: a HAVE that knows layers by diff_id only (docker's
// classic store) lets a delta leave out plain layers, whose bytes that
// proves, and not compressed ones, whose bytes it cannot rebuild.
func TestDeltaByDiffID(t *testing.T) {
	for _, tc := range []struct {
		c    imagetest.Compression
		left string
	}{{imagetest.None, "a delta: 2 layers"}, {imagetest.Gzip, "a delta: 0 layers"}} {
		base, update, _ := deltaImages(t, tc.c)
		dir := t.TempDir()
		var lines []string
		for _, l := range base.Layers {
			lines = append(lines, "diff_id "+digest.FromBytes(l).String())
		}
		have := filepath.Join(dir, "have.txt")
		if err := os.WriteFile(have, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		src := write(t, update.OCIArchive(t), filepath.Join(dir, "u.tar"), false)
		code, _, stderr := run(t, "convert", "--since", have, src, filepath.Join(dir, "delta.tar"))
		if code != 0 || !strings.Contains(stderr, tc.left) {
			t.Errorf("compression %v: exit %d, want %q: %s", tc.c, code, tc.left, stderr)
		}
		if tc.c == imagetest.Gzip && !strings.Contains(stderr, "2 layers carried although") {
			t.Errorf("no notice of the layers held only by diff_id: %s", stderr)
		}
	}
}

// TestDeltaRefusals: what cannot be a delta, or be applied, is one line
// naming why, and nothing is written.
func TestDeltaRefusals(t *testing.T) {
	base, update, other := deltaImages(t, imagetest.None)
	dir := t.TempDir()
	baseTar := write(t, base.OCIArchive(t), filepath.Join(dir, "base.tar"), false)
	updTar := write(t, update.OCIArchive(t), filepath.Join(dir, "update.tar"), false)
	otherTar := write(t, other.OCIArchive(t), filepath.Join(dir, "other.tar"), false)
	delta := filepath.Join(dir, "delta.tar")
	if code, _, stderr := run(t, "convert", "-q", "--since", baseTar, updTar, delta); code != 0 {
		t.Fatal(stderr)
	}
	out := filepath.Join(dir, "out.tar")
	code, _, stderr := run(t, "convert", "--since", baseTar, updTar, "docker-archive:"+out)
	oneLineFailure(t, code, stderr, 2, "--since", "docker-archive")
	code, _, stderr = run(t, "convert", "--since", baseTar, "--base", baseTar, delta, out)
	oneLineFailure(t, code, stderr, 2, "--since", "--base")
	list := filepath.Join(dir, "list.txt")
	os.WriteFile(list, []byte("sha256:00\n"), 0o644) //nolint:errcheck
	code, _, stderr = run(t, "convert", "--base", list, delta, out)
	oneLineFailure(t, code, stderr, 2, "list.txt")
	code, _, stderr = run(t, "convert", "--since", list, updTar, out)
	oneLineFailure(t, code, stderr, 1, "list.txt line 1")
	// other holds the first layer, not the second: the error names it.
	code, _, stderr = run(t, "convert", "--base", otherTar, delta, out)
	oneLineFailure(t, code, stderr, 1, "delta.tar", digest.FromBytes(base.Layers[1]).String(), "no base holds it")
	// A base whose layer has other bytes of the same size.
	bad := base.OCIArchive(t).Edit(t, imagetest.BlobPath(base.Layers[0]), imagetest.Flip)
	badTar := write(t, bad, filepath.Join(dir, "bad.tar"), false)
	code, _, stderr = run(t, "convert", "--base", badTar, delta, out)
	oneLineFailure(t, code, stderr, 1, "bad.tar", digest.FromBytes(base.Layers[0]).String())
	code, _, stderr = run(t, "convert", delta, "docker-archive:"+out)
	oneLineFailure(t, code, stderr, 1, digest.FromBytes(base.Layers[0]).String(), "a delta left it out", "--base")
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused conversion left its output")
	}
}

// TestCheckDelta: check says a delta loads into a store that holds its
// base, for every loader (measured in interop/delta.sh where it says so),
// quoting what each prints into a store without it; a sparse layout that is
// no delta keeps the verdicts of a sparse layout.
func TestCheckDelta(t *testing.T) {
	base, update, _ := deltaImages(t, imagetest.Gzip)
	dir := t.TempDir()
	baseTar := write(t, base.OCIArchive(t), filepath.Join(dir, "base.tar"), false)
	delta := filepath.Join(dir, "delta.tar")
	if code, _, stderr := run(t, "convert", "-q", "--since", baseTar, write(t, update.OCIArchive(t), filepath.Join(dir, "u.tar"), false), delta); code != 0 {
		t.Fatal(stderr)
	}
	verdicts := func(p string) map[string]string {
		code, stdout, stderr := run(t, "check", "--json", p)
		var doc struct {
			Consumers []struct {
				Consumer string
				Loads    bool
				Facts    []struct{ Text string }
			}
		}
		if code != 0 || json.Unmarshal([]byte(stdout), &doc) != nil {
			t.Fatalf("check: exit %d: %s", code, stderr)
		}
		out := map[string]string{}
		for _, c := range doc.Consumers {
			var texts []string
			for _, f := range c.Facts {
				texts = append(texts, f.Text)
			}
			out[c.Consumer] = fmt.Sprintf("%v %s", c.Loads, strings.Join(texts, "; "))
		}
		return out
	}
	v := verdicts(delta)
	for id, without := range map[string]string{
		"ctr-1.6": `ctr registers the image, then fails to unpack it ("failed to extract layer ...")`,
		"ctr-2.0": `the import fails ("failed to extract layer ...")`, "ctr-2.3": `the import fails ("failed to extract layer ...")`,
		"ctr-2.4": `the import fails ("failed to extract layer ...")`, "kind": `the import fails ("failed to extract layer ...")`,
		"k3s":                  `k3s registers the image without unpacking it, and running it fails ("failed to extract layer ...")`,
		"docker-24":            `docker load fails ("no such file or directory"`,
		"docker-29-classic":    `docker load fails ("no such file or directory"`,
		"docker-29-containerd": `docker registers the image and cannot unpack it ("Error unpacking image ...")`,
		"podman":               `podman load fails ("payload does not match any of the supported image formats")`,
	} {
		if !strings.HasPrefix(v[id], "true ") || !strings.Contains(v[id], "already holds its base, whose layers the loader finds there (measured)") ||
			!strings.Contains(v[id], "into one without them "+without) || !strings.Contains(v[id], "retar convert --base BASE") {
			t.Errorf("%s: %s", id, v[id])
		}
	}
	for _, id := range []string{"ctr-2.1", "docker-25", "docker-containerd", "nerdctl"} {
		if !strings.HasPrefix(v[id], "true ") || !strings.Contains(v[id], "(not measured for this loader; ") {
			t.Errorf("%s: %s", id, v[id])
		}
	}
	sparse := update.OCIArchive(t).Drop(t, imagetest.BlobPath(update.LayerBlob(t, 0)))
	v = verdicts(write(t, sparse, filepath.Join(dir, "sparse.tar"), false))
	if !strings.HasPrefix(v["ctr-2.3"], "false ") || strings.Contains(v["ctr-2.3"], "delta") {
		t.Errorf("a sparse layout is taken for a delta: %s", v["ctr-2.3"])
	}
}

// TestDeltaLayoutRewritten: an oci: delta is retar's own layout: written
// again, or replaced by the full output, which leaves no delta file behind.
func TestDeltaLayoutRewritten(t *testing.T) {
	base, update, _ := deltaImages(t, imagetest.None)
	dir := t.TempDir()
	baseTar := write(t, base.OCIArchive(t), filepath.Join(dir, "base.tar"), false)
	src := write(t, update.OCIArchive(t), filepath.Join(dir, "u.tar"), false)
	layout := filepath.Join(dir, "layout")
	for _, args := range [][]string{{"--since", baseTar}, {"--since", baseTar}, {}} {
		if code, _, stderr := run(t, append(append([]string{"convert", "-q"}, args...), src, "oci:"+layout)...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(layout, "retar-delta.json")); err == nil {
		t.Error("the full output left the delta's list behind")
	}
}
