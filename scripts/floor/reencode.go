package main

import (
	"archive/tar"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"runtime"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
)

// The settings below mirror convert/reencode.go and convert/compress.go,
// copied rather than imported: the floor measures the libraries, not retar.
const (
	copyBuffer       = 1 << 20 // convert/blobread.go copyBuffer: reencoding.run's buffer
	gzipBlock        = 1 << 20 // convert/reencode.go gzipBlock
	parallelGzipFrom = 8 << 20 // convert/reencode.go parallelGzipFrom, against the source blob's size
	maxZstdWindow    = 128 << 20
)

// gzipBlocksAhead is convert/reencode.go's gzipBlocksAhead.
func gzipBlocksAhead() int { return min(max(runtime.GOMAXPROCS(0), 2), 4) }

// layer is one layer blob of the archive: where its bytes are, and the
// digests they are to have ("" where the archive does not say).
type layer struct {
	name      string
	off, size int64
	digest    string // of the blob, "sha256:…"
	diffID    string // of its decoded bytes
}

// reencodeFloor re-encodes every layer of the archive at p into target
// ("gzip", "none" or "zstd") at level, as retar does but writing nothing,
// one layer after the other, and returns the process's CPU time for it.
func reencodeFloor(p, target string, level int) (time.Duration, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	layers, err := archiveLayers(f)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", p, err)
	}
	kinds := make([]string, len(layers))
	for i, l := range layers {
		if kinds[i], err = sniff(f, l); err != nil {
			return 0, fmt.Errorf("%s: %s: %w", p, l.name, err)
		}
	}
	runtime.GC()
	start := cpuTime()
	for i, l := range layers {
		if err := reencodeLayer(f, l, kinds[i], target, level); err != nil {
			return 0, fmt.Errorf("%s: %s: %w", p, l.name, err)
		}
	}
	return cpuTime() - start, nil
}

// sniff names the compression of layer l by its first bytes, as retar's
// Blob.sniff does.
func sniff(f *os.File, l layer) (string, error) {
	var b [4]byte
	n, err := f.ReadAt(b[:min(4, l.size)], l.off)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	switch {
	case n >= 2 && b[0] == 0x1f && b[1] == 0x8b:
		return "gzip", nil
	case n == 4 && b == [4]byte{0x28, 0xb5, 0x2f, 0xfd}:
		return "zstd", nil
	}
	return "none", nil
}

// reencodeLayer is one layer's work, as convert/reencode.go's reencoding
// does it: the source hashed as read, decoded, the decoded bytes hashed
// (the diff_id) unless the source is uncompressed (its digest is its
// diff_id), encoded and the encoded bytes hashed; written uncompressed, the
// encoded bytes are the decoded ones, hashed once. A layer already as
// wanted is only hashed: retar copies it as it is.
func reencodeLayer(f *os.File, l layer, kind, target string, level int) error {
	src := sha256.New()
	in := io.TeeReader(bufio.NewReaderSize(io.NewSectionReader(f, l.off, l.size), copyBuffer), src)
	var diff hash.Hash
	if kind != target {
		dec, err := decoder(kind, in)
		if err != nil {
			return err
		}
		var dst []io.Writer
		if kind != "none" {
			diff = sha256.New()
			dst = append(dst, diff)
		}
		enc, out, err := encoder(target, level, l.size >= parallelGzipFrom)
		if err != nil {
			return err
		}
		if enc != nil {
			dst = append(dst, enc)
		} // else none: the encoded bytes are the decoded ones, in diff
		if _, err := io.CopyBuffer(io.MultiWriter(dst...), dec, make([]byte, copyBuffer)); err != nil {
			return err
		}
		if enc != nil {
			if err := enc.Close(); err != nil {
				return err
			}
		}
		_ = out.Sum(nil)
	}
	// whatever follows the compressed stream still counts for the digest
	if _, err := io.CopyBuffer(io.Discard, in, make([]byte, copyBuffer)); err != nil {
		return err
	}
	return check(l, kind, src, diff)
}

// decoder decodes kind as convert.Decompress does.
func decoder(kind string, in io.Reader) (io.Reader, error) {
	switch kind {
	case "gzip":
		return gzip.NewReader(in)
	case "zstd":
		zr, err := zstd.NewReader(in, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(maxZstdWindow))
		if err != nil {
			return nil, err
		}
		return zr.IOReadCloser(), nil
	}
	return in, nil
}

