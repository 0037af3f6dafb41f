//go:build js && wasm

// These tests run the wasm package under Node (make e2e):
//
//	GOOS=js GOARCH=wasm go test -exec="$(go env GOROOT)/lib/wasm/go_js_wasm_exec" ./wasm
//
// They feed the JS entry points the Blobs a page would, and check that what
// comes back is byte for byte what the core writes natively.
package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall/js"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/retar-dev/retar/check"
	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
	"github.com/retar-dev/retar/tarfs"
)

const fixtures = "../golden/testdata/real/"

// sources, one per layout.
var sources = []struct {
	name, path string
	layout     convert.Layout
}{
	{"docker-archive", fixtures + "docker-save-single.tar", convert.DockerArchive},
	{"oci-archive", fixtures + "skopeo-oci-archive-named.tar", convert.OCIArchive},
	{"oci", fixtures + "skopeo-oci-zstd", convert.OCI},
	{"dir", fixtures + "skopeo-dir-v2s2", convert.Dir},
}

var layouts = []convert.Layout{convert.DockerArchive, convert.OCIArchive, convert.OCI, convert.Dir}

func newBlob(b []byte) js.Value {
	u8 := uint8Array.New(len(b))
	js.CopyBytesToJS(u8, b)
	return js.Global().Get("Blob").New([]any{u8})
}

func blobBytes(t *testing.T, b js.Value) []byte {
	t.Helper()
	ab, err := await(b.Call("arrayBuffer"))
	if err != nil {
		t.Fatalf("reading the output Blob: %v", err)
	}
	u8 := uint8Array.New(ab)
	out := make([]byte, u8.Length())
	js.CopyBytesToGo(out, u8)
	return out
}

