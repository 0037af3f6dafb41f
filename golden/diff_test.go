package golden_test

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/retar-dev/retar/cli"
	"github.com/retar-dev/retar/internal/imagetest"
)

// diffDir holds the goldens of retar diff: per pair of sources, the text
// report and the JSON one.
var diffDir = filepath.Join("testdata", "diff")

// diffPair is two sources and what retar diff must find of them, beside
// its golden: the exit status and each image's status.
type diffPair struct {
	name     string
	args     []string // A, B and flags; TMP/ is the test's own inputs
	code     int
	statuses []string
}

func diffPairs() []diffPair {
	real := func(p string) string { return filepath.Join("testdata", "real", p) }
	d29 := func(p string) string { return filepath.Join("testdata", "real-docker29", p) }
	return []diffPair{
		{"identical", []string{real("docker-save-single.tar"), real("docker-save-single.tar")}, 0, []string{"same"}},
		{"oci-layout-and-oci-archive", []string{"oci:" + real("umoci-layout") + ":1", real("skopeo-oci-archive-named.tar")}, 1, []string{"repackaged"}},
		{"docker-save-vs-skopeo-oci", []string{real("docker-save-single.tar"), real("skopeo-oci-archive-named.tar")}, 1, []string{"repackaged"}},
		{"docker-save-vs-ctr-export", []string{real("docker-save-single.tar"), real("ctr-export-oci.tar")}, 1, []string{"repackaged"}},
		{"skopeo-docker-vs-podman-dir", []string{real("skopeo-docker-archive-named.tar"), "dir:" + real("podman-save-docker-dir")}, 1, []string{"repackaged"}},
		{"recompressed-gzip-to-zstd", []string{real("skopeo-oci-archive-named.tar"), "oci:" + real("skopeo-oci-zstd")}, 1, []string{"repackaged"}},
		{"docker29-classic-vs-containerd", []string{d29("d29c-save-single.tar"), d29("d29d-save-single.tar")}, 1, []string{"repackaged"}},
		{"image-and-next-files", []string{"--files", "oci:" + real("umoci-layout") + ":1", "oci:" + real("umoci-layout") + ":2"}, 1, []string{"changed"}},
		{"two-images-docker-vs-ctr", []string{real("docker-save-two-images.tar"), real("ctr-export-two-images.tar")}, 1, []string{"repackaged", "repackaged"}},
		{"pick-in-multi-image", []string{real("podman-save-multi.tar") + ":@0", real("podman-save-multi.tar") + ":@1"}, 1, []string{"changed"}},
		{"multiplatform-vs-one", []string{d29("d29d-save-multiplatform.tar"), d29("d29d-save-multiplatform-arm64.tar")}, 1, []string{"changed"}},
		{"rebuild-one-file-files", []string{"--files", "TMP/rebuild-a.tar", "TMP/rebuild-b.tar"}, 1, []string{"changed"}},
		{"attestations-added", []string{"TMP/plain.tar", "TMP/attested.tar"}, 1, []string{"repackaged"}},
		{"config-reserialized", []string{"TMP/rebuild-a.tar", "TMP/rebuild-a-indented.tar"}, 1, []string{"repackaged"}},
		{"images-added-and-removed", []string{"TMP/rebuild-a.tar", real("docker-save-two-images.tar")}, 1, []string{"removed", "added", "added"}},
	}
}

