package convert_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
)

// An OCI layout may lack blobs (buildpacks write such sparse layouts): into
// an OCI layout they are carried as descriptors, with a notice naming each;
// verify lists them as absent; into docker-archive or dir, or to re-encode a
// layer, the absent blob is an error naming it.
func TestSparseOCILayouts(t *testing.T) {
	i1, i2 := imagetest.New(t, imagetest.Layers(1)), imagetest.New(t, imagetest.Layers(2))
	for _, c := range []struct {
		name    string
		data    []byte
		missing digest.Digest
		layer   bool
	}{
		{"a layer missing", i2.OCIArchive(t).Drop(t, imagetest.BlobPath(i2.Layers[1])).Tar(t), digest.FromBytes(i2.Layers[1]), true},
		{"the config missing", i1.OCIArchive(t).Drop(t, imagetest.BlobPath(i1.Config)).Tar(t), digest.FromBytes(i1.Config), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			open := func() *convert.Archive {
				a, err := convert.Open(convert.Input{Name: "sparse.tar", Archive: bytes.NewReader(c.data), Size: int64(len(c.data))})
				if err != nil {
					t.Fatal(err)
				}
				return a
			}
			for _, to := range []convert.Layout{convert.OCIArchive, convert.OCI} {
				p, err := open().Convert(context.Background(), convertOptions(to))
				if err != nil {
					t.Fatalf("to %s: %v", to, err)
				}
				if !strings.Contains(strings.Join(p.Warnings, "\n"), c.missing.String()+" of manifest") {
					t.Errorf("to %s: no notice names %s: %q", to, c.missing, p.Warnings)
				}
				var out bytes.Buffer
				if err := p.WriteTar(convert.WriterSink{Writer: &out}); err != nil {
					t.Fatal(err)
				}
				if to == convert.OCIArchive {
					if err := verify("out.tar", out.Bytes()); err != nil {
						t.Errorf("the sparse output does not verify: %v", err)
					}
				}
			}
			for _, to := range []convert.Layout{convert.DockerArchive, convert.Dir} {
				_, err := open().Convert(context.Background(), convertOptions(to))
				var me *convert.MissingError
				if !errors.As(err, &me) || me.Digest != c.missing || !strings.Contains(err.Error(), "sparse.tar") {
					t.Errorf("to %s: %v, want the absent blob named", to, err)
				}
			}
			recompress := convertOptions(convert.OCIArchive)
			recompress.Recompress, recompress.Compress = true, convert.Gzip
			_, err := open().Convert(context.Background(), recompress)
			if c.layer && !errors.Is(err, convert.ErrMissingBlob) {
				t.Errorf("--compress with a layer absent: %v, want the absent layer named", err)
			} else if !c.layer && err != nil {
				t.Errorf("--compress with the config absent (its bytes are not needed): %v", err)
			}
			a := open()
			r, err := a.Verify(context.Background(), convert.Hashing{})
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if !strings.Contains(strings.Join(r.Absent, "\n"), c.missing.String()) || !strings.Contains(strings.Join(a.Warnings, "\n"), c.missing.String()) {
				t.Errorf("verify: absent %q, notices %q; want %s in both", r.Absent, a.Warnings, c.missing)
			}
		})
	}
}
