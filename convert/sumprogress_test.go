package convert_test

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/opencontainers/go-digest"
	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hashing.Sum reports its bytes as it hashes them (a browser's Workers
// take seconds for a large layer, and the page shows a bar meanwhile):
// whatever it reports, each blob counts exactly its size once, so the
// pass ends at its total.
func TestHashingSumProgress(t *testing.T) {
	img := imagetest.New(t, imagetest.Layers(3))
	data := img.DockerArchive(t).Tar(t)
	for _, c := range []struct {
		name   string
		report func(n int64, progress func(int64)) // what Sum tells progress for an n-byte blob
	}{
		{"nothing: all counted on return", func(n int64, p func(int64)) {}},
		{"in small steps", func(n int64, p func(int64)) {
			for done := int64(0); done < n; done += 100 {
				p(min(100, n-done))
			}
		}},
		{"half", func(n int64, p func(int64)) { p(n / 2) }},
		{"too much", func(n int64, p func(int64)) { p(n); p(n); p(-5) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, err := convert.Open(convert.Input{Name: "in.tar", Archive: bytes.NewReader(data), Size: int64(len(data))})
			require.NoError(t, err)
			var mu sync.Mutex
			var last convert.Progress
			var steps int
			sum := func(ctx context.Context, r io.ReaderAt, off, n int64, alg digest.Algorithm, progress func(int64)) (digest.Digest, bool, error) {
				c.report(n, progress)
				d, err := alg.FromReader(io.NewSectionReader(r, off, n))
				return d, true, err
			}
			h := convert.Hashing{Sum: sum, Parallel: 2, Progress: func(p convert.Progress) {
				mu.Lock()
				defer mu.Unlock()
				assert.LessOrEqual(t, p.Bytes, p.TotalBytes, "never past the total")
				last = p
				steps++
			}}
			_, err = a.Inspect(context.Background(), convert.InspectOptions{Hashing: h})
			require.NoError(t, err)
			assert.Equal(t, "verifying", last.Phase)
			assert.Equal(t, last.TotalBytes, last.Bytes, "the pass ends at its total")
			assert.Equal(t, 3, last.Blobs)
			assert.Equal(t, 3, last.TotalBlobs)
			assert.Greater(t, steps, 3)
		})
	}
}

// sectionFS is a layout folder whose files say where their bytes lie, as a
// browser's dropped Files do: Sum hashes them too.
type sectionFS struct{ fstest.MapFS }

type sectionFile struct {
	fs.File
	body []byte
}

func (f sectionFile) Section() (io.ReaderAt, int64, int64) {
	return bytes.NewReader(f.body), 0, int64(len(f.body))
}

func (s sectionFS) Open(name string) (fs.File, error) {
	f, err := s.MapFS.Open(name)
	if m, ok := s.MapFS[name]; ok && err == nil && m.Mode.IsRegular() {
		return sectionFile{File: f, body: m.Data}, nil
	}
	return f, err
}

func TestHashingSumFolder(t *testing.T) {
	img := imagetest.New(t, imagetest.Layers(2))
	m := fstest.MapFS{}
	for _, mem := range img.OCILayout(t) {
		if mem.Type == 0 {
			m[mem.Name] = &fstest.MapFile{Data: mem.Body, Mode: 0o644}
		}
	}
	var calls atomic.Int32
	sum := func(ctx context.Context, r io.ReaderAt, off, n int64, alg digest.Algorithm, _ func(int64)) (digest.Digest, bool, error) {
		calls.Add(1)
		d, err := alg.FromReader(io.NewSectionReader(r, off, n))
		return d, true, err
	}
	a, err := convert.Open(convert.Input{Name: "layout", Dir: sectionFS{m}})
	require.NoError(t, err)
	_, err = a.Convert(context.Background(), convert.Options{To: convert.OCIArchive, Hashing: convert.Hashing{Sum: sum}})
	require.NoError(t, err)
	assert.EqualValues(t, 2, calls.Load(), "both layers hashed where they lie")
}
