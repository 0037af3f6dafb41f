package convert

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
	xzMagic   = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	bzipMagic = []byte("BZh")
)

// detectCompression looks at the first bytes of a stream.
func detectCompression(head []byte) Compression {
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		return Gzip
	case bytes.HasPrefix(head, zstdMagic):
		return Zstd
	}
	return Uncompressed
}

// SniffArchive names the compression of a whole archive by its first bytes,
// "" for none; unlike layers, archives also come as xz and bzip2 (podman's
// test data is xz).
func SniffArchive(r io.ReaderAt) string {
	head := make([]byte, 6)
	n, _ := r.ReadAt(head, 0)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		return "gzip"
	case bytes.HasPrefix(head, zstdMagic):
		return "zstd"
	case bytes.HasPrefix(head, xzMagic):
		return "xz"
	case bytes.HasPrefix(head, bzipMagic):
		return "bzip2"
	}
	return ""
}

// Limits bound what a decompression may produce, against bombs: a stream may
// expand to MaxExpansion times its compressed size (past a floor of
// ExpansionFloor, below which no real stream is refused), and never past
// MaxExpanded bytes. Both are checked as bytes come out, before they are
// written anywhere. A zero field means the default (DefaultLimits); a
// negative one lifts that limit.
type Limits struct {
	MaxExpansion int64 // times the compressed size
	MaxExpanded  int64 // bytes
}

// Effective is l with every zero field at its default.
func (l Limits) Effective() Limits {
	if l.MaxExpansion == 0 {
		l.MaxExpansion = DefaultLimits.MaxExpansion
	}
	if l.MaxExpanded == 0 {
		l.MaxExpanded = DefaultLimits.MaxExpanded
	}
	return l
}

// DefaultLimits: real layers expand 2 to 10 times and a zero-filled file
// (a sparse lastlog) about 1000 times with gzip, but a stream over a GiB
// that is a hundred times its compressed size is a bomb until the user says
// otherwise.
var DefaultLimits = Limits{MaxExpansion: 100, MaxExpanded: 64 << 30}

// ExpansionFloor is the output size below which the ratio is not applied.
const ExpansionFloor = 1 << 30

// expansionFloor is ExpansionFloor; tests lower it to test the ratio
// without writing gigabytes.
var expansionFloor int64 = ExpansionFloor

// maxZstdWindow is the largest zstd window retar decodes (zstd --long=27,
// the most any image tool writes); a frame asking for more is refused by
// name rather than given the memory it asks for.
const maxZstdWindow = 128 << 20

// zstdSlots bounds how many zstd decoders run at once in the process,
// whatever the number of cores: with maxZstdWindow, decoder memory stays
// under a few hundred MiB on any machine.
var zstdSlots = make(chan struct{}, 2)

// Decompress reads the stream r compressed as kind ("gzip", "zstd", "bzip2",
// or "none"), within limits. compressed is r's size, or -1 when it is not
// known (a pipe): the ratio is then held against the bytes read so far.
// what names the stream in errors. zstd decodes on one goroutine, as
// several decode side by side here and wasm has one thread.
func Decompress(kind string, r io.Reader, compressed int64, lim Limits, what string) (io.ReadCloser, error) {
	in := &countReader{r: r}
	var dec io.ReadCloser
	var release func()
	switch kind {
	case "gzip":
		// through a buffer: the decoder reads a byte reader as it is,
		// and anything else through 4 KiB reads, a system call each
		zr, err := gzip.NewReader(bufio.NewReaderSize(in, decodeBuffer))
		if err != nil {
			return nil, err
		}
		dec = zr
	case "zstd":
		zstdSlots <- struct{}{}
		release = func() { <-zstdSlots }
		zr, err := zstd.NewReader(in, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(maxZstdWindow))
		if err != nil {
			release()
			return nil, err
		}
		dec = zr.IOReadCloser()
	case "bzip2":
		dec = io.NopCloser(bzip2.NewReader(bufio.NewReaderSize(in, decodeBuffer)))
	case "none", "":
		return io.NopCloser(r), nil
	default:
		return nil, fmt.Errorf("no %s decoder here", kind)
	}
	return &limitReader{dec: dec, in: in, compressed: compressed, lim: lim.Effective(), what: what, kind: kind, release: release}, nil
}

// decodeBuffer is what a gzip or bzip2 decoder reads its input through.
const decodeBuffer = 256 << 10

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// limitReader enforces Limits on a decoder's output and names what the
// decoders report in their own words.
type limitReader struct {
	dec        io.ReadCloser
	in         *countReader
	compressed int64
	lim        Limits
	what, kind string
	out        int64
	release    func()
}

func (l *limitReader) Read(p []byte) (int, error) {
	n, err := l.dec.Read(p)
	l.out += int64(n)
	if lerr := l.check(); lerr != nil {
		return 0, lerr // the bytes past the limit go nowhere
	}
	if errors.Is(err, zstd.ErrWindowSizeExceeded) {
		err = &LimitError{What: l.what, Reason: fmt.Sprintf("a zstd frame asks for a window over the %d MiB retar decodes", maxZstdWindow>>20)}
	}
	return n, err
}

func (l *limitReader) check() error {
	stream := "stream" // a plain one: Expand, in expand.go above, limits those too
	if l.kind != "" {
		stream = l.kind + " stream"
	}
	if l.lim.MaxExpanded > 0 && l.out > l.lim.MaxExpanded {
		return &LimitError{What: l.what, Reason: fmt.Sprintf("%s expands past %s, the limit on expanded size (--max-expanded)", stream, sizeString(l.lim.MaxExpanded))}
	}
	in := l.compressed
	if in < 0 {
		in = l.in.n
	}
	if l.lim.MaxExpansion > 0 && l.out > expansionFloor && l.out/max(in, 1) >= l.lim.MaxExpansion {
		return &LimitError{What: l.what, Reason: fmt.Sprintf("%s expands past %s, %d times its compressed %s (the limit is %d times, --max-expansion)",
			stream, sizeString(l.out), l.out/max(in, 1), sizeString(in), l.lim.MaxExpansion)}
	}
	return nil
}

func (l *limitReader) Close() error {
	err := l.dec.Close()
	if l.release != nil {
		l.release()
		l.release = nil
	}
	return err
}

// sizeString is a byte count for messages: "1.5 GiB", "300 MiB", "12 KiB".
func sizeString(n int64) string {
	switch {
	case n >= 1<<30:
		return strconv.FormatFloat(float64(n)/(1<<30), 'f', 1, 64) + " GiB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// parseSize reads a byte count with an optional unit: 512, 64M, 64MiB, 2G,
// 1.5GiB (units are powers of 1024).
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.m
			break
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil || f < 0 || f*float64(mult) > 1<<62 {
		return 0, fmt.Errorf("invalid size %q: want a number of bytes, with K, M, G or T (powers of 1024)%.0w", s, ErrUsage)
	}
	return int64(f * float64(mult)), nil
}

// sniff is a layer's compression: from its first bytes once read,
// else from a peek at them.
func (b *Blob) sniff() (Compression, error) {
	if b.verified {
		return b.compression, nil
	}
	f, err := b.open()
	if err != nil {
		return 0, err
	}
	defer f.Close()
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	return detectCompression(head[:n]), nil
}
