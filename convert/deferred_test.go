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
			bad := img.OCIArchive(t).Edit(t, imagetest.BlobPath(img.Layers[i]), imagetest.Flip).Tar(t)
			if _, err := write(bad, to, false); err == nil {
				t.Fatalf("layer %d flipped: the check before writing passes", i)
			}
			_, err := write(bad, to, true)
			var de *convert.DigestError
			if !errors.As(err, &de) || de.Blob != imagetest.BlobPath(img.Layers[i]) {
				t.Errorf("to %s, layer %d flipped: %v, want a digest error naming it", to, i, err)
			}
		}
	}
}
