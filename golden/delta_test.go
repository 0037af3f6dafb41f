package golden_test

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
)

// deltas are README's *Deltas*: sources made into a delta since a base
// (every index, manifest, config and name; only the layers the base
// lacks), and applied to that base again.
var deltas = []struct {
	name    string
	base    string // a file of testdata/real
	sources []bundleSource
}{
	// docker save of A and B since docker save of A: A is all there, B's
	// base layers too; B's own layer is all the delta carries
	{"two-images-since-one", "docker-save-single.tar", []bundleSource{{file: "docker-save-two-images.tar"}}},
	// a bundle of ctr's OCI export and umoci's layout since podman's OCI
	// archive of another image built on the same base
	{"bundle-since-other-image", "podman-save-oci-archive.tar", []bundleSource{{file: "ctr-export-oci.tar"}, {file: "umoci-layout", pick: "2"}}},
}

func TestDeltaGolden(t *testing.T) {
	ctx := context.Background()
	for _, dc := range deltas {
		for _, to := range []convert.Layout{convert.OCIArchive, convert.OCI} {
			t.Run(dc.name+"/"+string(to), func(t *testing.T) {
				base := mustOpen(t, input{name: dc.base, path: dc.base, real: true})
				since := convert.NewHoldings()
				if err := base.Holdings(ctx, since); err != nil {
					t.Fatal(err)
				}
				o := opts(to)
				o.Since = since
				p, err := convert.Bundle(ctx, deltaSources(t, dc.sources), o)
				var names []string
				for _, s := range dc.sources {
					names = append(names, strings.TrimSuffix(s.file, ".tar")+":"+s.pick)
				}
				in := input{name: "delta-" + dc.name, path: strings.Join(names, " + ") + " since " + dc.base, real: true}
				sources := deltaSources(t, dc.sources)
				compareGolden(t, filepath.Join("testdata", "delta", filepath.Base(goldenPath(in, to))), render(in, to, sources[0].Archive, p, err))
				if err != nil {
					return
				}
				full, err := convert.Bundle(ctx, sources, opts(to))
				if err != nil {
					t.Fatal(err)
				}
				checkApply(t, planTar(t, p), planTar(t, full), to, dc.base)
			})
		}
	}
}

func deltaSources(t *testing.T, srcs []bundleSource) []convert.Source {
	var out []convert.Source
	for _, s := range srcs {
		out = append(out, convert.Source{Archive: mustOpen(t, input{name: s.file, path: s.file, real: true}), Pick: s.pick})
	}
	return out
}

// checkApply: the delta, verified with what it left out absent, and applied
// to its base, is the full output byte for byte; applied to a base that
// lacks a layer it left out, it is one error naming that layer.
func checkApply(t *testing.T, delta, full []byte, to convert.Layout, baseFile string) {
	t.Helper()
	ctx := context.Background()
	p := materialize(t, delta, to)
	rec, err := convert.Open(imagetest.PathInput(t, "delta", p))
	if err != nil {
		t.Fatal(err)
	}
	r, err := rec.Verify(ctx, convert.Hashing{})
	if err != nil {
		t.Fatalf("the delta does not verify: %v", err)
	}
	record, err := rec.Delta()
	if err != nil || record == nil || len(record.Absent) == 0 || len(r.Absent) == 0 {
		t.Fatalf("the delta lists no blob left out (%v): %+v, verify %v", err, record, r.Absent)
	}
	base := convert.NewHoldings()
	if err := mustOpen(t, input{name: baseFile, path: baseFile, real: true}).Holdings(ctx, base); err != nil {
		t.Fatal(err)
	}
	in := imagetest.PathInput(t, "delta", p)
	in.Base = base
	a, err := convert.Open(in)
	if err == nil {
		err = a.CheckBase([]string{baseFile})
	}
	if err != nil {
		t.Fatal(err)
	}
	applied, err := convert.Bundle(ctx, []convert.Source{{Archive: a}}, opts(to))
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if got := planTar(t, applied); !bytes.Equal(got, full) {
		t.Errorf("the applied delta (%d bytes) is not the output written without a base (%d bytes)", len(got), len(full))
	}
	in = imagetest.PathInput(t, "delta", p)
	in.Base = convert.NewHoldings()
	if a, err = convert.Open(in); err == nil {
		err = a.CheckBase([]string{"nothing"})
	}
	if err == nil || !strings.Contains(err.Error(), record.Absent[0].Digest.String()) {
		t.Errorf("applied to an empty base: %v, want an error naming %s", err, record.Absent[0].Digest)
	}
}

// materialize writes a plan's tar as the layout it is: the file, or the
// directory its entries make.
func materialize(t *testing.T, data []byte, to convert.Layout) string {
	t.Helper()
	dir := t.TempDir()
	if to.IsArchive() {
		p := filepath.Join(dir, "delta.tar")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return dir
		}
		if err != nil {
			t.Fatal(err)
		}
		fp := filepath.Join(dir, filepath.FromSlash(h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(fp, 0o755)
		case tar.TypeReg:
			var b []byte
			if b, err = io.ReadAll(tr); err == nil {
				err = os.WriteFile(fp, b, 0o644)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}