// encoder encodes into target as convert/reencode.go's encoder does, into
// the hash it returns beside: gzip of a large layer in gzipBlock blocks on
// every core (pgzip), of a smaller one in one stream; zstd at zstdLevel's
// level, on one goroutine (retar's second only overlaps writing out: the
// same bytes and CPU); none: no encoder (nil).
func encoder(target string, level int, large bool) (io.WriteCloser, hash.Hash, error) {
	out := sha256.New()
	switch target {
	case "gzip":
		if level == 0 {
			level = gzip.DefaultCompression
		}
		if large {
			enc, err := pgzip.NewWriterLevel(out, level)
			if err == nil {
				err = enc.SetConcurrency(gzipBlock, gzipBlocksAhead())
			}
			return enc, out, err
		}
		enc, err := gzip.NewWriterLevel(out, level)
		return enc, out, err
	case "zstd":
		// convert/reencode.go zstdLevel: the zstd command's 1–22 scale
		lvl := zstd.SpeedDefault
		if level > 0 {
			lvl = zstd.EncoderLevelFromZstd(level)
		}
		enc, err := zstd.NewWriter(out, zstd.WithEncoderLevel(lvl), zstd.WithEncoderConcurrency(1))
		return enc, out, err
	}
	return nil, out, nil
}

// check holds the layer's digests against what the archive says.
func check(l layer, kind string, src, diff hash.Hash) error {
	got := "sha256:" + hex.EncodeToString(src.Sum(nil))
	if l.digest != "" && got != l.digest {
		return fmt.Errorf("digest %s, not %s as the archive says", got, l.digest)
	}
	if diff != nil {
		got = "sha256:" + hex.EncodeToString(diff.Sum(nil))
	} else if kind != "none" {
		return nil // copied as it is: not decoded
	}
	if l.diffID != "" && got != l.diffID {
		return fmt.Errorf("diff_id %s, not %s as the config says", got, l.diffID)
	}
	return nil
}

// entry is where a file's bytes are in the archive.
type entry struct{ off, size int64 }

// archiveLayers lists the layers of the first image of the docker-archive
// or oci-archive f, through manifest.json, or index.json and the manifest.
func archiveLayers(f *os.File) ([]layer, error) {
	files := map[string]entry{}
	tr := tar.NewReader(f)
	for {
		hd, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		off, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, err
		}
		if hd.Typeflag == tar.TypeReg {
			files[path.Clean(hd.Name)] = entry{off, hd.Size}
		}
	}
	if _, ok := files["manifest.json"]; ok {
		return dockerLayers(f, files)
	}
	return ociLayers(f, files)
}

// readJSON decodes the file name of the archive into v.
func readJSON(f *os.File, files map[string]entry, name string, v any) error {
	e, ok := files[path.Clean(name)]
	if !ok {
		return fmt.Errorf("no %s in the archive", name)
	}
	if e.size > 16<<20 {
		return fmt.Errorf("%s: %d bytes, too large for JSON", name, e.size)
	}
	if err := json.NewDecoder(io.NewSectionReader(f, e.off, e.size)).Decode(v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// config is the part of an image config the floor reads.
type config struct {
	RootFS struct {
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
}

func dockerLayers(f *os.File, files map[string]entry) ([]layer, error) {
	var m []struct {
		Config string
		Layers []string
	}
	if err := readJSON(f, files, "manifest.json", &m); err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, errors.New("manifest.json: no image")
	}
	var c config
	if err := readJSON(f, files, m[0].Config, &c); err != nil {
		return nil, err
	}
	var out []layer
	for i, name := range m[0].Layers {
		e, ok := files[path.Clean(name)]
		if !ok {
			return nil, fmt.Errorf("no layer %s in the archive", name)
		}
		l := layer{name: name, off: e.off, size: e.size}
		if i < len(c.RootFS.DiffIDs) {
			l.diffID = c.RootFS.DiffIDs[i]
		}
		out = append(out, l)
	}
	return out, nil
}

// descriptor and manifest: the parts of OCI's the floor reads.
type descriptor struct {
	Digest string `json:"digest"`
}

type manifest struct {
	Manifests []descriptor `json:"manifests"`
	Config    descriptor   `json:"config"`
	Layers    []descriptor `json:"layers"`
}

func blobPath(d string) string { return "blobs/" + strings.Replace(d, ":", "/", 1) }

func ociLayers(f *os.File, files map[string]entry) ([]layer, error) {
	var m manifest
	if err := readJSON(f, files, "index.json", &m); err != nil {
		return nil, err
	}
	// an index's first manifest, through nested indexes, to an image
	for depth := 0; len(m.Manifests) > 0; depth++ {
		if depth == 8 {
			return nil, errors.New("index.json: indexes nested too deep")
		}
		d := m.Manifests[0].Digest
		m = manifest{}
		if err := readJSON(f, files, blobPath(d), &m); err != nil {
			return nil, err
		}
	}
	var c config
	if err := readJSON(f, files, blobPath(m.Config.Digest), &c); err != nil {
		return nil, err
	}
	var out []layer
	for i, d := range m.Layers {
		e, ok := files[path.Clean(blobPath(d.Digest))]
		if !ok {
			return nil, fmt.Errorf("no layer %s in the archive", d.Digest)
		}
		l := layer{name: blobPath(d.Digest), off: e.off, size: e.size, digest: d.Digest}
		if i < len(c.RootFS.DiffIDs) {
			l.diffID = c.RootFS.DiffIDs[i]
		}
		out = append(out, l)
	}
	return out, nil
}
