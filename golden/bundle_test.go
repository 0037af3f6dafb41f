package golden_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
	"github.com/retar-dev/retar/tarfs"
)

// bundleSource is one SRC of a bundle: a real-tool archive and its pick.
type bundleSource struct {
	file, pick string
	supply     bool // in testdata/supply, not testdata/real
}

// bundles are README's *Bundles*: several sources, any layout, one archive.
var bundles = []struct {
	name    string
	sources []bundleSource
}{
	// docker save's A and umoci's B (a tag-only name): shared base layers stored once
	{"two-sources", []bundleSource{{file: "docker-save-two-images.tar", pick: "@0"}, {file: "umoci-layout", pick: "2"}}},
	// three layouts; skopeo's zstd copy of A is another image than docker's A
	// only in its layers, so the same config makes it the same image
	{"three-sources-mixed", []bundleSource{{file: "ctr-export-two-images.tar", pick: "@1"}, {file: "skopeo-dir-v2s2", pick: ""}, {file: "docker-save-single.tar", pick: ""}}},
	// one name, the same image (same config) from two tools: one image, merged
	{"same-name-same-image", []bundleSource{{file: "docker-save-single.tar", pick: ""}, {file: "skopeo-docker-archive-named.tar", pick: ""}}},
	// one name, two different images (podman save --format oci-archive rewrites the config): an error naming both
	{"same-name-two-images", []bundleSource{{file: "docker-save-single.tar", pick: ""}, {file: "podman-save-oci-archive.tar", pick: ""}}},
	// a signed image from a tar and from a directory (one image, its seven
	// referrers once, the two that share the empty config both kept) and
	// a BuildKit image whose attestations stay in its index
	{"signed-and-attested", []bundleSource{{file: "signed.tar", pick: "", supply: true}, {file: "signed-layout", pick: "1", supply: true}, {file: "buildkit-attestations.tar", pick: "", supply: true}}},
}

func TestBundleGolden(t *testing.T) {
	ctx := context.Background()
	for _, bc := range bundles {
		for _, to := range []convert.Layout{convert.OCIArchive, convert.DockerArchive} {
			t.Run(bc.name+"/"+string(to), func(t *testing.T) {
				var sources []convert.Source
				var names []string
				var first *convert.Archive
				for _, s := range bc.sources {
					in := input{name: s.file, path: s.file, real: !s.supply, supply: s.supply}
					a, err := open(t, in)
					if err != nil {
						t.Fatal(err)
					}
					if first == nil {
						first = a
					}
					sources = append(sources, convert.Source{Archive: a, Pick: s.pick})
					names = append(names, strings.TrimSuffix(s.file, ".tar")+":"+s.pick)
				}
				p, err := convert.Bundle(ctx, sources, opts(to))
				in := input{name: "bundle-" + bc.name, path: strings.Join(names, " + "), real: true}
				compareGolden(t, filepath.Join("testdata", "bundle", filepath.Base(goldenPath(in, to))), render(in, to, first, p, err))
				if err != nil {
					return
				}
				// A bundle verifies, and is the same bytes when made again.
				tb := planTar(t, p)
				out := reopen(t, p, tb, "bundle.tar")
				if _, err := out.Verify(ctx, convert.Hashing{}); err != nil {
					t.Errorf("the bundle does not verify: %v", err)
				}
				// made again from fresh sources, verified as written (as the CLI does)
				var again []convert.Source
				for i, s := range bc.sources {
					a, err := open(t, input{name: s.file, path: s.file, real: !s.supply, supply: s.supply})
					if err != nil {
						t.Fatal(err)
					}
					again = append(again, convert.Source{Archive: a, Pick: sources[i].Pick})
				}
				o := opts(to)
				o.VerifyAsWritten = true
				p2, err := convert.Bundle(ctx, again, o)
				if err != nil || !bytes.Equal(planTar(t, p2), tb) {
					t.Errorf("not reproducible when verified as written (%v)", err)
				}
				// Each image comes back out of the bundle by name with its digest.
				for _, img := range p.Images {
					if len(img.Names) == 0 || img.Digest == "" {
						continue
					}
					pick, err := out.Convert(ctx, convert.Options{To: convert.OCIArchive, Pick: img.Names[0], Host: host})
					if err != nil {
						t.Errorf("take %s out of the bundle: %v", img.Names[0], err)
						continue
					}
					if got := pick.Images[0].Digest; got != img.Digest {
						t.Errorf("%s out of the bundle: digest %s, in the bundle %s", img.Names[0], got, img.Digest)
					}
				}
			})
		}
	}
}

// TestBundleBadSource: one bad source among good ones (a flipped byte in a
// layer) fails the bundle, naming the bad one, before anything is written.
func TestBundleBadSource(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "real", "docker-save-single.tar"))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := tarfs.Index(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := idx.Open("80e15a1cd31c28fbab8f4114a973086dc634ff2bea98d55b71fc36e231f5ee06/layer.tar")
	if err != nil {
		t.Fatal(err)
	}
	_, off, n := f.(*tarfs.File).Section()
	data[off+n/2] ^= 0x20
	bad := filepath.Join(t.TempDir(), "bad.tar")
	if err := os.WriteFile(bad, data, 0o644); err != nil {
		t.Fatal(err)
	}
	good, err := open(t, input{name: "good", path: "umoci-layout", real: true})
	if err != nil {
		t.Fatal(err)
	}
	b := imagetest.OpenPath(t, bad)
	_, err = convert.Bundle(context.Background(), []convert.Source{{Archive: good, Pick: "2"}, {Archive: b}}, opts(convert.OCIArchive))
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "80e15a1cd31c") {
		t.Errorf("bundle with a corrupt source: %v; want an error naming %s and the layer", err, bad)
	}
}
