package golden_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/retar-dev/retar/convert"
)

// volumeBundles are the bundles split into volumes: each case's volume size
// is one byte less than its unsplit bundle, so that two images or more
// make two volumes or more, and one image is too large.
var volumeBundles = []string{"two-sources", "three-sources-mixed", "signed-and-attested", "same-name-same-image"}

// TestVolumeGolden splits bundles into volumes (convert.BundleVolumes):
// each volume's plan is a golden, or the error is; each volume is within
// the size, verifies on its own, and the volumes bundled again in their
// order are the unsplit bundle byte for byte.
func TestVolumeGolden(t *testing.T) {
	ctx := context.Background()
	for _, bc := range bundles {
		if !slices.Contains(volumeBundles, bc.name) {
			continue
		}
		for _, to := range []convert.Layout{convert.OCIArchive, convert.DockerArchive} {
			t.Run(bc.name+"/"+string(to), func(t *testing.T) {
				sources, names, first := openBundle(t, bc.sources)
				whole, err := convert.Bundle(ctx, sources, opts(to))
				if err != nil {
					t.Fatal(err)
				}
				wb := planTar(t, whole)
				limit := int64(len(wb)) - 1
				sources, _, _ = openBundle(t, bc.sources)
				set, err := convert.BundleVolumes(ctx, sources, opts(to), limit)
				stem := filepath.Join("testdata", "volume", "volume-"+bc.name)
				if err != nil {
					in := input{name: "volume-" + bc.name, path: strings.Join(names, " + ") + fmt.Sprintf(" in volumes of %d bytes", limit), real: true}
					compareGolden(t, fmt.Sprintf("%s.%s.txtar", stem, to), render(in, to, first, nil, err))
					return
				}
				var again []convert.Source
				for i, p := range set.Volumes {
					display := fmt.Sprintf("%s, volume %d of %d, at most %d bytes (%s)", strings.Join(names, " + "), i+1, len(set.Volumes), limit, set.VolumeSummary(limit))
					in := input{name: "volume-" + bc.name, path: display, real: true}
					compareGolden(t, fmt.Sprintf("%s.%s.%d.txtar", stem, to, i+1), render(in, to, first, p, nil))
					vb := planTar(t, p)
					if int64(len(vb)) > limit || int64(len(vb)) != set.Sizes[i] {
						t.Errorf("volume %d: %d bytes, planned %d, at most %d", i+1, len(vb), set.Sizes[i], limit)
					}
					a := reopen(t, p, vb, fmt.Sprintf("volume%d.tar", i+1))
					if _, err := a.Verify(ctx, convert.Hashing{}); err != nil {
						t.Errorf("volume %d does not verify: %v", i+1, err)
					}
					again = append(again, convert.Source{Archive: a})
				}
				if len(set.Volumes) < 2 {
					t.Errorf("%d volumes of at most %d bytes; the whole is %d", len(set.Volumes), limit, len(wb))
				}
				joined, err := convert.Bundle(ctx, again, opts(to))
				if err != nil || !bytes.Equal(planTar(t, joined), wb) {
					t.Errorf("the volumes joined are not the unsplit bundle (%v)", err)
				}
			})
		}
	}
}

// openBundle opens a bundle's sources: the sources, their names for
// messages, and the first archive (for render).
func openBundle(t *testing.T, srcs []bundleSource) ([]convert.Source, []string, *convert.Archive) {
	t.Helper()
	var sources []convert.Source
	var names []string
	var first *convert.Archive
	for _, s := range srcs {
		a, err := open(t, input{name: s.file, path: s.file, real: !s.supply, supply: s.supply})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = a
		}
		sources = append(sources, convert.Source{Archive: a, Pick: s.pick})
		names = append(names, strings.TrimSuffix(s.file, ".tar")+":"+s.pick)
	}
	return sources, names, first
}
