//go:build js && wasm

package main

import (
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"path"
	"runtime"
	"sort"
	"strings"
	"syscall/js"
	"time"

	"github.com/opencontainers/go-digest"
)

// await blocks the calling goroutine until a JS promise settles. Go's wasm
// runtime hands control back to the event loop meanwhile, so this is only
// ever called off the goroutine that serves a JS call.
func await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	var ok, fail js.Func
	ok = js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{v: args[0]}
		ok.Release()
		fail.Release()
		return nil
	})
	fail = js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "rejected"
		if len(args) > 0 {
			msg = args[0].Call("toString").String()
		}
		ch <- result{err: errors.New(msg)}
		ok.Release()
		fail.Release()
		return nil
	})
	p.Call("then", ok, fail)
	r := <-ch
	return r.v, r.err
}

var uint8Array = js.Global().Get("Uint8Array")

// blobReader reads a JS Blob (a dropped File, or a Blob retar assembled) at
// random offsets through Blob.slice, so nothing is read whole. Reads of up
// to 64 KiB (tar headers, metadata) fetch 64 KiB blocks; larger ones (a
// layer re-encoded or hashed here) fetch 16 MiB blocks, as small slices
// cost Chromium as much as hashing them.
type blobReader struct {
	blob js.Value
	size int64
	// one cached block per tier: headers and metadata, and bulk reads
	small, bulk block
}

type block struct {
	off  int64
	data []byte
}

const (
	smallBlock = 64 << 10
	bulkBlock  = 16 << 20
)

func newBlobReader(b js.Value) *blobReader {
	return &blobReader{blob: b, size: int64(b.Get("size").Float())}
}

