package selfimage_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// archive is a tar's regular files by name.
func archive(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = data
	}
}

func blob(t *testing.T, files map[string][]byte, d ocispec.Descriptor, v any) []byte {
	t.Helper()
	b, ok := files["blobs/sha256/"+d.Digest.Encoded()]
	if !ok {
		t.Fatalf("blob %s missing", d.Digest)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("blob %s: %v", d.Digest, err)
		}
	}
	return b
}

// layerFiles reads a gzip layer: each entry's header, by name.
func layerFiles(t *testing.T, gz []byte) (map[string]*tar.Header, map[string][]byte) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	hs, data := map[string]*tar.Header{}, map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return hs, data
		}
		if err != nil {
			t.Fatal(err)
		}
		hs[h.Name] = h
		if data[h.Name], err = io.ReadAll(tr); err != nil {
			t.Fatal(err)
		}
	}
}

// What the archive holds: an index of both platforms with the OCI
// annotations; per platform a config that runs the binary as the
// non-root user in /work, and layers holding that platform's binary.
func TestContent(t *testing.T) {
	o := options()
	b, err := os.ReadFile(write(t, o))
	if err != nil {
		t.Fatal(err)
	}
	files := archive(t, b)
	var top ocispec.Index
	if err := json.Unmarshal(files["index.json"], &top); err != nil || len(top.Manifests) != 2 {
		t.Fatalf("index.json: %v, %d entries (want one per name)", err, len(top.Manifests))
	}
	var idx ocispec.Index
	blob(t, files, top.Manifests[0], &idx)
	want := map[string]string{
		ocispec.AnnotationVersion:  o.Version,
		ocispec.AnnotationRevision: o.Revision,
		ocispec.AnnotationSource:   o.Source,
		ocispec.AnnotationCreated:  "2024-01-01T00:00:00Z",
	}
	for k, v := range want {
		if idx.Annotations[k] != v {
			t.Errorf("index annotation %s = %q, want %q", k, idx.Annotations[k], v)
		}
	}
	if len(idx.Manifests) != 2 {
		t.Fatalf("the image index lists %d manifests, want 2", len(idx.Manifests))
	}
	for _, m := range idx.Manifests {
		checkPlatform(t, files, m, want)
	}
}

func checkPlatform(t *testing.T, files map[string][]byte, d ocispec.Descriptor, want map[string]string) {
	plat := d.Platform.OS + "/" + d.Platform.Architecture
	var m ocispec.Manifest
	var cfg ocispec.Image
	blob(t, files, d, &m)
	blob(t, files, m.Config, &cfg)
	c := cfg.Config
	if c.User != "65532:65532" || c.WorkingDir != "/work" || len(c.Entrypoint) != 1 || c.Entrypoint[0] != "/usr/bin/retar" {
		t.Errorf("%s: user %q, workdir %q, entrypoint %q", plat, c.User, c.WorkingDir, c.Entrypoint)
	}
	if cfg.OS+"/"+cfg.Architecture != plat || cfg.Created == nil || !cfg.Created.Equal(time.Unix(1704067200, 0)) {
		t.Errorf("%s: config for %s/%s, created %v", plat, cfg.OS, cfg.Architecture, cfg.Created)
	}
	for k, v := range want {
		if m.Annotations[k] != v || c.Labels[k] != v {
			t.Errorf("%s: %s: manifest %q, label %q, want %q", plat, k, m.Annotations[k], c.Labels[k], v)
		}
	}
	hs, data := map[string]*tar.Header{}, map[string][]byte{}
	for _, l := range m.Layers {
		h, d := layerFiles(t, blob(t, files, l, nil))
		for k := range h {
			hs[k], data[k] = h[k], d[k]
		}
	}
	if h := hs["usr/bin/retar"]; h == nil || h.Mode != 0o755 || !bytes.Equal(data["usr/bin/retar"], binaries[plat]) {
		t.Errorf("%s: /usr/bin/retar is not the platform's binary, mode 0755", plat)
	}
	if h := hs["work/"]; h == nil || h.Uid != 65532 || h.Typeflag != tar.TypeDir {
		t.Errorf("%s: /work is not a directory of uid 65532", plat)
	}
	if h := hs["tmp/"]; h == nil || h.Mode != 0o1777 {
		t.Errorf("%s: no /tmp of mode 1777", plat)
	}
	if !bytes.Contains(data["etc/passwd"], []byte(":65532:65532:")) {
		t.Errorf("%s: /etc/passwd names no user 65532: %q", plat, data["etc/passwd"])
	}
}
