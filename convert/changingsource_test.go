package convert_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"

	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
	"github.com/retar-dev/retar/tarfs"
)

// changingSource is an archive whose bytes in [lo, hi) change from the
// read that overlaps them for the from-th time on: a source rewritten in
// place while it is converted.
type changingSource struct {
	data   []byte
	lo, hi int64
	from   int

	mu    sync.Mutex
	reads int
}

func (c *changingSource) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(c.data)) {
		return 0, io.EOF
	}
	n := copy(p, c.data[off:])
	if off < c.hi && off+int64(n) > c.lo {
		c.mu.Lock()
		c.reads++
		changed := c.reads >= c.from
		c.mu.Unlock()
		if changed {
			for i := max(c.lo, off); i < min(c.hi, off+int64(n)); i++ {
				p[i-off] ^= 0x5a
			}
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// memFile is a read-back sink in memory: a temporary file only the writer
// holds.
type memFile struct {
	mu  sync.Mutex
	buf []byte
}

func (m *memFile) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.buf = append(m.buf, p...)
	return len(p), nil
}

func (m *memFile) CopyRange(r io.ReaderAt, off, n int64) error {
	return convert.WriterSink{Writer: m}.CopyRange(r, off, n)
}

func (m *memFile) ReadAt(p []byte, off int64) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return bytes.NewReader(m.buf).ReadAt(p, off)
}

func (m *memFile) ReadBack() (io.ReaderAt, int64, func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m, int64(len(m.buf)), func() {}
}

// placedFile is a memFile whose blobs are also written at their places,
// out of order, as the CLI's temporary files are (a convert.PlacedSink).
type placedFile struct{ memFile }

func (m *placedFile) Place(n int64) (io.WriterAt, int64, func(), error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	at := int64(len(m.buf))
	m.buf = append(m.buf, make([]byte, n)...)
	return m, at, func() {}, nil
}

func (m *placedFile) WriteAt(p []byte, at int64) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return copy(m.buf[at:], p), nil
}

// A source that changes while it is converted never gives a whole output
// that differs from the source as it was: whether a blob changes on its
// first read or between being hashed and copied, into a file that is read
// back (written in order or blobs copied in at their places) or a stream,
// the write fails, naming the blob, and a stream stops
// inside it, so no tar reader takes it for a whole archive.
func TestSourceChangingWhileConverted(t *testing.T) {
	img := imagetest.New(t, imagetest.Layers(3), imagetest.Names("example.com/app:1"))
	sources := map[string]imagetest.Members{"docker-archive": img.DockerArchive(t), "oci-archive": img.OCIArchive(t)}
	for srcName, ms := range sources {
		data := ms.Tar(t)
		idx, err := tarfs.Index(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		members := map[string][2]int64{}
		for i := range img.Layers {
			members[fmt.Sprintf("layer %d", i)] = section(t, idx, layerPath(srcName, img, i))
		}
		members["config"] = section(t, idx, configPath(srcName, img))
		for _, to := range []convert.Layout{convert.OCIArchive, convert.DockerArchive, convert.OCI} {
			clean, err := writeChanging(&changingSource{data: data, from: 1 << 30}, to, &memFile{})
			if err != nil {
				t.Fatalf("%s to %s, unchanged: %v", srcName, to, err)
			}
			for what, sec := range members {
				for _, kind := range []string{"read back", "placed", "placed, pipelined", "stream"} {
					changeWhileConverted(t, data, sec, to, kind, clean, fmt.Sprintf("%s to %s, %s", srcName, to, what))
				}
			}
		}
	}
}

// changeWhileConverted converts data to a sink of the kind, the member at
// sec changing from its first reads on, and from its last ones on (where a
// blob changes between its hash and its copy), and holds the outcome
// against clean, the output of data unchanged.
func changeWhileConverted(t *testing.T, data []byte, sec [2]int64, to convert.Layout, kind string, clean []byte, what string) {
	t.Helper()
	if kind == "placed, pipelined" {
		defer convert.SetPipelined()()
	}
	sink := func() (convert.Sink, *bytes.Buffer) {
		switch kind {
		case "placed", "placed, pipelined":
			return &placedFile{}, nil
		case "stream":
			var out bytes.Buffer
			return convert.WriterSink{Writer: &out}, &out
		}
		return &memFile{}, nil
	}
	unchanged := &changingSource{data: data, lo: sec[0], hi: sec[1], from: 1 << 30}
	s, _ := sink()
	if _, err := writeChanging(unchanged, to, s); err != nil {
		t.Fatalf("%s, unchanged, into a %s sink: %v", what, kind, err)
	}
	n := unchanged.reads
	for _, from := range slices.Compact(slices.Sorted(slices.Values([]int{1, 2, 3, max(1, n-1), n, n + 1}))) {
		name := fmt.Sprintf("%s changed from read %d of %d, into a %s sink", what, from, n, kind)
		s, out := sink()
		src := &changingSource{data: data, lo: sec[0], hi: sec[1], from: from}
		got, err := writeChanging(src, to, s)
		stream := out != nil
		if stream {
			got = out.Bytes()
		}
		switch {
		case err == nil && !bytes.Equal(got, clean):
			t.Errorf("%s: exit 0 with an output that is not the source's", name)
		case err != nil && stream && imagetest.WholeTar(got):
			t.Errorf("%s: %v, yet the stream reads as a whole archive", name, err)
		case err != nil && src.reads < from:
			t.Errorf("%s: %v, though nothing changed", name, err)
		}
	}
}

func layerPath(src string, img imagetest.Image, i int) string {
	if src == "docker-archive" {
		return img.DockerLayerPath(i)
	}
	return imagetest.BlobPath(img.Layers[i])
}

func configPath(src string, img imagetest.Image) string {
	if src == "docker-archive" {
		return img.DockerConfigPath()
	}
	return imagetest.BlobPath(img.Config)
}

func section(t *testing.T, idx *tarfs.FS, name string) [2]int64 {
	t.Helper()
	f, err := idx.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	_, off, n := f.(*tarfs.File).Section()
	return [2]int64{off, off + n}
}

// writeChanging converts src verifying as written into sink, and returns
// what a read-back sink holds.
func writeChanging(src *changingSource, to convert.Layout, sink convert.Sink) ([]byte, error) {
	a, err := convert.Open(convert.Input{Name: "in.tar", Archive: src, Size: int64(len(src.data))})
	if err != nil {
		return nil, err
	}
	o := convertOptions(to)
	o.VerifyAsWritten = true
	p, err := a.Convert(context.Background(), o)
	if err != nil {
		return nil, err
	}
	if err := p.WriteTar(sink); err != nil {
		var cut *convert.CutShortError
		if _, stream := sink.(convert.WriterSink); stream && !errors.As(err, &cut) && !errors.Is(err, convert.ErrLimit) {
			var de *convert.DigestError
			var le *convert.LayoutError
			if !errors.As(err, &de) && !errors.As(err, &le) {
				return nil, fmt.Errorf("unexpected failure: %w", err)
			}
		}
		return nil, err
	}
	switch m := sink.(type) {
	case *memFile:
		return m.buf, nil
	case *placedFile:
		return m.buf, nil
	}
	return nil, nil
}
