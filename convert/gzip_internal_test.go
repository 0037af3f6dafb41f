package convert

import (
	"bytes"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// A large layer's gzip is compressed in blocks on every core, yet its bytes
// are a function of the input alone: the same on one core as on eight, and
// a valid gzip stream of the input.
func TestParallelGzipIsTheSameOnAnyNumberOfCores(t *testing.T) {
	in := make([]byte, 5*gzipBlock+12345)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range in {
		if i%3 == 0 {
			in[i] = byte(r.Uint32())
		} else {
			in[i] = "layer text "[i%11]
		}
	}
	compress := func(procs int) []byte {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		var out bytes.Buffer
		enc, err := encoder(&out, Options{Compress: Gzip}, true)
		if err != nil {
			t.Fatal(err)
		}
		for p := in; len(p) > 0; { // odd write sizes: the blocks must not follow them
			k := min(len(p), 777777)
			if _, err := enc.Write(p[:k]); err != nil {
				t.Fatal(err)
			}
			p = p[k:]
		}
		if err := enc.Close(); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	one, eight := compress(1), compress(8)
	if !bytes.Equal(one, eight) {
		t.Fatalf("1 core and 8 cores give different bytes (%d and %d)", len(one), len(eight))
	}
	zr, err := gzip.NewReader(bytes.NewReader(one))
	if err != nil {
		t.Fatal(err)
	}
	back, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(back, in) {
		t.Fatalf("the stream does not decompress to the input (%v)", err)
	}
}
