package convert_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
)

// With VerifyAsWritten the blobs are hashed as the plan is written: the
// output is byte for byte the one verified first, and a blob that does not
// verify makes the writing fail, naming it, wherever it is in the plan.
func TestVerifyAsWritten(t *testing.T) {
	img := imagetest.New(t, imagetest.Layers(4), imagetest.Names("example.com/app:1"))
	good := img.OCIArchive(t).Tar(t)
	write := func(data []byte, to convert.Layout, deferred bool) ([]byte, error) {
		t.Helper()
		a, err := convert.Open(convert.Input{Name: "in.tar", Archive: bytes.NewReader(data), Size: int64(len(data))})
		if err != nil {
			t.Fatal(err)
		}
		o := convertOptions(to)
		o.VerifyAsWritten = deferred
		p, err := a.Convert(context.Background(), o)
		if err != nil {
			return nil, err
		}
		var out bytes.Buffer
		err = p.WriteTar(convert.WriterSink{Writer: &out})
		return out.Bytes(), err
	}
	for _, to := range []convert.Layout{convert.OCIArchive, convert.DockerArchive, convert.OCI} {
		first, err := write(good, to, false)
		if err != nil {
			t.Fatal(err)
		}
		overlapped, err := write(good, to, true)
		if err != nil {
			t.Fatalf("to %s: %v", to, err)
		}
		if !bytes.Equal(first, overlapped) {
			t.Errorf("to %s: verifying as written changes the output", to)
		}
		for i := range img.Layers {
			// An OCI layout names the digest; a docker save's plain layer
			// is taken at its config's diff_id, checked as it is written.
			for _, src := range []struct {
				ms   imagetest.Members
				path string
				what string
			}{
				{img.OCIArchive(t), imagetest.BlobPath(img.Layers[i]), ""},
				{img.DockerArchive(t), img.DockerLayerPath(i), "diff_id"},
			} {
				bad := src.ms.Edit(t, src.path, imagetest.Flip).Tar(t)
				if _, err := write(bad, to, false); err == nil {
					t.Fatalf("layer %d flipped: the check before writing passes", i)
				}
				_, err := write(bad, to, true)
				var de *convert.DigestError
				if !errors.As(err, &de) || de.Blob != src.path || de.What != src.what {
					t.Errorf("to %s, %s flipped: %v, want a %s digest error naming it", to, src.path, err, src.what)
				}
			}
		}
		dockerFirst, err := write(img.DockerArchive(t).Tar(t), to, false)
		if err != nil {
			t.Fatal(err)
		}
		if dockerOverlapped, err := write(img.DockerArchive(t).Tar(t), to, true); err != nil || !bytes.Equal(dockerFirst, dockerOverlapped) {
			t.Errorf("to %s from a docker save: verifying as written changes the output (%v)", to, err)
		}
	}
}
