package convert_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
)

// Progress.Blob names the blob each call is about: the bytes a call adds
// are that blob's, and the call that counts it finished names it. A
// front end draws a line per blob from that alone.
func TestProgressNamesEachBlob(t *testing.T) {
	data := imagetest.New(t, imagetest.Layers(3)).DockerArchive(t).Tar(t)
	a, err := convert.Open(convert.Input{Name: "in.tar", Archive: bytes.NewReader(data), Size: int64(len(data))})
	require.NoError(t, err)
	type seen struct {
		read     int64
		finished int
	}
	phases := map[string]map[*convert.Blob]*seen{}
	var last convert.Progress
	opts := convert.Options{To: convert.OCIArchive, Recompress: true, Compress: convert.Gzip}
	opts.Spill = func() (convert.Spill, error) { return &memSpill{}, nil }
	opts.Hashing.Progress = func(p convert.Progress) {
		require.NotNil(t, p.Blob, "a call about no blob: %+v", p)
		if p.Phase != last.Phase {
			last = convert.Progress{Phase: p.Phase}
		}
		blobs := phases[p.Phase]
		if blobs == nil {
			blobs = map[*convert.Blob]*seen{}
			phases[p.Phase] = blobs
		}
		s := blobs[p.Blob]
		if s == nil {
			s = &seen{}
			blobs[p.Blob] = s
		}
		s.read += p.Bytes - last.Bytes
		if p.Blobs > last.Blobs {
			s.finished++
		}
		last = p
	}
	_, err = a.Convert(context.Background(), opts)
	require.NoError(t, err)
	require.Contains(t, phases, "re-encoding")
	for phase, blobs := range phases {
		for b, s := range blobs {
			assert.Equal(t, b.Size, s.read, "%s %s: bytes", phase, b.Path)
			assert.Equal(t, 1, s.finished, "%s %s: finished once", phase, b.Path)
		}
	}
	assert.Len(t, phases["re-encoding"], 3, "one per layer")
}

// memSpill keeps a re-encoded layer in memory.
type memSpill struct{ bytes.Buffer }

func (s *memSpill) Done() (io.ReaderAt, error) { return bytes.NewReader(s.Bytes()), nil }