// jsInput is what the page passes for path: {file, name} for an archive,
// {files: [{path, file}], name} for a folder.
func jsInput(t *testing.T, p string) js.Value {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if !st.IsDir() {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return js.ValueOf(map[string]any{"file": newBlob(b), "name": filepath.Base(p)})
	}
	var files []any
	err = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(q)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(p, q)
		files = append(files, map[string]any{"path": filepath.ToSlash(rel), "file": newBlob(b)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return js.ValueOf(map[string]any{"files": files, "name": filepath.Base(p)})
}

// native converts p with the core directly, as the CLI does, into a tar.
func native(t *testing.T, p string, o convert.Options) ([]byte, *convert.Plan) {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	in := convert.Input{Name: filepath.Base(p)}
	if st.IsDir() {
		in.Dir = os.DirFS(p)
	} else {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		in.Archive, in.Size = bytes.NewReader(b), int64(len(b))
	}
	a, err := convert.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	o.Host = ocispec.Platform{OS: "linux", Architecture: "amd64"}
	o.Spill = convert.MemorySpill
	plan, err := a.Convert(context.Background(), o)
	if err != nil {
		t.Fatalf("native convert: %v", err)
	}
	var buf bytes.Buffer
	if err := plan.WriteTar(convert.WriterSink{Writer: &buf}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), plan
}

func opts(m map[string]any) js.Value { return js.ValueOf(m) }

type result struct {
	data   []byte
	name   string
	report map[string]any
}

func convertIn(t *testing.T, in js.Value, o map[string]any) (result, error) {
	t.Helper()
	v, err := convertJS(in, opts(o))
	if err != nil {
		return result{}, err
	}
	r := v.(js.Value)
	var rep map[string]any
	s := js.Global().Get("JSON").Call("stringify", r.Get("report")).String()
	if err := json.Unmarshal([]byte(s), &rep); err != nil {
		t.Fatal(err)
	}
	return result{data: blobBytes(t, r.Get("blob")), name: r.Get("name").String(), report: rep}, nil
}

// verifyTar opens an output tar (an archive, or a tar of a layout folder)
// with the core and checks every digest.
func verifyTar(t *testing.T, data []byte, to convert.Layout) {
	t.Helper()
	in := convert.Input{Name: "output", Archive: bytes.NewReader(data), Size: int64(len(data))}
	if !to.IsArchive() {
		tfs, err := tarfs.Index(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		in = convert.Input{Name: "output", Dir: tfs}
	}
	a, err := convert.Open(in)
	if err != nil {
		t.Fatalf("opening the output: %v", err)
	}
	if a.Layout != to {
		t.Errorf("output layout %s, want %s", a.Layout, to)
	}
	if _, err := a.Verify(context.Background(), convert.Hashing{Deep: true}); err != nil {
		t.Fatalf("verifying the output: %v", err)
	}
}

// Every source layout into every destination layout, named and tagged: the
// Blob of parts the wasm build assembles is byte for byte the native output.
func TestConvertEveryLayoutPair(t *testing.T) {
	for _, src := range sources {
		for _, to := range layouts {
			t.Run(src.name+"/"+string(to), func(t *testing.T) {
				want, plan := native(t, src.path, convert.Options{To: to, Names: []string{"example.com/retar/pair:1"}, Tags: []string{"example.com/retar/pair:latest"}})
				var phases []string
				progress := js.FuncOf(func(_ js.Value, a []js.Value) any {
					p := a[0]
					phases = append(phases, p.Get("phase").String())
					if p.Get("bytes").Float() > p.Get("totalBytes").Float() || p.Get("blobs").Int() > p.Get("totalBlobs").Int() {
						t.Errorf("progress %v of %v bytes, %v of %v blobs", p.Get("bytes"), p.Get("totalBytes"), p.Get("blobs"), p.Get("totalBlobs"))
					}
					return nil
				})
				defer progress.Release()
				got, err := convertIn(t, jsInput(t, src.path), map[string]any{
					"to": string(to), "name": "example.com/retar/pair:1", "tags": []any{" example.com/retar/pair:latest ", ""},
					"onProgress": progress,
				})
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.data, want) {
					t.Fatalf("wasm output (%d bytes, sha256 %x) differs from native (%d bytes, sha256 %x)",
						len(got.data), sha256.Sum256(got.data), len(want), sha256.Sum256(want))
				}
				verifyTar(t, got.data, to)
				if got.report["layout"] != string(to) {
					t.Errorf("report layout %v, want %s", got.report["layout"], to)
				}
				imgs, _ := got.report["images"].([]any)
				if len(imgs) != len(plan.Images) || len(imgs) == 0 {
					t.Fatalf("report images %v, want %d", got.report["images"], len(plan.Images))
				}
				names, _ := imgs[0].(map[string]any)["names"].([]any)
				if len(names) != 2 {
					t.Errorf("report names %v, want the name and the tag", names)
				}
				if len(phases) == 0 || phases[len(phases)-1] != "writing" {
					t.Errorf("progress phases %v, want them to end with writing", phases)
				}
			})
		}
	}
}

// Re-encoding layers goes through Blob spills; the result is still the
// native one.
func TestRecompress(t *testing.T) {
	for _, c := range []string{"gzip", "zstd", "none"} {
		t.Run(c, func(t *testing.T) {
			comp, _, _ := convert.ParseCompression(c)
			want, _ := native(t, sources[0].path, convert.Options{To: convert.OCIArchive, Recompress: true, Compress: comp, Format: convert.FormatOCI})
			got, err := convertIn(t, jsInput(t, sources[0].path), map[string]any{"to": "oci-archive", "compress": c, "format": "oci"})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.data, want) {
				t.Fatalf("wasm output differs from native (%d vs %d bytes)", len(got.data), len(want))
			}
			verifyTar(t, got.data, convert.OCIArchive)
		})
	}
}

// A compressed archive is decompressed once into Blob parts.
func TestCompressedInput(t *testing.T) {
	raw, err := os.ReadFile(sources[0].path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := native(t, sources[0].path, convert.Options{To: convert.DockerArchive})
	for name, b := range map[string][]byte{"image.tar.gz": imagetest.Gzip.Compress(t, raw), "image.tar.zst": imagetest.Zstd.Compress(t, raw)} {
		t.Run(name, func(t *testing.T) {
			got, err := convertIn(t, js.ValueOf(map[string]any{"file": newBlob(b), "name": name}), map[string]any{"to": "docker-archive"})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.data, want) {
				t.Fatal("output of the compressed input differs from the plain one's")
			}
			if got.name != "image.docker-archive.tar" {
				t.Errorf("name %q", got.name)
			}
		})
	}
}

func TestInspect(t *testing.T) {
	v, err := inspect(jsInput(t, fixtures+"skopeo-docker-archive-unnamed.tar"), js.Undefined())
	if err != nil {
		t.Fatal(err)
	}
	var in convert.Inspection
	if err := json.Unmarshal([]byte(js.Global().Get("JSON").Call("stringify", v).String()), &in); err != nil {
		t.Fatal(err)
	}
	if in.SchemaVersion != 1 {
		t.Errorf("the page's inspect JSON has schemaVersion %d, the CLI's 1", in.SchemaVersion)
	}
	if in.Layout != convert.DockerArchive || len(in.Images) != 1 || len(in.LayersData) != 2 {
		t.Fatalf("inspect: layout %s, %d images, %d layers", in.Layout, len(in.Images), len(in.LayersData))
	}
	if !strings.Contains(strings.Join(in.Warnings, "\n"), "ctr images import will register nothing") {
		t.Errorf("no warning about the missing name: %q", in.Warnings)
	}
	for _, l := range in.LayersData {
		if l.Size <= 0 || l.MIMEType == "" || l.Digest == "" {
			t.Errorf("layer %+v", l)
		}
	}
	// pick and platforms
	v, err = inspect(jsInput(t, fixtures+"docker-save-two-images.tar"), opts(map[string]any{"pick": "@1"}))
	if err != nil {
		t.Fatal(err)
	}
	if n := v.(js.Value).Get("Images").Length(); n != 2 {
		t.Errorf("two-images: %d images", n)
	}
	if _, err := inspect(jsInput(t, fixtures+"docker-save-two-images.tar"), opts(map[string]any{"pick": "@7"})); err == nil || !strings.Contains(err.Error(), "no image @7") {
		t.Errorf("pick @7: %v", err)
	}
}

// Errors are one clear line, as the CLI prints them.
func TestErrors(t *testing.T) {
	text := js.ValueOf(map[string]any{"file": newBlob([]byte("this is not an archive\n")), "name": "notes.txt"})
	for _, c := range []struct {
		in   js.Value
		opts map[string]any
		want string
	}{
		{text, map[string]any{"to": "oci-archive"}, "notes.txt"},
		{jsInput(t, sources[0].path), map[string]any{"to": "tarball"}, "want docker-archive, oci-archive, oci or dir"},
		{jsInput(t, sources[0].path), map[string]any{"to": "oci", "compress": "lz4"}, "invalid compression"},
		{jsInput(t, sources[0].path), map[string]any{"to": "oci", "format": "v1"}, "invalid format"},
		{jsInput(t, sources[0].path), map[string]any{"to": "oci", "platforms": []any{"linux"}}, "invalid platform"},
		{jsInput(t, sources[0].path), map[string]any{"to": "oci", "name": "Not A Name"}, "Not A Name"},
		{js.ValueOf(map[string]any{"name": "x"}), map[string]any{"to": "oci"}, "no input"},
	} {
		_, err := convertIn(t, c.in, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("convert %v: error %v, want one line with %q", c.opts, err, c.want)
		}
	}
	// A layer whose bytes do not match its digest is refused.
	raw, _ := os.ReadFile(sources[1].path)
	bad := bytes.Clone(raw)
	i := bytes.Index(bad, []byte("\x1f\x8b\x08"))
	if i < 0 {
		t.Fatal("no gzip layer in the fixture")
	}
	bad[i+40] ^= 0xff
	_, err := convertIn(t, js.ValueOf(map[string]any{"file": newBlob(bad), "name": "bad.tar"}), map[string]any{"to": "docker-archive"})
	if err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("corrupt layer: %v", err)
	}
}

