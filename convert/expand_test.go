package convert_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
)

// tarOfZeros is a tar whose one file is n zero bytes: a bomb once
// compressed (about 1000:1 with gzip), which still starts as a tar.
func tarOfZeros(t testing.TB, n int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "zeros", Mode: 0o644, Size: n, Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(tw, zeroReader{}, n); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// gzipZeros is n×64 MiB of zeros as n gzip members of 64 MiB each (a
// reader reads members on as one stream): GiBs from a few MiB, built fast.
func gzipZeros(t testing.TB, n int) []byte {
	t.Helper()
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	if _, err := io.CopyN(zw, zeroReader{}, 64<<20); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return bytes.Repeat(member.Bytes(), n)
}

// countWriter counts what reaches it.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// readCounter counts what is read of the compressed input.
type readCounter struct {
	r io.Reader
	n int64
}

func (c *readCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// An archive, compressed or not, comes out as the tar it holds, and opens.
func TestExpand(t *testing.T) {
	img := imagetest.New(t, imagetest.Layers(2)).OCIArchive(t).Tar(t)
	for kind, data := range map[string][]byte{"": img, "gzip": imagetest.Gzip.Compress(t, img), "zstd": imagetest.Zstd.Compress(t, img)} {
		for _, size := range []int64{int64(len(data)), -1} {
			var out bytes.Buffer
			n, err := convert.Expand(context.Background(), &out, bytes.NewReader(data), size, kind, "in.tar", convert.Limits{}, nil)
			if err != nil {
				t.Fatalf("%q, size %d: %v", kind, size, err)
			}
			if n != int64(out.Len()) || !bytes.Equal(out.Bytes(), img) {
				t.Fatalf("%q, size %d: %d bytes out (%d written), want the tar's %d", kind, size, n, out.Len(), len(img))
			}
			if _, err := convert.Open(convert.Input{Name: "in.tar", Archive: bytes.NewReader(out.Bytes()), Size: n, Compression: kind}); err != nil {
				t.Errorf("%q: opening the output: %v", kind, err)
			}
		}
	}
}

// What does not start as a tar once decompressed is refused at once:
// nothing is written, little is read, whatever the limits would allow.
func TestExpandRefusesWhatIsNotATar(t *testing.T) {
	zeros := gzipZeros(t, 64) // 4 GiB of zeros
	text := []byte(strings.Repeat("y\n", 100000))
	for _, c := range []struct {
		name, kind string
		data       []byte
		want       string
	}{
		{"zeros.tar.gz", "gzip", zeros, "zeros.tar.gz: gzip-compressed archive: not a tar archive: it starts with an empty block"},
		{"text.tar.gz", "gzip", imagetest.Gzip.Compress(t, text), "text.tar.gz: gzip-compressed archive: not a tar archive ("},
		{"text.tar.zst", "zstd", imagetest.Zstd.Compress(t, text), "text.tar.zst: zstd-compressed archive: not a tar archive ("},
		{"short.tar.gz", "gzip", imagetest.Gzip.Compress(t, []byte("hello\n")), "short.tar.gz: gzip-compressed archive: not a tar archive: it is 6 bytes"},
		{"standard input", "", text, "standard input: not a tar archive ("},
	} {
		in := &readCounter{r: bytes.NewReader(c.data)}
		var out countWriter
		_, err := convert.Expand(context.Background(), &out, in, int64(len(c.data)), c.kind, c.name, convert.Limits{MaxExpansion: -1, MaxExpanded: -1}, nil)
		if !errors.Is(err, convert.ErrNotTar) || errors.Is(err, convert.ErrLimit) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q…", c.name, err, c.want)
		}
		if out.n != 0 || in.n > 2<<20 {
			t.Errorf("%s: wrote %d bytes, read %d, before refusing", c.name, out.n, in.n)
		}
	}
}

// The output is held to the limits whichever decoder makes it: the core's,
// one a caller gives (the CLI's xz), or none (a plain stream); a limit is
// a *LimitError naming the archive, said the same way for each.
func TestExpandLimits(t *testing.T) {
	defer convert.SetExpansionFloor(1 << 20)()
	bomb := tarOfZeros(t, 64<<20)
	gz := imagetest.Gzip.Compress(t, bomb)
	// a "decoder" that passes the tar through, standing for xz
	passThrough := map[string]convert.Decoder{"xz": func(r io.Reader) (io.ReadCloser, error) { return io.NopCloser(r), nil }}
	small := convert.Limits{MaxExpansion: -1, MaxExpanded: 8 << 20}
	for _, c := range []struct {
		name, kind string
		data       []byte
		size       int64
		lim        convert.Limits
		decoders   map[string]convert.Decoder
		want       string
	}{
		{"size", "gzip", gz, int64(len(gz)), small, nil, "size: gzip stream expands past 8.0 MiB, the limit on expanded size (--max-expanded)"},
		{"ratio", "gzip", gz, int64(len(gz)), convert.Limits{}, nil, "(the limit is 100 times, --max-expansion)"},
		{"ratio of a pipe", "gzip", gz, -1, convert.Limits{}, nil, "(the limit is 100 times, --max-expansion)"},
		{"window", "zstd", zstdWindow(512 << 20)(bomb), -1, convert.Limits{}, nil, "window: a zstd frame asks for a window over the 128 MiB retar decodes"},
		{"xz", "xz", bomb, int64(len(bomb)), small, passThrough, "xz: xz stream expands past 8.0 MiB, the limit on expanded size (--max-expanded)"},
		{"plain", "", bomb, -1, small, nil, "plain: stream expands past 8.0 MiB, the limit on expanded size (--max-expanded)"},
	} {
		var out countWriter
		_, err := convert.Expand(context.Background(), &out, bytes.NewReader(c.data), c.size, c.kind, c.name, c.lim, c.decoders)
		var le *convert.LimitError
		if !errors.As(err, &le) || !errors.Is(err, convert.ErrLimit) || le.What != c.name || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "compressed archive") {
			t.Errorf("%s: %v, want a limit: %q", c.name, err, c.want)
		}
		if c.lim.MaxExpanded > 0 && out.n > c.lim.MaxExpanded {
			t.Errorf("%s: wrote %d bytes, past the limit", c.name, out.n)
		}
	}
	// The limits lift, and a plain stream is not held to the ratio.
	lifted := convert.Limits{MaxExpansion: -1, MaxExpanded: -1}
	for _, c := range []struct {
		kind string
		data []byte
		lim  convert.Limits
	}{{"gzip", gz, lifted}, {"", bomb, lifted}, {"", bomb, convert.Limits{MaxExpansion: 1}}} {
		n, err := convert.Expand(context.Background(), io.Discard, bytes.NewReader(c.data), -1, c.kind, "x", c.lim, nil)
		if err != nil || n != int64(len(bomb)) {
			t.Errorf("%q with %+v: %d bytes, %v", c.kind, c.lim, n, err)
		}
	}
}

