package golden_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/retar-dev/retar/convert"
)

// One pass: every archive input, read as a pipe gives it (no Seek, no
// ReadAt), converted to each archive layout as ReadStream, Convert and
// Finish do it for standard input into standard output, gives what the
// conversion of the file gives. The same entries with the same bytes, in
// another order where blobs passed as they came (they go first, in the
// stream's order, and the JSON that names them last); byte for byte where
// none could pass. What could pass is what the README's Usage says: a blob
// whose name in the stream gives its digest.

// pipe hides every method of a reader but Read, as a pipe has only that.
type pipe struct{ r io.Reader }

func (p pipe) Read(b []byte) (int, error) { return p.r.Read(b) }

// countedSpill counts the spills a conversion makes: none, for one that
// is one pass.
type countedSpill struct{ n int }

func (c *countedSpill) new() (convert.Spill, error) {
	c.n++
	return convert.MemorySpill()
}

func TestOnePassFromPipe(t *testing.T) {
	for _, in := range inputs(t) {
		if fi, err := os.Stat(in.file()); err != nil || fi.IsDir() {
			continue
		}
		t.Run(in.name, func(t *testing.T) {
			t.Parallel()
			for _, to := range []convert.Layout{convert.DockerArchive, convert.OCIArchive} {
				t.Run(string(to), func(t *testing.T) { checkOnePass(t, in, to) })
			}
		})
	}
}

func checkOnePass(t *testing.T, in input, to convert.Layout) {
	ctx := context.Background()
	var want []byte
	var wantErr error
	if a, err := open(t, in); err != nil {
		wantErr = err
	} else if p, err := a.Convert(ctx, opts(to)); err != nil {
		wantErr = err
	} else {
		want = planTar(t, p)
	}

	got, notices, spills, err := streamConvert(t, in, to)
	switch {
	case wantErr != nil && err == nil:
		t.Fatalf("from a file: %v; from a pipe it converts", wantErr)
	case wantErr == nil && err != nil:
		t.Fatalf("from a pipe: %v; from a file it converts", err)
	case wantErr != nil:
		if !strings.Contains(err.Error(), firstClause(wantErr)) {
			t.Errorf("from a pipe: %v\nfrom a file: %v", err, wantErr)
		}
		return
	}

	passed := streamedBlobs(t, got)
	waits := len(notices) > 0
	if waits != (spills > 0) {
		t.Errorf("notices %q, but %d spills", notices, spills)
	}
	if expectWait, why := mustWait(t, in, to); waits != expectWait {
		t.Errorf("waited: %v (%q), want %v: %s", waits, notices, expectWait, why)
	}
	if len(passed) == 0 {
		if !bytes.Equal(got, want) {
			t.Errorf("nothing passed, and the output differs from the file's conversion\n%s", lineDiff([]byte(tarListing(t, want)), []byte(tarListing(t, got))))
		}
		return
	}
	// The same entries, each with the same header and bytes.
	if g, w := sortedListing(t, got), sortedListing(t, want); g != w {
		t.Errorf("the entries differ from the file's conversion\n%s", lineDiff([]byte(w), []byte(g)))
	}
	// Blobs first, then what names them.
	entries := tarEntries(t, got)
	lastBlob, firstNaming := -1, len(entries)
	for i, e := range entries {
		switch {
		case e.Typeflag == tar.TypeReg && isBlobName(e.Name):
			lastBlob = i
		case namesBlobs(e.Name) && i < firstNaming:
			firstNaming = i
		}
	}
	if firstNaming < lastBlob {
		t.Errorf("%s comes before the blob %s", entries[firstNaming].Name, entries[lastBlob].Name)
	}
}

// streamConvert converts in from a pipe, to a buffer, as the CLI does with
// standard input and output.
func streamConvert(t *testing.T, in input, to convert.Layout) (out []byte, notices []string, spills int, err error) {
	t.Helper()
	f, err := os.Open(in.file())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = pipe{f}
	kind := ""
	if strings.HasSuffix(in.file(), ".gz") {
		kind = "gzip"
	}
	tr, err := convert.ExpandReader(context.Background(), r, -1, kind, in.display(), convert.Limits{}, nil)
	if err != nil {
		return nil, nil, 0, err
	}
	defer tr.Close()
	var buf bytes.Buffer
	sp := &countedSpill{}
	o := opts(to)
	o.Spill = sp.new
	ctx := context.Background()
	s, err := convert.ReadStream(ctx, convert.StreamInput{Name: in.display(), Compression: kind, Tar: tr}, convert.WriterSink{Writer: &buf}, o)
	if err != nil {
		return buf.Bytes(), nil, sp.n, err
	}
	p, err := s.Convert(ctx, o)
	if err != nil {
		return buf.Bytes(), s.Notices, sp.n, err
	}
	if err := s.Finish(p); err != nil {
		return buf.Bytes(), s.Notices, sp.n, err
	}
	return buf.Bytes(), s.Notices, sp.n, nil
}

