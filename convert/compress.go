package convert

import (
	"bytes"
	"compress/bzip2"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Compression is how a layer's bytes are encoded.
type Compression int

const (
	Uncompressed Compression = iota
	Gzip
	Zstd
)

func (c Compression) String() string {
	switch c {
	case Gzip:
		return "gzip"
	case Zstd:
		return "zstd"
	}
	return "none"
}

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
	xzMagic   = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	bzipMagic = []byte("BZh")
)

// DetectCompression looks at the first bytes of a stream.
func DetectCompression(head []byte) Compression {
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

// Decompressor reads the stream r compressed as kind: "gzip", "zstd",
// "bzip2", or "none" (Compression.String names a layer's). zstd decodes on
// one goroutine: several run side by side here, and wasm has one thread.
func Decompressor(kind string, r io.Reader) (io.ReadCloser, error) {
	switch kind {
	case "gzip":
		return gzip.NewReader(r)
	case "zstd":
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(1<<30))
		if err != nil {
			return nil, err
		}
		return zr.IOReadCloser(), nil
	case "bzip2":
		return io.NopCloser(bzip2.NewReader(r)), nil
	case "none", "":
		return io.NopCloser(r), nil
	}
	return nil, fmt.Errorf("no %s decoder here", kind)
}

// layerMediaType is the media type of a layer of the given compression, in the
// docker (v2s2) or OCI family.
func layerMediaType(c Compression, docker bool) string {
	switch {
	case c == Gzip && docker:
		return MediaTypeDockerLayerGzip
	case c == Gzip:
		return "application/vnd.oci.image.layer.v1.tar+gzip"
	case c == Zstd: // docker has no zstd type of its own and reads the OCI one
		return "application/vnd.oci.image.layer.v1.tar+zstd"
	case docker:
		return MediaTypeDockerLayer
	}
	return "application/vnd.oci.image.layer.v1.tar"
}

// compressionOf tells a layer's compression from its media type, when it says.
func compressionOf(mt string) (Compression, bool) {
	switch mt {
	case MediaTypeDockerLayer, "application/vnd.oci.image.layer.v1.tar", MediaTypeDockerForeign,
		"application/vnd.oci.image.layer.nondistributable.v1.tar":
		return Uncompressed, true
	case MediaTypeDockerLayerGzip, "application/vnd.oci.image.layer.v1.tar+gzip", MediaTypeDockerForeignGzip,
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip":
		return Gzip, true
	case "application/vnd.oci.image.layer.v1.tar+zstd", "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd":
		return Zstd, true
	}
	return 0, false
}