type failingDecoder struct{ io.Reader }

func (failingDecoder) Close() error {
	return errors.New("xz: exit status 1 xz: (stdin): File format not recognized")
}

type fullWriter struct{}

func (fullWriter) Write([]byte) (int, error) {
	return 0, errors.New("copying it to TMPDIR: no space left on device")
}

// Each failure is one line that starts with the archive's name and says
// what failed: the decoding, the decoder, or the writer.
func TestExpandErrors(t *testing.T) {
	img := imagetest.New(t, imagetest.Layers(1)).OCIArchive(t).Tar(t)
	gz := imagetest.Gzip.Compress(t, img)
	damaged := bytes.Clone(gz)
	for i := len(damaged) / 3; i < len(damaged)/3+64; i++ {
		damaged[i] ^= 0x55
	}
	failing := map[string]convert.Decoder{"xz": func(r io.Reader) (io.ReadCloser, error) { return failingDecoder{r}, nil }}
	refusing := map[string]convert.Decoder{"xz": func(io.Reader) (io.ReadCloser, error) {
		return nil, errors.New("needs the xz command to decompress; install xz-utils or run xz -d first")
	}}
	for _, c := range []struct {
		name, kind string
		data       []byte
		w          io.Writer
		decoders   map[string]convert.Decoder
		want       string
	}{
		{"x.tar.xz", "xz", []byte("\xfd7zXZ\x00rest"), io.Discard, nil, "x.tar.xz: xz-compressed archive: decompress it first (xz -d)"},
		{"x.tar.xz", "xz", []byte("\xfd7zXZ\x00rest"), io.Discard, refusing, "x.tar.xz: xz-compressed archive: needs the xz command to decompress; install xz-utils or run xz -d first"},
		{"x.tar.xz", "xz", img, io.Discard, failing, "x.tar.xz: xz-compressed archive: xz: exit status 1 xz: (stdin): File format not recognized"},
		// a decoder that ends early: its failure, not a short tar
		{"x.tar.xz", "xz", []byte("\xfd7zXZ\x00rest"), io.Discard, failing, "x.tar.xz: xz-compressed archive: xz: exit status 1 xz: (stdin): File format not recognized"},
		{"d.tar.gz", "gzip", damaged, io.Discard, nil, "d.tar.gz: gzip-compressed archive: "},
		{"t.tar.gz", "gzip", gz[:len(gz)/2], io.Discard, nil, "t.tar.gz: gzip-compressed archive: unexpected EOF"},
		{"full.tar.gz", "gzip", gz, fullWriter{}, nil, "full.tar.gz: copying it to TMPDIR: no space left on device"},
	} {
		_, err := convert.Expand(context.Background(), c.w, bytes.NewReader(c.data), int64(len(c.data)), c.kind, c.name, convert.Limits{}, c.decoders)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || errors.Is(err, convert.ErrNotTar) || errors.Is(err, convert.ErrLimit) {
			t.Errorf("%s: %v, want %q…", c.name, err, c.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := convert.Expand(ctx, io.Discard, bytes.NewReader(gz), -1, "gzip", "c.tar.gz", convert.Limits{}, nil); err != context.Canceled {
		t.Errorf("cancelled: %v", err)
	}
}
