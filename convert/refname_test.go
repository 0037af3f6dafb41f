package convert

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/retar-dev/retar/tarfs"
)

// outputIndex converts source to an oci-archive with opts and returns its
// index.json, read back.
func outputIndex(t *testing.T, source string, opts Options) ocispec.Index {
	t.Helper()
	opts.To = OCIArchive
	p, err := realSource(t, source).Convert(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return planIndex(t, p)
}

// planIndex writes p as a tar and returns its index.json, read back.
func planIndex(t *testing.T, p *Plan) ocispec.Index {
	t.Helper()
	var out bytes.Buffer
	if err := p.WriteTar(WriterSink{Writer: &out}); err != nil {
		t.Fatal(err)
	}
	fsys, err := tarfs.Index(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	f, err := fsys.Open("index.json")
	if err != nil {
		t.Fatal(err)
	}
	var idx ocispec.Index
	if err := json.NewDecoder(f).Decode(&idx); err != nil {
		t.Fatal(err)
	}
	return idx
}

// oci:DIR:REF means what skopeo and umoci mean: ref.name is REF exactly as
// typed; io.containerd.image.name is the full docker name where there is one.
func TestOCIRefNameAsTyped(t *testing.T) {
	const named, unnamed = "skopeo-oci-archive-named.tar", "skopeo-docker-archive-unnamed.tar"
	for _, c := range []struct {
		source, ref   string
		tag           bool // given with -t, not as DST's REF
		refName, full string
	}{
		{unnamed, "latest", false, "latest", ""},
		{named, "latest", false, "latest", "docker.io/library/retar-test:latest"},
		{named, "1.0", false, "1.0", "docker.io/library/retar-test:1.0"},
		{unnamed, "app:1", false, "app:1", "docker.io/library/app:1"},
		{unnamed, "quay.io/x/y:1", false, "quay.io/x/y:1", "quay.io/x/y:1"},
		{unnamed, "app@sha256:" + zeros64, false, "app@sha256:" + zeros64, "docker.io/library/app@sha256:" + zeros64},
		{unnamed, "app:2", true, "app:2", "docker.io/library/app:2"},
	} {
		t.Run(c.ref, func(t *testing.T) {
			opts := Options{Names: []string{c.ref}}
			if c.tag {
				opts = Options{Tags: []string{c.ref}}
			}
			idx := outputIndex(t, c.source, opts)
			var found bool
			for _, d := range idx.Manifests {
				if d.Annotations[ocispec.AnnotationRefName] == c.refName {
					found = true
					if got := d.Annotations[annotationContainerdName]; got != c.full {
						t.Errorf("io.containerd.image.name %q, want %q", got, c.full)
					}
				}
			}
			if !found {
				t.Errorf("no entry with ref.name %q: %v", c.refName, idx.Manifests)
			}
		})
	}
}

const zeros64 = "0000000000000000000000000000000000000000000000000000000000000000"

// A source's ref.names are kept (containerd's exporter writes the tag alone
// beside the full name), and an image is found by its ref.name as skopeo
// finds it, or by its full name.
func TestOCIRefNameKeptAndFound(t *testing.T) {
	idx := outputIndex(t, "ctr-export-oci.tar", Options{})
	if got := idx.Manifests[0].Annotations[ocispec.AnnotationRefName]; got != "1" {
		t.Errorf("ctr export's ref.name %q not kept", got)
	}
	a := realSource(t, "ctr-export-two-images.tar")
	for _, pick := range []string{"1", "2", "docker.io/library/retar-test:2", "retar-test:2"} {
		imgs, err := a.Select(pick)
		if err != nil || len(imgs) != 1 {
			t.Errorf("pick %q: %d images, %v", pick, len(imgs), err)
		}
	}
	if imgs, _ := a.Select("2"); len(imgs) == 1 {
		if imgs[0].Names[0].String() != "docker.io/library/retar-test:2" {
			t.Errorf("ref.name 2 found %v", imgs[0].Names)
		}
	}
}

func TestOCINameValidation(t *testing.T) {
	for _, c := range []struct {
		to  Layout
		ref string
		ok  bool
	}{
		{OCI, "latest", true},
		{OCI, "v1.0_beta", true},
		{OCI, "-leading", false},
		{OCI, "Upper:Case", true}, // an OCI ref.name, not a docker reference
		{OCI, "bad//name", false},
		{DockerArchive, "Upper:Case", false},
	} {
		o := Options{To: c.to, Names: []string{c.ref}}
		if err := o.Validate(); (err == nil) != c.ok {
			t.Errorf("%s:%s: %v, want ok %v", c.to, c.ref, err, c.ok)
		}
	}
}
