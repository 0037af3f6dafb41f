package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/retar-dev/retar/convert"
)

// destCompressRule is what --help and the README say of a DST's name.
const destCompressRule = `An archive DST named .gz or .tgz (out.tar.gz) is written gzip-compressed,
one named .zst (out.tar.zst) zstd-compressed: docker load, podman load and
ctr images import take both. Both are reproducible (no name or time in the
stream). .xz is refused (retar has no xz encoder: write DST - and pipe it
through xz). DST - is never compressed.
`

// destCompression is how an archive DST's name says to compress it: "gzip",
// "zstd", or "" for none; a name that asks for what retar cannot write is
// a usage error.
func destCompression(dst imageRef) (string, error) {
	if dst.Path == "-" || !dst.Layout.IsArchive() {
		return "", nil
	}
	p := strings.ToLower(dst.Path)
	switch {
	case strings.HasSuffix(p, ".gz") || strings.HasSuffix(p, ".tgz"):
		return "gzip", nil
	case strings.HasSuffix(p, ".zst") || strings.HasSuffix(p, ".tzst"):
		return "zstd", nil
	case strings.HasSuffix(p, ".xz") || strings.HasSuffix(p, ".txz"):
		return "", usagef("DST %s: retar does not write xz (no xz encoder here); write it uncompressed and compress it: retar convert SRC - | xz > %s", dst.Path, dst.Path)
	}
	return "", nil
}

// compressor wraps w in kind's encoder ("gzip" or "zstd"), klauspost's as
// for layers (gzip several times faster than the standard library's). Its
// output is the same for the same input: the gzip header holds no name and
// no time, and zstd encodes on one goroutine.
func compressor(kind string, w io.Writer) (io.WriteCloser, error) {
	switch kind {
	case "gzip":
		// Its zero Header would stamp year 1 as a time: 0 says none.
		zw := gzip.NewWriter(w)
		zw.ModTime = time.Unix(0, 0)
		return zw, nil
	case "zstd":
		return zstd.NewWriter(w, zstd.WithEncoderConcurrency(1))
	}
	return nil, fmt.Errorf("no %s encoder", kind)
}

// writeCompressed writes the plan's tar to w through kind's encoder. The
// sink is a stream, not a file the plan can read back: the core then hashes
// each copied blob in memory as it passes, and holds its last byte back
// until it is checked. progress counts the tar's bytes, before compression.
func writeCompressed(ctx context.Context, p *convert.Plan, kind string, w io.Writer, progress func(int64)) error {
	enc, err := compressor(kind, w)
	if err != nil {
		return err
	}
	if err := p.WriteTar(&writerSink{ctx: ctx, w: enc, progress: progress}); err != nil {
		enc.Close()
		return err
	}
	return enc.Close()
}