// firstClause is an error's message up to its first "; " (what a stream's
// error adds comes after).
func firstClause(err error) string {
	s, _, _ := strings.Cut(err.Error(), "; ")
	return s
}

var (
	digestName = regexp.MustCompile(`^(blobs/[a-z0-9]+/[0-9a-f]+|sha256:[0-9a-f]{64}|[0-9a-f]{64}\.tar(\.gz|\.zst)?)$`)
	ociBlob    = regexp.MustCompile(`^blobs/`)
)

// mustWait says, by the documented rule, whether a conversion of in to
// must keep some blob until the stream's end: a layer whose name in the
// stream gives no digest; any blob of an OCI layout into a docker-archive,
// which takes one platform; a zstd layer where docker loads the output.
func mustWait(t *testing.T, in input, to convert.Layout) (bool, string) {
	t.Helper()
	f, err := os.Open(in.file())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(in.file(), ".gz") {
		zr, err := convert.ExpandReader(context.Background(), f, -1, "gzip", "x", convert.Limits{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	}
	tr := tar.NewReader(r)
	oci := false
	var layers []string
	zstd := false
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		oci = oci || ociBlob.MatchString(name)
		if h.Typeflag != tar.TypeReg || h.Size == 0 {
			continue
		}
		head := make([]byte, min(h.Size, 512))
		io.ReadFull(tr, head) //nolint:errcheck
		if !looksLayer(head, h.Size) {
			continue
		}
		layers = append(layers, name)
		zstd = zstd || bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd})
	}
	for _, l := range layers {
		if !digestName.MatchString(l) {
			return true, l + " names no digest"
		}
	}
	switch {
	case len(layers) > 0 && oci && to == convert.DockerArchive:
		return true, "an OCI layout into a docker-archive"
	case zstd && (to == convert.DockerArchive || !oci):
		return true, "a zstd layer where docker loads the output"
	}
	return false, fmt.Sprintf("layers %v all name their digests", layers)
}

// looksLayer: what is not JSON, nor tiny and plain.
func looksLayer(head []byte, size int64) bool {
	t := bytes.TrimLeft(head, " \t\r\n")
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') && size <= 8<<20 {
		return false
	}
	compressed := bytes.HasPrefix(head, []byte{0x1f, 0x8b}) || bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}) || bytes.HasPrefix(head, []byte("BZh"))
	isTar := len(head) >= 512 && bytes.Equal(head[257:262], []byte("ustar"))
	return size > 4<<10 || compressed || isTar
}

// isBlobName: a content entry of an output (OCI blobs, docker-archive
// configs and layers).
func isBlobName(name string) bool {
	return strings.HasPrefix(name, "blobs/") || regexp.MustCompile(`^[0-9a-f]{64}(\.json|\.tar(\.gz|\.zst)?)$`).MatchString(name)
}

// namesBlobs: an entry that names blobs, which a stream writes last.
func namesBlobs(name string) bool {
	return name == "index.json" || name == "manifest.json" || name == "repositories"
}

// streamedBlobs lists the blob entries of an output that come before its
// first entry that names blobs: those that passed as they came.
func streamedBlobs(t *testing.T, data []byte) []string {
	var out []string
	for _, e := range tarEntries(t, data) {
		if namesBlobs(e.Name) || e.Name == "oci-layout" {
			break
		}
		if e.Typeflag == tar.TypeReg {
			out = append(out, e.Name)
		}
	}
	return out
}

type tarEntry struct {
	tar.Header
	sum string
}

func tarEntries(t *testing.T, data []byte) []tarEntry {
	t.Helper()
	var out []tarEntry
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("output: %v", err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("output %s: %v", h.Name, err)
		}
		out = append(out, tarEntry{Header: *h, sum: fmt.Sprintf("%x", b)})
	}
}

func entryLine(e tarEntry) string {
	return fmt.Sprintf("%c %s -> %q %o %d %s %s", e.Typeflag, e.Name, e.Linkname, e.Mode, e.Size, e.ModTime.UTC().Format("2006-01-02"), short(e.sum))
}

func short(s string) string {
	if len(s) > 64 {
		return fmt.Sprintf("%s…(%d)", s[:64], len(s)/2)
	}
	return s
}

func tarListing(t *testing.T, data []byte) string {
	var lines []string
	for _, e := range tarEntries(t, data) {
		lines = append(lines, entryLine(e))
	}
	return strings.Join(lines, "\n")
}

func sortedListing(t *testing.T, data []byte) string {
	var lines []string
	for _, e := range tarEntries(t, data) {
		lines = append(lines, entryLine(e))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
