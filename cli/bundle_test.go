package cli_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// realInput is an archive written by a real tool on this machine.
func realInput(name string) string {
	return filepath.Join("..", "golden", "testdata", "real", name)
}

// TestBundle: several sources into one archive keep every image and every
// name, store shared blobs once, and the bundle reads back as such.
func TestBundle(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "bundle.tar")
	code, _, stderr := run(t, "convert", "-q",
		"docker-archive:"+realInput("docker-save-two-images.tar")+":@0",
		"oci:"+realInput("umoci-layout")+":2",
		realInput("skopeo-oci-archive-unnamed.tar"),
		out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if code, stdout, stderr := run(t, "verify", out); code != 0 {
		t.Fatalf("verify: exit %d: %s %s", code, stdout, stderr)
	}
	code, stdout, stderr := run(t, "inspect", "oci-archive:"+out)
	if code != 0 {
		t.Fatalf("inspect: exit %d: %s", code, stderr)
	}
	var in struct {
		Images []struct{ Names []string }
	}
	if err := json.Unmarshal([]byte(stdout), &in); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, img := range in.Images {
		names = append(names, img.Names...)
	}
	joined := strings.Join(names, " ")
	for _, want := range []string{"docker.io/library/retar-test:1", "2"} {
		if !strings.Contains(joined, want) {
			t.Errorf("bundle names %q lack %s", joined, want)
		}
	}
	// skopeo's unnamed archive is image A again (same config): merged into
	// docker save's, so the bundle holds A and umoci's B.
	if len(in.Images) != 2 {
		t.Errorf("bundle holds %d images, want 2 (%s)", len(in.Images), joined)
	}
}

// TestBundleNameClash: two sources giving one name to different images is an
// error that names both, and nothing is written.
func TestBundleNameClash(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "bundle.tar")
	code, _, stderr := run(t, "convert",
		"docker-archive:"+realInput("docker-save-two-images.tar")+":@0",
		"docker-archive:"+realInput("docker-save-two-images.tar")+":@1",
		"-t", "clash:1", "oci-archive:"+out)
	if code != 2 {
		t.Fatalf("-t with two images: exit %d, want 2: %s", code, stderr)
	}
	a := filepath.Join(dir, "a.tar")
	b := filepath.Join(dir, "b.tar")
	if code, _, stderr := run(t, "convert", "-q", "docker-archive:"+realInput("docker-save-two-images.tar")+":@0", "docker-archive:"+a+":same:1"); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := run(t, "convert", "-q", "docker-archive:"+realInput("docker-save-two-images.tar")+":@1", "docker-archive:"+b+":same:1"); code != 0 {
		t.Fatal(stderr)
	}
	code, _, stderr = run(t, "convert", a, b, out)
	if code != 2 || !strings.Contains(stderr, a) || !strings.Contains(stderr, b) || !strings.Contains(stderr, "same:1") {
		t.Errorf("exit %d, stderr %q: want a usage error naming both sources and the name", code, stderr)
	}
	assert.Empty(t, tmpLeft(t, dir), "left behind")
}

// TestBareDestination: a DST without a transport is the hybrid oci-archive.
func TestBareDestination(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.tar")
	if code, _, stderr := run(t, "convert", "-q", realInput("skopeo-docker-archive-unnamed.tar"), out); code != 0 {
		t.Fatal(stderr)
	}
	code, stdout, _ := run(t, "inspect", out)
	if code != 0 || !strings.Contains(stdout, `"Layout": "oci-archive"`) {
		t.Errorf("bare destination: %s", stdout)
	}
}