// TestDiffGolden runs retar diff on pairs of real and built sources: its
// status and each image's must be what the pair is, and its text and JSON
// reports what the goldens hold.
func TestDiffGolden(t *testing.T) {
	tmp := t.TempDir()
	writeDiffInputs(t, tmp)
	for _, p := range diffPairs() {
		t.Run(p.name, func(t *testing.T) {
			args := make([]string, len(p.args))
			for i, a := range p.args {
				args[i] = strings.Replace(a, "TMP/", tmp+"/", 1)
			}
			text, code := runDiff(t, args...)
			if code != p.code {
				t.Errorf("exit %d, want %d", code, p.code)
			}
			js, jcode := runDiff(t, append([]string{"--json"}, args...)...)
			if jcode != code {
				t.Errorf("--json: exit %d, text: exit %d", jcode, code)
			}
			var r struct {
				SchemaVersion int `json:"schemaVersion"`
				Images        []struct{ Status string }
			}
			if err := json.Unmarshal([]byte(js), &r); err != nil {
				t.Fatalf("--json: %v", err)
			}
			var statuses []string
			for _, im := range r.Images {
				statuses = append(statuses, im.Status)
			}
			if r.SchemaVersion != 1 || strings.Join(statuses, " ") != strings.Join(p.statuses, " ") {
				t.Errorf("schemaVersion %d, images %q; want 1, %q", r.SchemaVersion, statuses, p.statuses)
			}
			var b strings.Builder
			b.WriteString("retar diff " + strings.Join(p.args, " ") + "\n")
			b.WriteString("Written by go test ./golden -update: review changes, do not edit.\n")
			b.WriteString("-- text --\n" + text + "-- json --\n" + js)
			got := strings.ReplaceAll(b.String(), tmp+"/", "TMP/")
			compareGolden(t, filepath.Join(diffDir, p.name+".txtar"), []byte(got))
		})
	}
}

// runDiff runs retar diff in-process: its output, and its status; anything
// on stderr fails the test.
func runDiff(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(append([]string{"diff"}, args...), strings.NewReader(""), &out, &errb)
	if errb.Len() > 0 {
		t.Errorf("retar diff %s: stderr: %s", strings.Join(args, " "), errb.String())
	}
	return out.String(), code
}

// rebuildLayers are an image's two layers and its rebuild's: the same base,
// then a top layer where one file changed, one lost its execute bit, a
// symlink points elsewhere, a whiteout removes a file whose hard link
// stays, and an opaque marker empties a directory of all but the file the
// layer put there before the marker.
func rebuildLayers(t *testing.T) (base, topA, topB []byte) {
	hdr := func(mode int64) *tar.Header { return &tar.Header{Mode: mode} }
	base = imagetest.Members{
		{Name: "etc/", Type: tar.TypeDir},
		{Name: "etc/app.conf", Body: []byte("level=info\n")},
		{Name: "etc/keep.txt", Body: []byte("kept\n")},
		{Name: "etc/keep-link.txt", Type: tar.TypeLink, Link: "etc/keep.txt"},
		{Name: "bin/", Type: tar.TypeDir},
		{Name: "bin/tool", Body: []byte("#!/bin/sh\necho tool\n"), Header: hdr(0o755)},
		{Name: "bin/run", Type: tar.TypeSymlink, Link: "tool"},
		{Name: "var/", Type: tar.TypeDir},
		{Name: "var/cache/", Type: tar.TypeDir},
		{Name: "var/cache/old", Body: []byte("stale\n")},
	}.Tar(t)
	top := func(conf string, more ...imagetest.Member) []byte {
		ms := imagetest.Members{
			{Name: "var/cache/", Type: tar.TypeDir},
			{Name: "var/cache/fresh", Body: []byte("fresh\n")},
			{Name: "etc/app.conf", Body: []byte(conf)},
		}
		return append(ms, more...).Tar(t)
	}
	topA = top("level=info\n")
	topB = top("level=debug\n",
		imagetest.Member{Name: "var/cache/.wh..wh..opq"},
		imagetest.Member{Name: "etc/.wh.keep.txt"},
		imagetest.Member{Name: "bin/tool", Body: []byte("#!/bin/sh\necho tool\n"), Header: hdr(0o644)},
		imagetest.Member{Name: "bin/run", Type: tar.TypeSymlink, Link: "/bin/tool"},
	)
	return base, topA, topB
}

