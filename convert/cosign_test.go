package convert

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// cosignSaveLayout rewrites the supply input signed-layout into the form
// cosign save writes: no names, the image marked with cosign's kind
// annotation (markImage), its signature, attestation and SBOM marked too.
func cosignSaveLayout(t *testing.T, markImage bool) (*Archive, string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "golden", "testdata", "supply", "signed-layout"))); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "index.json")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		t.Fatal(err)
	}
	image := idx.Manifests[0].Digest
	var kept []ocispec.Descriptor
	for _, d := range idx.Manifests {
		name := d.Annotations[ocispec.AnnotationRefName]
		switch {
		case d.Digest == image:
			d.Annotations = nil
			if markImage {
				d.Annotations = map[string]string{"kind": "dev.cosignproject.cosign/image"}
			}
		case strings.HasPrefix(name, "sha256-"+image.Encoded()+"."):
			suffix := name[strings.LastIndexByte(name, '.')+1:]
			d.Annotations = map[string]string{"kind": "dev.cosignproject.cosign/" + suffix + "s"}
		default:
			continue // what cosign save does not write
		}
		kept = append(kept, d)
	}
	idx.Manifests = kept
	if data, err = json.Marshal(idx); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := Open(Input{Name: "cosign-save", Dir: os.DirFS(dir)})
	if err != nil {
		t.Fatal(err)
	}
	return a, image.Encoded()
}

// A cosign save layout names nothing: its signatures go with the image it
// marks, and retar writes them as it writes cosign's tag-scheme entries,
// unnamed, with their kind and their subject.
func TestCosignSaveLayout(t *testing.T) {
	a, hex := cosignSaveLayout(t, true)
	if len(a.Images) != 1 {
		t.Fatalf("%d images, want the one image", len(a.Images))
	}
	var tags []string
	for _, r := range describeReferrers(a.Images[0].Referrers) {
		tags = append(tags, r.Kind+" "+r.Tag)
	}
	slices.Sort(tags)
	want := []string{"attestation sha256-" + hex + ".att", "sbom sha256-" + hex + ".sbom", "signature sha256-" + hex + ".sig"}
	if !slices.Equal(tags, want) {
		t.Fatalf("referrers %q, want %q", tags, want)
	}

	p, err := a.Convert(context.Background(), Options{To: OCIArchive})
	if err != nil {
		t.Fatal(err)
	}
	idx := planIndex(t, p)
	if k := idx.Manifests[0].Annotations["kind"]; k != cosignKindImage {
		t.Errorf("the image's entry has kind %q, want cosign's %q (cosign finds the image by it)", k, cosignKindImage)
	}
	kinds := 0
	for _, d := range idx.Manifests[1:] {
		if d.Annotations[ocispec.AnnotationRefName] != "" || d.Annotations[annotationContainerdName] != "" {
			t.Errorf("%s is named %v: containerd's importers would register it", d.Digest, d.Annotations)
		}
		if d.Annotations[AnnotationSubject] != "sha256:"+hex {
			t.Errorf("%s: subject annotation %q, want the image", d.Digest, d.Annotations[AnnotationSubject])
		}
		if strings.HasPrefix(d.Annotations["kind"], "dev.cosignproject.cosign/") {
			kinds++
		}
	}
	if len(idx.Manifests) != 4 || kinds != 3 {
		t.Errorf("index.json has %d entries, %d with cosign's kind: want the image and its 3 artifacts", len(idx.Manifests), kinds)
	}
}

// With no image marked as cosign's, what a signature vouches for is
// unknown: it is kept apart and said, never taken for an image.
func TestCosignSaveLayoutUnmarked(t *testing.T) {
	a, _ := cosignSaveLayout(t, false)
	if len(a.Images) != 1 || len(a.Images[0].Referrers) != 0 || len(a.Dangling) != 3 {
		t.Fatalf("%d images, %d referrers, %d apart: want 1, 0, 3", len(a.Images), len(a.Images[0].Referrers), len(a.Dangling))
	}
	if !slices.ContainsFunc(a.Warnings, func(w string) bool { return strings.Contains(w, "marks no one image as cosign's") }) {
		t.Errorf("no warning says it: %q", a.Warnings)
	}
}

// Stripped of its artifacts, the image loses cosign's mark too.
func TestCosignMarkFollowsArtifacts(t *testing.T) {
	a, _ := cosignSaveLayout(t, true)
	p, err := a.Convert(context.Background(), Options{To: OCIArchive, Attestations: AttestationsStrip})
	if err != nil {
		t.Fatal(err)
	}
	idx := planIndex(t, p)
	if len(idx.Manifests) != 1 || idx.Manifests[0].Annotations["kind"] != "" {
		t.Errorf("index.json %+v: want the image alone, without cosign's kind", idx.Manifests)
	}
}