func (r *blobReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= r.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && off < r.size {
		b := &r.small
		size := int64(smallBlock)
		if len(p) > smallBlock { // tarfs reads headers 64 KiB at a time: small
			b, size = &r.bulk, bulkBlock
		}
		if off < b.off || off >= b.off+int64(len(b.data)) {
			start := off
			end := min(start+size, r.size)
			u8, err := r.read(start, end)
			if err != nil {
				return n, err
			}
			if cap(b.data) < int(end-start) {
				b.data = make([]byte, end-start)
			}
			b.data = b.data[:end-start]
			js.CopyBytesToGo(b.data, u8)
			b.off = start
		}
		c := copy(p[n:], b.data[off-b.off:])
		n += c
		off += int64(c)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// readSinceGC counts bytes fetched from Blobs since the last collection. Each
// fetch is a new ArrayBuffer that the browser frees only once Go drops its
// reference, and Go's own heap barely grows while it reads, so without a
// collection now and then the renderer's memory grows with the archive
// (measured: 1.78 GB for 1.5 GB read; with this, about 0.5 GB).
var readSinceGC int64

const gcEvery = 128 << 20

func (r *blobReader) read(start, end int64) (js.Value, error) {
	if readSinceGC += end - start; readSinceGC >= gcEvery {
		readSinceGC = 0
		runtime.GC()
	}
	ab, err := await(r.blob.Call("slice", start, end).Call("arrayBuffer"))
	if err != nil {
		return js.Value{}, fmt.Errorf("reading bytes %d-%d: %v", start, end, err)
	}
	return uint8Array.New(ab), nil
}

// dirFS is a dropped folder: the Files of an oci or dir layout by their path
// inside it.
type dirFS struct {
	files map[string]js.Value
	dirs  map[string][]string
}

func newDirFS(entries js.Value) *dirFS {
	d := &dirFS{files: map[string]js.Value{}, dirs: map[string][]string{".": nil}}
	for i := range entries.Length() {
		e := entries.Index(i)
		p := path.Clean(strings.TrimPrefix(e.Get("path").String(), "/"))
		if !fs.ValidPath(p) || p == "." {
			continue
		}
		d.files[p] = e.Get("file")
		for child := p; child != "."; child = path.Dir(child) {
			parent := path.Dir(child)
			if _, ok := d.dirs[parent]; !ok || !contains(d.dirs[parent], path.Base(child)) {
				d.dirs[parent] = append(d.dirs[parent], path.Base(child))
			}
			if parent != "." {
				if _, ok := d.dirs[parent]; !ok {
					d.dirs[parent] = nil
				}
			}
		}
	}
	return d
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func (d *dirFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if f, ok := d.files[name]; ok {
		r := newBlobReader(f)
		return &dirFile{SectionReader: io.NewSectionReader(r, 0, r.size), r: r, name: name}, nil
	}
	if ents, ok := d.dirs[name]; ok {
		return &dirDir{d: d, name: name, ents: ents}, nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// dirFile is a dropped File; it is an io.ReaderAt, so the output can take it
// as a Blob slice without reading it.
type dirFile struct {
	*io.SectionReader
	r    *blobReader
	name string
}

func (f *dirFile) Stat() (fs.FileInfo, error) {
	return fileInfo{name: path.Base(f.name), size: f.r.size}, nil
}
func (f *dirFile) Close() error { return nil }

type dirDir struct {
	d    *dirFS
	name string
	ents []string
}

func (d *dirDir) Stat() (fs.FileInfo, error) {
	return fileInfo{name: path.Base(d.name), dir: true}, nil
}
func (d *dirDir) Read([]byte) (int, error) { return 0, errors.New("is a directory") }
func (d *dirDir) Close() error             { return nil }
func (d *dirDir) ReadDir(n int) ([]fs.DirEntry, error) {
	sort.Strings(d.ents)
	names := d.ents
	if n > 0 && len(names) == 0 {
		return nil, io.EOF
	}
	if n > 0 && len(names) > n {
		names = names[:n]
	}
	var out []fs.DirEntry
	for _, nm := range names {
		p := path.Join(d.name, nm)
		if f, ok := d.d.files[p]; ok {
			out = append(out, fs.FileInfoToDirEntry(fileInfo{name: nm, size: int64(f.Get("size").Float())}))
		} else {
			out = append(out, fs.FileInfoToDirEntry(fileInfo{name: nm, dir: true}))
		}
	}
	d.ents = d.ents[len(names):]
	return out, nil
}

type fileInfo struct {
	name string
	size int64
	dir  bool
}

func (i fileInfo) Name() string { return i.name }
func (i fileInfo) Size() int64  { return i.size }
func (i fileInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
func (i fileInfo) ModTime() time.Time { return time.Time{} }
func (i fileInfo) IsDir() bool        { return i.dir }
func (i fileInfo) Sys() any           { return nil }

// blobSink assembles the output as a list of Blob parts: bytes retar writes
// are batched into Uint8Arrays, and ranges of the input (or of spilled
// layers) become Blob slices, so an unchanged layer is never copied.
type blobSink struct {
	parts    js.Value // a JS array
	buf      []byte
	progress func(int64)
}

func newBlobSink(progress func(int64)) *blobSink {
	return &blobSink{parts: js.Global().Get("Array").New(), progress: progress}
}

const flushAt = 4 << 20

func (s *blobSink) Write(p []byte) (int, error) {
	s.buf = append(s.buf, p...)
	if len(s.buf) >= flushAt {
		s.flush()
	}
	s.progress(int64(len(p)))
	return len(p), nil
}

func (s *blobSink) flush() {
	if len(s.buf) == 0 {
		return
	}
	u8 := uint8Array.New(len(s.buf))
	js.CopyBytesToJS(u8, s.buf)
	s.parts.Call("push", u8)
	s.buf = s.buf[:0]
}

// fileBehind is the dropped file a range is read from, nil where the
// bytes are in memory.
func fileBehind(r io.ReaderAt) *blobReader {
	switch r := r.(type) {
	case *blobReader:
		return r
	case *dirFile:
		return r.r
	}
	return nil
}

func (s *blobSink) CopyRange(r io.ReaderAt, off, n int64) error {
	br := fileBehind(r)
	if br == nil { // memory: copy through, in chunks
		_, err := io.Copy(s, io.NewSectionReader(r, off, n))
		return err
	}
	s.flush()
	s.parts.Call("push", br.blob.Call("slice", off, off+n))
	s.progress(n)
	return nil
}

// blob ends the output.
func (s *blobSink) blob(mime string) js.Value {
	s.flush()
	return js.Global().Get("Blob").New(s.parts, map[string]any{"type": mime})
}

// streamSink writes the output as it is made into the page's output
// ({write(part) → Promise}: worker.js wraps a FileSystemWritableFileStream
// in it), each write awaited before the next, so no more than one batch of
// bytes is held at a time however large the output. Bytes retar writes go
// in batches through one reused Uint8Array (write must take its bytes before
// its promise settles, as a FileSystemWritableFileStream does); ranges of
// the input go as Blob slices of at most streamPiece bytes, which the
// browser copies into the file without the renderer holding them.
type streamSink struct {
	out      js.Value
	buf      []byte   // the batch, of cap(buf) bytes at most
	u8       js.Value // the reused batch in JS
	piece    int64    // the largest Blob slice handed over at once
	written  int64
	progress func(int64)
}

// streamPieceSize bounds one Blob slice handed to the output: progress
// moves through a large layer, and a stall is seen within one piece.
// streamBatch is the batch of bytes retar writes. Variables for tests.
var streamPieceSize, streamBatch = 64 << 20, flushAt

func newStreamSink(out js.Value, progress func(int64)) *streamSink {
	return &streamSink{out: out, buf: make([]byte, 0, streamBatch), piece: int64(streamPieceSize), progress: progress}
}

func (s *streamSink) Write(p []byte) (int, error) {
	for rest := p; len(rest) > 0; {
		n := min(len(rest), cap(s.buf)-len(s.buf))
		s.buf = append(s.buf, rest[:n]...)
		rest = rest[n:]
		if len(s.buf) == cap(s.buf) {
			if err := s.flush(); err != nil {
				return len(p) - len(rest), err
			}
		}
	}
	s.progress(int64(len(p)))
	return len(p), nil
}

func (s *streamSink) flush() error {
	if len(s.buf) == 0 {
		return nil
	}
	if s.u8.IsUndefined() {
		s.u8 = uint8Array.New(cap(s.buf))
	}
	js.CopyBytesToJS(s.u8, s.buf)
	err := s.put(s.u8.Call("subarray", 0, len(s.buf)), int64(len(s.buf)))
	s.buf = s.buf[:0]
	return err
}

// put hands one part to the output and waits until it has taken it.
func (s *streamSink) put(part js.Value, n int64) error {
	if _, err := await(s.out.Call("write", part)); err != nil {
		return fmt.Errorf("writing the output at byte %d: %v", s.written, err)
	}
	s.written += n
	return nil
}

func (s *streamSink) CopyRange(r io.ReaderAt, off, n int64) error {
	br := fileBehind(r)
	if br == nil { // memory: copy through, in batches
		_, err := io.Copy(s, io.NewSectionReader(r, off, n))
		return err
	}
	if err := s.flush(); err != nil {
		return err
	}
	for k := int64(0); k < n; {
		step := min(n-k, s.piece)
		if err := s.put(br.blob.Call("slice", off+k, off+k+step), step); err != nil {
			return err
		}
		s.progress(step)
		k += step
	}
	return nil
}

// Close writes what is still batched; the output itself is closed (or
// aborted) by whoever opened it.
func (s *streamSink) Close() error { return s.flush() }

// blobSpill holds a re-encoded layer as Blob parts of at most spillPart
// bytes (large in-page Blobs fail to read in Chromium), read back through a
// blobReader and written out as Blob slices.
type blobSpill struct {
	sink *blobSink
}

func newBlobSpill() *blobSpill { return &blobSpill{sink: newBlobSink(func(int64) {})} }

func (b *blobSpill) Write(p []byte) (int, error) { return b.sink.Write(p) }
func (b *blobSpill) Done() (io.ReaderAt, error) {
	return newBlobReader(b.sink.blob("application/octet-stream")), nil
}

// jsHash is a sha256 computed by the page's incremental hasher (hash-wasm),
// about twice as fast as Go's own in wasm; bytes cross once per chunk.
type jsHash struct {
	h   js.Value
	buf js.Value // a reusable Uint8Array for chunks
}

// newJSHasher returns the page's hasher factory for sha256, or nil if the
// page has none (then Go's crypto/sha256 is used).
func newJSHasher() func(digest.Algorithm) hash.Hash {
	f := js.Global().Get("retarCreateSHA256")
	if f.Type() != js.TypeFunction {
		return nil
	}
	return func(alg digest.Algorithm) hash.Hash {
		if alg != digest.SHA256 {
			return alg.Hash()
		}
		h, err := await(f.Invoke())
		if err != nil || h.Get("save").Type() != js.TypeFunction || h.Get("load").Type() != js.TypeFunction {
			return alg.Hash() // no hasher, or one whose Sum would end it (see Sum)
		}
		h.Call("init")
		return &jsHash{h: h, buf: uint8Array.New(1 << 20)}
	}
}

func (j *jsHash) Write(p []byte) (int, error) {
	for rest := p; len(rest) > 0; {
		n := min(len(rest), 1<<20)
		js.CopyBytesToJS(j.buf, rest[:n])
		j.h.Call("update", j.buf.Call("subarray", 0, n))
		rest = rest[n:]
	}
	return len(p), nil
}

// Sum appends the sha256 of the bytes written so far and leaves the state as
// it was, as hash.Hash requires: Sum may be called again, and Write goes on.
// hash-wasm's digest finishes its hasher (it takes no update after, until
// init), so the state is saved before and loaded back after.
func (j *jsHash) Sum(b []byte) []byte {
	state := j.h.Call("save")
	out := j.h.Call("digest", "binary")
	sum := make([]byte, out.Length())
	js.CopyBytesToGo(sum, out)
	j.h.Call("load", state)
	return append(b, sum...)
}

func (j *jsHash) Reset()         { j.h.Call("init") }
func (j *jsHash) Size() int      { return 32 }
func (j *jsHash) BlockSize() int { return 64 }
