package convert_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
)

// fullSpill is a spill on a full disk.
type fullSpill struct{}

func (fullSpill) Write([]byte) (int, error)  { return 0, errors.New("no space left on device") }
func (fullSpill) Done() (io.ReaderAt, error) { return nil, errors.New("never done") }

// A spill that cannot be written is said as such, never as a layer that
// does not decompress: with one layer (its writing beside the encoder) and
// with more layers than cores (written in line).
func TestSpillWriteError(t *testing.T) {
	for _, layers := range []int{1, 2 * runtime.GOMAXPROCS(0)} {
		img := imagetest.New(t, imagetest.Layers(layers), imagetest.Compress(imagetest.Gzip)).OCIArchive(t).Tar(t)
		a, err := convert.Open(convert.Input{Name: "in.tar", Archive: bytes.NewReader(img), Size: int64(len(img))})
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.Convert(context.Background(), convert.Options{To: convert.OCIArchive, Recompress: true, Compress: convert.Uncompressed,
			Spill: func() (convert.Spill, error) { return fullSpill{}, nil }})
		if err == nil || !strings.Contains(err.Error(), "no space left on device") || strings.Contains(err.Error(), "does not decompress") {
			t.Errorf("%d layers: %v; want the spill's error, not the layer's", layers, err)
		}
	}
}
