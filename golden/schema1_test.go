package golden_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
)

// Docker schema 1 images (skopeo's integration fixtures) convert as skopeo
// converts them: the same config, diff_ids learned by decompressing each
// layer, throwaway layers left out (testdata/schema1/README.md).
func TestSchema1AsSkopeo(t *testing.T) {
	const s1 = "containers__skopeo/integration/fixtures/uncompressed-image-s1"
	readJSON := func(name string, v any) {
		b, err := os.ReadFile(filepath.Join("testdata", "schema1", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	wantV2S2, err := os.ReadFile(filepath.Join("testdata", "schema1", "skopeo-v2s2-config.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []convert.Layout{convert.Dir, convert.DockerArchive, convert.OCIArchive} {
		t.Run(string(to), func(t *testing.T) {
			cfg := convertedConfig(t, s1, to)
			var got, want ocispec.Image
			if err := json.Unmarshal(cfg, &got); err != nil {
				t.Fatal(err)
			}
			readJSON("skopeo-oci-config.json", &want)
			if !reflect.DeepEqual(got.RootFS, want.RootFS) || got.OS != want.OS || got.Architecture != want.Architecture ||
				!reflect.DeepEqual(got.Config.Env, want.Config.Env) || !reflect.DeepEqual(got.History, want.History) || !got.Created.Equal(*want.Created) {
				t.Errorf("config differs from skopeo's:\n%s\nskopeo's OCI config:\n%+v", cfg, want)
			}
			if !bytes.Equal(cfg, bytes.TrimSpace(wantV2S2)) {
				t.Errorf("config is not skopeo's v2s2 config byte for byte:\n%s\n%s", cfg, wantV2S2)
			}
		})
	}
	// busybox: a gzip layer and a throwaway one, blobs named <hex>.tar.
	cfg := convertedConfig(t, "containers__skopeo/integration/images/busybox-latest", convert.OCI)
	var got ocispec.Image
	if err := json.Unmarshal(cfg, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.RootFS.DiffIDs) != 1 || got.RootFS.DiffIDs[0] != "sha256:8ac8bfaff55af948c796026ee867448c5b5b5d9dd3549f4006d9759b25d4a893" {
		t.Errorf("busybox diff_ids %v", got.RootFS.DiffIDs)
	}
	if len(got.History) != 2 || got.History[0].EmptyLayer || !got.History[1].EmptyLayer {
		t.Errorf("busybox history %+v: want the ADD layer, then CMD as an empty layer", got.History)
	}
}

// convertedConfig converts a third-party dir: layout and returns the config
// of the output's image, read back and verified.
func convertedConfig(t *testing.T, rel string, to convert.Layout) []byte {
	t.Helper()
	a := imagetest.OpenPath(t, filepath.Join(fixturesDir, rel))
	p, err := a.Convert(context.Background(), convert.Options{To: to, Host: host})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := p.WriteTar(convert.WriterSink{Writer: &buf}); err != nil {
		t.Fatal(err)
	}
	out := reopen(t, p, buf.Bytes(), "out")
	if _, err := out.Verify(context.Background(), convert.Hashing{}); err != nil {
		t.Fatalf("the output does not verify: %v", err)
	}
	root := rootOf(t, out.Images[0])
	for root.Index != nil {
		root = root.Children[0]
	}
	var c bytes.Buffer
	hex := root.Manifest.Config.Digest.Encoded()
	for _, e := range p.Entries {
		if base := filepath.Base(e.Name); base == hex || base == hex+".json" {
			if err := p.WriteContent(&e, convert.WriterSink{Writer: &c}); err != nil {
				t.Fatal(err)
			}
			return c.Bytes()
		}
	}
	t.Fatalf("no config %s in the output", root.Manifest.Config.Digest)
	return nil
}