// writeDiffInputs writes the built pairs: an image and its rebuild, and an
// image without and with a BuildKit attestation in its index.
func writeDiffInputs(t *testing.T, dir string) {
	base, topA, topB := rebuildLayers(t)
	name := imagetest.Names("example.com/app:1")
	gz := imagetest.Compress(imagetest.Gzip)
	a := imagetest.New(t, name, gz, imagetest.LayerTars(base, topA), imagetest.Env("PATH=/bin", "LEVEL=info"))
	a.OCIArchive(t).WriteFile(t, filepath.Join(dir, "rebuild-a.tar"))
	var indented bytes.Buffer // the same config, written out by another tool
	if err := json.Indent(&indented, a.Config, "", "  "); err != nil {
		t.Fatal(err)
	}
	a.Config = indented.Bytes()
	a.OCIArchive(t).WriteFile(t, filepath.Join(dir, "rebuild-a-indented.tar"))
	imagetest.New(t, name, gz, imagetest.LayerTars(base, topB), imagetest.Env("PATH=/bin", "LEVEL=debug")).
		OCIArchive(t).WriteFile(t, filepath.Join(dir, "rebuild-b.tar"))
	img := imagetest.New(t, imagetest.Names("example.com/attested:1"), gz)
	attestedIndex(t, img, false).WriteFile(t, filepath.Join(dir, "plain.tar"))
	attestedIndex(t, img, true).WriteFile(t, filepath.Join(dir, "attested.tar"))
}

// attestedIndex lays img out as BuildKit does: an index of its manifest
// and, with attest, an attestation manifest (platform unknown/unknown) that
// refers to it.
func attestedIndex(t *testing.T, img imagetest.Image, attest bool) imagetest.Members {
	m := img.Manifest(t)
	md := imagetest.Descriptor(ocispec.MediaTypeImageManifest, m)
	md.Platform = &ocispec.Platform{OS: "linux", Architecture: "amd64"}
	entries := []ocispec.Descriptor{md}
	blobs := []imagetest.Member{imagetest.Blob(m), imagetest.Blob(img.Config), imagetest.Blob(img.LayerBlob(t, 0))}
	if attest {
		stmt := []byte(`{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://spdx.dev/Document","subject":[]}`)
		cfg := imagetest.JSON(t, map[string]any{"architecture": "unknown", "os": "unknown", "config": map[string]any{},
			"rootfs": map[string]any{"type": "layers", "diff_ids": []digest.Digest{digest.FromBytes(stmt)}}})
		am := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Config: imagetest.Descriptor(ocispec.MediaTypeImageConfig, cfg),
			Layers: []ocispec.Descriptor{imagetest.Descriptor("application/vnd.in-toto+json", stmt)}}
		am.SchemaVersion = 2
		amb := imagetest.JSON(t, am)
		ad := imagetest.Descriptor(ocispec.MediaTypeImageManifest, amb)
		ad.Platform = &ocispec.Platform{OS: "unknown", Architecture: "unknown"}
		ad.Annotations = map[string]string{"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": md.Digest.String()}
		entries = append(entries, ad)
		blobs = append(blobs, imagetest.Blob(amb), imagetest.Blob(cfg), imagetest.Blob(stmt))
	}
	idx := imagetest.Index(t, entries...)
	top := imagetest.Index(t, imagetest.Named(imagetest.Descriptor(ocispec.MediaTypeImageIndex, idx), "example.com/attested:1"))
	ms := imagetest.Members{
		{Name: "oci-layout", Body: []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{Name: "index.json", Body: top},
		imagetest.Blob(idx),
	}
	return append(ms, blobs...)
}

func TestDiffGoldensAreMade(t *testing.T) {
	want := map[string]bool{}
	for _, p := range diffPairs() {
		want[p.name+".txtar"] = true
	}
	ents, err := os.ReadDir(diffDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !want[e.Name()] {
			t.Errorf("%s: stale golden, no pair makes it", filepath.Join(diffDir, e.Name()))
		}
	}
}