// blobReader serves random reads across both block tiers exactly.
func TestBlobReader(t *testing.T) {
	data := make([]byte, 40<<20+123)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	br := newBlobReader(newBlob(data))
	if br.size != int64(len(data)) {
		t.Fatalf("size %d", br.size)
	}
	for range 300 {
		n := r.IntN(64 << 10)
		if r.IntN(10) == 0 {
			n = r.IntN(20 << 20)
		}
		off := r.Int64N(int64(len(data)))
		buf := make([]byte, n)
		got, err := br.ReadAt(buf, off)
		want := min(int64(n), int64(len(data))-off)
		if int64(got) != want || !bytes.Equal(buf[:got], data[off:off+want]) {
			t.Fatalf("ReadAt(%d, %d) = %d, %v", n, off, got, err)
		}
		if int64(got) < int64(n) && err != io.EOF {
			t.Fatalf("short read without EOF: %v", err)
		}
	}
	if _, err := br.ReadAt(make([]byte, 1), int64(len(data))); err != io.EOF {
		t.Errorf("read at the end: %v", err)
	}
}

// A dropped folder is an fs.FS that behaves.
func TestDirFS(t *testing.T) {
	files := js.Global().Get("Array").New()
	want := map[string]string{"oci-layout": "{}", "index.json": "{}", "blobs/sha256/aa": "a", "blobs/sha256/bb": "bb", "./x/../c": "c"}
	for p, s := range want {
		files.Call("push", js.ValueOf(map[string]any{"path": p, "file": newBlob([]byte(s))}))
	}
	files.Call("push", js.ValueOf(map[string]any{"path": "../escape", "file": newBlob([]byte("no"))}))
	d := newDirFS(files)
	// What the core uses: Open, fs.ReadFile, fs.ReadDir, fs.Stat, WalkDir.
	// (fstest.TestFS also wants ReadDir(n > 0) to end with io.EOF, which
	// dirDir does not do yet; the core only calls ReadDir(-1).)
	for p, s := range map[string]string{"oci-layout": "{}", "blobs/sha256/aa": "a", "blobs/sha256/bb": "bb", "c": "c"} {
		b, err := fs.ReadFile(d, p)
		if err != nil || string(b) != s {
			t.Errorf("ReadFile(%s) = %q, %v", p, b, err)
		}
		st, err := fs.Stat(d, p)
		if err != nil || st.IsDir() || st.Size() != int64(len(s)) {
			t.Errorf("Stat(%s) = %v, %v", p, st, err)
		}
	}
	var walked []string
	err := fs.WalkDir(d, ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		walked = append(walked, p)
		return nil
	})
	if got := strings.Join(walked, " "); err != nil || got != ". blobs blobs/sha256 blobs/sha256/aa blobs/sha256/bb c index.json oci-layout" {
		t.Errorf("WalkDir: %s, %v", got, err)
	}
	if st, err := fs.Stat(d, "blobs"); err != nil || !st.IsDir() {
		t.Errorf("Stat(blobs) = %v, %v", st, err)
	}
	for _, p := range []string{"escape", "../escape", "nope", "/abs"} {
		if _, err := d.Open(p); err == nil {
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

// The hasher interface: hash-wasm's incremental sha256 (as the page's
// Worker sets it) gives the same sums and the same outputs as Go's.
func TestJSHasher(t *testing.T) {
	dir, _ := os.Getwd()
	mod := filepath.Join(dir, "..", "site", "node_modules", "hash-wasm")
	if _, err := os.Stat(mod); err != nil {
		t.Skip("site/node_modules/hash-wasm is not installed (npm ci in site/)")
	}
	hw := js.Global().Call("require", mod)
	js.Global().Set("retarCreateSHA256", hw.Get("createSHA256"))
	defer js.Global().Delete("retarCreateSHA256")
	newHash := newJSHasher()
	if newHash == nil {
		t.Fatal("retarCreateSHA256 is set but not used")
	}
	data := make([]byte, 3<<20+77)
	for i := range data {
		data[i] = byte(i * 7)
	}
	h := newHash(digest.SHA256)
	if _, ok := h.(*jsHash); !ok {
		t.Fatalf("sha256 hasher is %T, want the page's", h)
	}
	for rest := data; len(rest) > 0; {
		n := min(len(rest), 1<<20+13)
		h.Write(rest[:n])
		rest = rest[n:]
	}
	want := sha256.Sum256(data)
	if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
		t.Fatalf("hash-wasm sum %x, want %x", got, want)
	}
	// Sum leaves the state alone: again the same sum, and writing goes on.
	if got := h.Sum([]byte("x")); !bytes.Equal(got, append([]byte("x"), want[:]...)) {
		t.Fatalf("a second Sum: %x, want x then %x", got, want)
	}
	h.Write([]byte("more"))
	if got, want := h.Sum(nil), sha256.Sum256(append(append([]byte(nil), data...), "more"...)); !bytes.Equal(got, want[:]) {
		t.Fatalf("a Write after Sum: %x, want %x", got, want)
	}
	h.Reset()
	h.Write([]byte("abc"))
	if got, want := h.Sum(nil), sha256.Sum256([]byte("abc")); !bytes.Equal(got, want[:]) {
		t.Fatalf("after Reset: %x, want %x", got, want)
	}
	if _, ok := newHash(digest.SHA512).(*jsHash); ok {
		t.Error("sha512 went to the sha256 hasher")
	}
	for _, src := range sources {
		want, _ := native(t, src.path, convert.Options{To: convert.OCIArchive, Names: []string{"example.com/h:1"}})
		got, err := convertIn(t, jsInput(t, src.path), map[string]any{"to": "oci-archive", "name": "example.com/h:1"})
		if err != nil {
			t.Fatalf("%s with hash-wasm: %v", src.name, err)
		}
		if !bytes.Equal(got.data, want) {
			t.Fatalf("%s with hash-wasm: output differs", src.name)
		}
	}
}

func TestOutputName(t *testing.T) {
	for in, want := range map[string]string{
		"image.tar":               "image.oci-archive.tar",
		"C:\\Users\\me\\a.tar.gz": "a.oci-archive.tar",
		"dir/b.tar.zst":           "b.oci-archive.tar",
		"layout":                  "layout.oci-archive.tar",
	} {
		if got := outputName(in, convert.OCIArchive); got != want {
			t.Errorf("outputName(%q) = %q, want %q", in, got, want)
		}
	}
}

// check is retar check's report: ctr registers nothing from an unnamed
// archive, and a name fixes that.
func TestCheck(t *testing.T) {
	loads := func(p string) map[string]bool {
		v, err := checkJS(jsInput(t, p), js.Undefined())
		if err != nil {
			t.Fatal(err)
		}
		var rep check.Report
		if err := json.Unmarshal([]byte(js.Global().Get("JSON").Call("stringify", v).String()), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.SchemaVersion != 1 {
			t.Errorf("the page's check JSON has schemaVersion %d, the CLI's 1", rep.SchemaVersion)
		}
		m := map[string]bool{}
		for _, c := range rep.Consumers {
			m[c.Consumer] = c.Loads
		}
		return m
	}
	if got := loads(fixtures + "skopeo-docker-archive-unnamed.tar"); got["ctr-1.6"] || !got["docker-24"] {
		t.Errorf("unnamed docker-archive: %v", got)
	}
	if got := loads(fixtures + "skopeo-oci-archive-named.tar"); !got["ctr-1.6"] {
		t.Errorf("named oci-archive: %v", got)
	}
}

// fakeSumRange stands in for the page's pool of hashing Workers
// (retarSumRange): it hashes a range of a Blob with Go's sha256, reports
// its bytes in steps, and counts what it hashed.
func fakeSumRange(t *testing.T) (hashed *int64, calls *int, release func()) {
	hashed, calls = new(int64), new(int)
	f := js.FuncOf(func(_ js.Value, a []js.Value) any {
		blob, off, n, onBytes := a[0], int64(a[1].Float()), int64(a[2].Float()), a[4]
		if a[3].String() != "sha256" {
			t.Errorf("asked for %s", a[3].String())
		}
		return promise(js.Undefined(), func() (any, error) {
			*calls++
			h := sha256.New()
			r := io.NewSectionReader(newBlobReader(blob), off, n)
			buf := make([]byte, 1000)
			for {
				k, err := r.Read(buf)
				h.Write(buf[:k])
				*hashed += int64(k)
				onBytes.Invoke(k)
				if err == io.EOF {
					break
				}
				if err != nil {
					return nil, err
				}
			}
			return fmt.Sprintf("%x", h.Sum(nil)), nil
		})
	})
	js.Global().Set("retarSumRange", f)
	js.Global().Set("retarSumWorkers", 3)
	return hashed, calls, func() {
		js.Global().Delete("retarSumRange")
		js.Global().Delete("retarSumWorkers")
		f.Release()
	}
}

// A handle keeps the archive open between calls: inspect, check and two
// conversions hash each layer once (in the page's Workers, through
// Hashing.Sum), and each conversion is the native one.
func TestHandleHashesOnce(t *testing.T) {
	hashed, calls, release := fakeSumRange(t)
	defer release()
	for _, src := range sources {
		t.Run(src.name, func(t *testing.T) {
			*hashed, *calls = 0, 0
			idv, err := openHandle(jsInput(t, src.path), js.Undefined())
			if err != nil {
				t.Fatal(err)
			}
			id := js.ValueOf(idv)
			defer closeHandle(id)
			var last js.Value
			progress := js.FuncOf(func(_ js.Value, a []js.Value) any { last = a[0]; return nil })
			defer progress.Release()
			v, err := inspect(id, opts(map[string]any{"onProgress": progress}))
			if err != nil {
				t.Fatal(err)
			}
			var layers int64
			for i, ls := 0, v.(js.Value).Get("LayersData"); i < ls.Length(); i++ {
				layers += int64(ls.Index(i).Get("Size").Float())
			}
			if _, err := checkJS(id, js.Undefined()); err != nil {
				t.Fatal(err)
			}
			for _, to := range []convert.Layout{convert.OCIArchive, convert.DockerArchive, convert.OCIArchive} {
				want, _ := native(t, src.path, convert.Options{To: to, Names: []string{"example.com/h:1"}})
				v, err := convertJS(id, opts(map[string]any{"to": string(to), "name": "example.com/h:1", "onProgress": progress}))
				if err != nil {
					t.Fatal(err)
				}
				if got := blobBytes(t, v.(js.Value).Get("blob")); !bytes.Equal(got, want) {
					t.Fatalf("→ %s from the handle differs from native", to)
				}
				if last.Get("phase").String() != "writing" || last.Get("bytes").Float() != last.Get("totalBytes").Float() {
					t.Errorf("last progress %v", js.Global().Get("JSON").Call("stringify", last))
				}
			}
			if *hashed != layers || *calls == 0 {
				t.Errorf("hashed %d bytes in %d calls, want the layers' %d bytes once", *hashed, *calls, layers)
			}
		})
	}
	if _, err := inspect(js.ValueOf(12345), js.Undefined()); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("a closed handle: %v", err)
	}
}

// Errors say what went wrong in a user's words (the summary the page
// shows); the message keeps the CLI's line with its detail.
func TestExplain(t *testing.T) {
	raw, _ := os.ReadFile(sources[1].path)
	bad := bytes.Clone(raw)
	i := bytes.Index(bad, []byte("\x1f\x8b\x08"))
	bad[i+40] ^= 0xff
	random := make([]byte, 5000)
	for i := range random {
		random[i] = byte(i*7919 + i/13)
	}
	for _, c := range []struct {
		name       string
		data       []byte
		kind, want string
	}{
		{"notes.txt", []byte("this is not an archive\n"), "not-archive", "notes.txt is not an image archive: it is not a tar file"},
		{"random.tar", random, "not-archive", "random.tar is not an image archive"},
		{"random.tar.gz", imagetest.Gzip.Compress(t, random), "not-archive", "random.tar.gz is not an image archive: it is gzip-compressed, but what it holds is not a tar file"},
		{"broken.tar.gz", []byte("\x1f\x8b\x08\x00garbagegarbage"), "damaged", "broken.tar.gz is gzip-compressed, but its compressed data is damaged"},
		{"short.tar", raw[:3000], "truncated", "short.tar is cut short"},
		{"bad.tar", bad, "damaged", "bad.tar is damaged: the content of blobs/sha256/"},
		{"x.tar.xz", []byte("\xfd7zXZ\x00\x00rest"), "unsupported", "x.tar.xz is xz-compressed"},
	} {
		_, err := convertIn(t, js.ValueOf(map[string]any{"file": newBlob(c.data), "name": c.name}), map[string]any{"to": "docker-archive"})
		if err == nil {
			t.Errorf("%s: converted", c.name)
			continue
		}
		kind, summary := explain(err, c.name)
		if kind != c.kind || !strings.HasPrefix(summary, c.want) || goPackage.MatchString(summary) {
			t.Errorf("%s: %q: %s %q, want %s %q…", c.name, err, kind, summary, c.kind, c.want)
		}
	}
	_, err := convertIn(t, jsInput(t, sources[0].path), map[string]any{"to": "oci", "name": "Not A Name"})
	if kind, summary := explain(err, "x.tar"); kind != "options" || !strings.Contains(summary, `"Not A Name"`) {
		t.Errorf("a bad name: %s %q", kind, summary)
	}
	if _, s := explain(fmt.Errorf("x.tar: archive/tar: something new"), "x.tar"); s != "Something new." {
		t.Errorf("package prefixes stay: %q", s)
	}
}

// cliWords are what the page must not say: retar's flags, and the "@N"
// by which the CLI picks an image.
var cliWords = regexp.MustCompile(`(^|\s|\()(-t|--(tag|platform|for|compress|format|all-platforms|attestations|keep-absent|oci-strict|force|max-expansion|max-expanded))\b|@\d`)

// A refusal of one option names it (the field the page shows it at), with
// a summary in the page's words: the field's name, never a flag or "@N".
func TestFieldErrors(t *testing.T) {
	two := fixtures + "docker-save-two-images.tar"
	multi := "../golden/testdata/real-docker29/d29d-save-multiplatform.tar"
	for _, c := range []struct {
		path         string
		opts         map[string]any
		field, value string
		want         string
	}{
		{sources[0].path, map[string]any{"to": "oci", "name": "Not A Name"}, "name", "Not A Name", `"Not A Name" is not an image name`},
		{sources[0].path, map[string]any{"to": "docker-archive", "tags": []any{"ok.example/a:1", "Bad Tag"}}, "tags", "Bad Tag", `"Bad Tag" is not an image name`},
		{sources[0].path, map[string]any{"to": "oci", "platforms": []any{"linux"}}, "platforms", "linux", ""},
		{multi, map[string]any{"to": "oci-archive", "platforms": []any{"linux/s390x"}}, "platforms", "", "d29d-save-multiplatform.tar has no image for linux/s390x: pick a platform it has in Platform."},
		{two, map[string]any{"to": "dir"}, "pick", "", "docker-save-two-images.tar holds 2 images, and a dir layout holds one image: pick one in Image."},
		{two, map[string]any{"to": "oci", "name": "example.com/a:1"}, "pick", "", "docker-save-two-images.tar holds 2 images, and a name given in Name or Extra names is for one image: pick one in Image."},
		{two, map[string]any{"to": "oci", "pick": "@7"}, "pick", "", "docker-save-two-images.tar has no such image: pick one of its images in Image."},
	} {
		_, err := convertIn(t, jsInput(t, c.path), c.opts)
		var fe *fieldError
		if !errors.As(err, &fe) || fe.Field != c.field || fe.Value != c.value {
			t.Errorf("%v: %v (%#v), want a refusal of %s %q", c.opts, err, fe, c.field, c.value)
			continue
		}
		kind, summary := explain(err, filepath.Base(c.path))
		if kind != "options" || !strings.HasPrefix(summary, c.want) || cliWords.MatchString(summary) {
			t.Errorf("%v: explained as %s %q, want options %q…", c.opts, kind, summary, c.want)
		}
	}
	// The limits' summaries leave out the flags that set them.
	for _, reason := range []string{
		"gzip stream expands past 8.0 MiB, the limit on expanded size (--max-expanded)",
		"gzip stream expands past 1.0 GiB, 1000 times its compressed 1.0 MiB (the limit is 100 times, --max-expansion)",
	} {
		_, summary := explain(&convert.LimitError{What: "x.tar.gz", Reason: reason}, "x.tar.gz")
		if cliWords.MatchString(summary) || !strings.Contains(summary, "expands past") || strings.Contains(summary, ", )") {
			t.Errorf("%q: %q", reason, summary)
		}
	}
}

// gzipStream gzips a tar of one file of n zero bytes (withHeader), or n
// zero bytes alone, as members of at most 16 MiB (read on as one stream):
// about 1000:1, so GiBs of output come from a few MiB, built fast.
func gzipStream(t *testing.T, n int64, withHeader bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	var head []byte
	if withHeader {
		var h bytes.Buffer
		tw := tar.NewWriter(&h)
		if err := tw.WriteHeader(&tar.Header{Name: "zeros", Mode: 0o644, Size: n, Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Flush()
		head = h.Bytes()
	}
	member := func(parts ...[]byte) []byte {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		for _, p := range parts {
			zw.Write(p)
		}
		zw.Close()
		return b.Bytes()
	}
	zeros := make([]byte, 16<<20)
	first := min(n, int64(len(zeros)))
	buf.Write(member(head, zeros[:first]))
	n -= first
	full := member(zeros)
	for ; n >= int64(len(zeros)); n -= int64(len(zeros)) {
		buf.Write(full)
	}
	if n > 0 {
		buf.Write(member(zeros[:n]))
	}
	return buf.Bytes()
}

// A decompression bomb dropped as a .tar.gz is refused as the CLI refuses
// it, by every call that opens an input: held to the limits the options
// give (the CLI's flags), and with no options to the CLI's defaults, which
// refuse at once what does not start as a tar.
func TestCompressedInputLimits(t *testing.T) {
	bomb := gzipStream(t, 64<<20, true) // a tar of 64 MiB of zeros
	calls := map[string]func(in, opts js.Value) (any, error){
		"open": func(in, opts js.Value) (any, error) {
			id, err := openHandle(in, opts)
			if err == nil {
				closeHandle(js.ValueOf(id))
			}
			return id, err
		},
		"inspect": inspect,
		"check":   checkJS,
		"convert": func(in, opts js.Value) (any, error) {
			opts.Set("to", "oci-archive")
			return convertJS(in, opts)
		},
	}
	for call, fn := range calls {
		t.Run(call, func(t *testing.T) {
			// maxExpanded as the options give it: a size, or a number of bytes
			for _, limit := range []any{"8M", 8 << 20} {
				in := js.ValueOf(map[string]any{"file": newBlob(bomb), "name": "bomb.tar.gz"})
				_, err := fn(in, opts(map[string]any{"maxExpanded": limit}))
				var le *convert.LimitError
				want := "bomb.tar.gz: gzip stream expands past 8.0 MiB, the limit on expanded size (--max-expanded)"
				if !errors.As(err, &le) || !errors.Is(err, convert.ErrLimit) || err.Error() != want {
					t.Fatalf("maxExpanded %v: %v, want %q", limit, err, want)
				}
				if kind, summary := explain(err, "bomb.tar.gz"); kind != "limit" || !strings.HasPrefix(summary, "bomb.tar.gz is too large once decompressed (gzip stream expands past 8.0 MiB") {
					t.Errorf("explained as %s %q", kind, summary)
				}
			}
			// Under the default limits the same bomb decompresses, and
			// is then not an image; a bad limit is a usage error.
			in := js.ValueOf(map[string]any{"file": newBlob(bomb), "name": "bomb.tar.gz"})
			if _, err := fn(in, opts(map[string]any{})); err == nil || errors.Is(err, convert.ErrLimit) {
				t.Errorf("default limits: %v, want it opened and refused as no image", err)
			}
			if _, err := fn(in, opts(map[string]any{"maxExpanded": "lots"})); !errors.Is(err, convert.ErrUsage) || !strings.HasPrefix(err.Error(), "maxExpanded: ") {
				t.Errorf("maxExpanded lots: %v", err)
			}
			// 4 GiB of zeros, gzipped: with no options, over the default
			// ratio long before its end, but refused at once, as not a tar.
			zeros := js.ValueOf(map[string]any{"file": newBlob(gzipStream(t, 4<<30, false)), "name": "zeros.tar.gz"})
			_, err := fn(zeros, opts(map[string]any{}))
			want := "zeros.tar.gz: gzip-compressed archive: not a tar archive: it starts with an empty block"
			if !errors.Is(err, convert.ErrNotTar) || errors.Is(err, convert.ErrLimit) || err.Error() != want {
				t.Fatalf("zeros: %v, want %q", err, want)
			}
			if kind, summary := explain(err, "zeros.tar.gz"); kind != "not-archive" || !strings.HasPrefix(summary, "zeros.tar.gz is not an image archive: it is gzip-compressed, but what it holds is not a tar file") {
				t.Errorf("zeros explained as %s %q", kind, summary)
			}
		})
	}
}

// outputTo is an output as worker.js passes one (opts.output): it keeps
// what it is given, a copy of each Uint8Array (the sink reuses its batch),
// and rejects the write numbered failAt (from 0; -1: none).
func outputTo(failAt int) js.Value {
	return js.Global().Get("Function").New("failAt", `
		const out = { parts: [], writes: 0, slices: 0 };
		out.write = (p) => {
			if (out.writes++ === failAt) return Promise.reject(new Error('the disk is full'));
			if (p instanceof Uint8Array) out.parts.push(p.slice()); else { out.parts.push(p); out.slices++; }
			return Promise.resolve();
		};
		return out;`).Invoke(failAt)
}

// With opts.output, the output is written there as it is made, byte for
// byte what the Blob path gives, with no Blob in the result; a write that
// fails fails the conversion.
func TestStreamedOutput(t *testing.T) {
	for _, src := range sources {
		for _, c := range []map[string]any{
			{"to": "docker-archive", "name": "example.com/retar/stream:1"},
			{"to": "oci", "name": "example.com/retar/stream:1"},
			{"to": "oci-archive", "compress": "zstd", "format": "oci"}, // re-encoded: spilled Blob parts
		} {
			t.Run(src.name+"/"+c["to"].(string), func(t *testing.T) {
				want, err := convertIn(t, jsInput(t, src.path), c)
				if err != nil {
					t.Fatal(err)
				}
				out := outputTo(-1)
				o := map[string]any{"output": out}
				for k, v := range c {
					o[k] = v
				}
				// small batches and pieces, so that a batch is reused and a
				// range goes in several slices
				defer func(b, p int) { streamBatch, streamPieceSize = b, p }(streamBatch, streamPieceSize)
				streamBatch, streamPieceSize = 1000, 777
				v, err := convertJS(jsInput(t, src.path), opts(o))
				if err != nil {
					t.Fatal(err)
				}
				r := v.(js.Value)
				if !r.Get("blob").IsUndefined() {
					t.Error("a streamed conversion also returned a Blob")
				}
				got := blobBytes(t, js.Global().Get("Blob").New(out.Get("parts")))
				if !bytes.Equal(got, want.data) {
					t.Fatalf("streamed output (%d bytes) differs from the Blob's (%d bytes)", len(got), len(want.data))
				}
				if size := r.Get("size").Int(); size != len(got) {
					t.Errorf("size %d, wrote %d", size, len(got))
				}
				if r.Get("name").String() != want.name {
					t.Errorf("name %q, want %q", r.Get("name").String(), want.name)
				}
				if out.Get("slices").Int() == 0 {
					t.Error("no range went as a Blob slice")
				}
			})
		}
	}
	for _, failAt := range []int{0, 3} {
		_, err := convertJS(jsInput(t, sources[0].path), opts(map[string]any{"to": "oci-archive", "output": outputTo(failAt)}))
		if err == nil || !strings.Contains(err.Error(), "the disk is full") || !strings.Contains(err.Error(), "writing the output") {
			t.Errorf("a write that fails (write %d): %v", failAt, err)
		}
	}
}
