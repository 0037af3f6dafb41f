//go:build js && wasm

// Command wasm is retar's core for the browser: built with GOOS=js
// GOARCH=wasm, it sets globalThis.retarGo = {inspect, convert, diff, version}, each
// returning a Promise. site/worker.js runs it in a Web Worker and
// site/retar.js wraps it in the documented retar.inspect / retar.convert API.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
	"syscall/js"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/retar-dev/retar/check"
	"github.com/retar-dev/retar/convert"
)

func main() {
	js.Global().Set("retarGo", js.ValueOf(map[string]any{
		// open(input, opts) → a handle (a number) the other calls take in
		// place of an input: the archive stays open in between, so the
		// blobs one call verified are not hashed again by the next.
		"open": js.FuncOf(func(_ js.Value, args []js.Value) any {
			return promise(args[0], func() (any, error) { return openHandle(args[0], arg(args, 1)) })
		}),
		"close": js.FuncOf(func(_ js.Value, args []js.Value) any {
			closeHandle(args[0])
			return nil
		}),
		"inspect": js.FuncOf(func(_ js.Value, args []js.Value) any {
			return promise(args[0], func() (any, error) { return inspect(args[0], arg(args, 1)) })
		}),
		"convert": js.FuncOf(func(_ js.Value, args []js.Value) any {
			return promise(args[0], func() (any, error) { return convertJS(args[0], arg(args, 1)) })
		}),
		"check": js.FuncOf(func(_ js.Value, args []js.Value) any {
			return promise(args[0], func() (any, error) { return checkJS(args[0], arg(args, 1)) })
		}),
		// diff(a, b, opts): retar diff's report on two inputs or handles.
		"diff": js.FuncOf(func(_ js.Value, args []js.Value) any {
			return promise(args[0], func() (any, error) { return diffJS(args[0], arg(args, 1), arg(args, 2)) })
		}),
		// digests(inputs, opts): what the inputs hold, as retar digests prints it.
		"digests": js.FuncOf(func(_ js.Value, args []js.Value) any {
			return promise(args[0], func() (any, error) { return digestsJS(args[0], arg(args, 1)) })
		}),
		"version": "retar wasm",
	}))
	select {}
}

func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}

// promise runs fn off the calling goroutine (which must not block) and
// settles a JS Promise with its result; errors reject with an Error whose
// message is the one line the CLI would print, and whose summary says it
// in a user's words (see explain).
func promise(ref js.Value, fn func() (any, error)) js.Value {
	var executor js.Func
	executor = js.FuncOf(func(_ js.Value, a []js.Value) any {
		resolve, reject := a[0], a[1]
		go func() {
			defer executor.Release()
			defer func() {
				if r := recover(); r != nil {
					reject.Invoke(jsError(fmt.Errorf("internal error: %v", r), nameOf(ref)))
				}
			}()
			v, err := fn()
			if err != nil {
				reject.Invoke(jsError(err, nameOf(ref)))
				return
			}
			resolve.Invoke(v)
		}()
		return nil
	})
	return js.Global().Get("Promise").New(executor)
}

func jsError(err error, name string) js.Value {
	e := js.Global().Get("Error").New(strings.Join(strings.Fields(err.Error()), " "))
	name = errorName(err, name)
	kind, summary, ok := explainBase(err, name)
	if !ok {
		kind, summary, ok = explainList(err, name)
	}
	if !ok {
		kind, summary = explain(err, name)
	}
	e.Set("kind", kind)
	e.Set("summary", summary)
	if f := fieldOf(err); f != "" {
		e.Set("field", f)
	}
	return e
}

// handles are the archives the page keeps open, by number.
var (
	handlesMu  sync.Mutex
	handles    = map[int]*handle{}
	nextHandle = 1
)

type handle struct {
	a    *convert.Archive
	name string
	in   js.Value // what it was opened from, to open anew with a delta's bases
}

func openHandle(in, opts js.Value) (any, error) {
	lim, err := limitsOf(opts)
	if err != nil {
		return nil, err
	}
	a, err := openInput(in, newReporter(opts), lim)
	if err != nil {
		return nil, err
	}
	handlesMu.Lock()
	defer handlesMu.Unlock()
	id := nextHandle
	nextHandle++
	handles[id] = &handle{a: a, name: str(in, "name"), in: in}
	return id, nil
}

func closeHandle(ref js.Value) {
	if ref.Type() == js.TypeNumber {
		handlesMu.Lock()
		delete(handles, ref.Int())
		handlesMu.Unlock()
	}
}

// nameOf is the name of what a call works on, for messages.
func nameOf(ref js.Value) string {
	if ref.Type() == js.TypeNumber {
		handlesMu.Lock()
		defer handlesMu.Unlock()
		if h := handles[ref.Int()]; h != nil {
			return h.name
		}
		return ""
	}
	return str(ref, "name")
}

// archiveOf is what a call works on: an open handle, or an input opened
// for this call only, decompressed within lim.
func archiveOf(ref, opts js.Value, lim convert.Limits) (*convert.Archive, string, error) {
	if ref.Type() == js.TypeNumber {
		handlesMu.Lock()
		h := handles[ref.Int()]
		handlesMu.Unlock()
		if h == nil {
			return nil, "", fmt.Errorf("retar: handle %d is closed", ref.Int())
		}
		return h.a, h.name, nil
	}
	a, err := openInput(ref, newReporter(opts), lim)
	return a, str(ref, "name"), err
}

// openInput opens what the page passes: {file: File|Blob, name} for an
// archive, or {files: [{path, file}], name} for a dropped folder. A
// compressed archive is decompressed within lim, as the CLI does.
func openInput(in js.Value, report func(convert.Progress), lim convert.Limits) (*convert.Archive, error) {
	return openInputWith(in, report, lim, nil)
}

// openInputWith is openInput with base: the blobs of archives the page
// holds, to fill in what a delta left out.
func openInputWith(in js.Value, report func(convert.Progress), lim convert.Limits, base *convert.Holdings) (*convert.Archive, error) {
	if in.Type() != js.TypeObject {
		return nil, fmt.Errorf("no input: pass {file} or {files}")
	}
	name := "input"
	if v := in.Get("name"); v.Type() == js.TypeString {
		name = v.String()
	}
	if files := in.Get("files"); files.Type() == js.TypeObject {
		return convert.Open(convert.Input{Name: name, Dir: newDirFS(files), Base: base})
	}
	file := in.Get("file")
	if file.Type() != js.TypeObject {
		return nil, fmt.Errorf("no input: pass {file} or {files}")
	}
	r := newBlobReader(file)
	kind := convert.SniffArchive(r)
	ra, size, err := decompress(r, kind, name, lim, report)
	if err != nil {
		return nil, err
	}
	return convert.Open(convert.Input{Name: name, Archive: ra, Size: size, Compression: kind, Base: base})
}

// decompress gives a compressed archive random access by decompressing it
// once into Blob parts (held by the browser, not in wasm memory), through
// convert.Expand as the CLI does: within lim, and refused before anything
// is written if it does not start as a tar. xz has no decoder here.
func decompress(r *blobReader, kind, name string, lim convert.Limits, report func(convert.Progress)) (io.ReaderAt, int64, error) {
	if kind == "" {
		return r, r.size, nil
	}
	counted := &countingReader{r: io.NewSectionReader(r, 0, r.size), report: report, p: convert.Progress{Phase: "decompressing", TotalBytes: r.size, TotalBlobs: 1}}
	sp := newBlobSpill()
	size, err := convert.Expand(context.Background(), sp, counted, r.size, kind, name, lim, nil)
	if err != nil {
		return nil, 0, err
	}
	counted.p.Bytes, counted.p.Blobs = r.size, 1
	report(counted.p)
	ra, _ := sp.Done()
	return ra, size, nil
}

// countingReader reports how much of a compressed archive was read.
type countingReader struct {
	r      io.Reader
	report func(convert.Progress)
	p      convert.Progress
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.Bytes += int64(n)
	c.report(c.p)
	return n, err
}

func inspect(ref, opts js.Value) (any, error) {
	lim, err := limitsOf(opts)
	if err != nil {
		return nil, err
	}
	a, _, err := archiveOf(ref, opts, lim)
	if err != nil {
		return nil, err
	}
	o := convert.InspectOptions{Host: host(opts), Hashing: hashing(newReporter(opts), lim)}
	if opts.Type() == js.TypeObject {
		if v := opts.Get("pick"); v.Type() == js.TypeString {
			o.Pick = v.String()
		}
	}
	res, err := a.Inspect(context.Background(), o)
	if err != nil {
		return nil, err
	}
	return toJS(res)
}

// check returns retar check's report: for each loader, whether it takes the
// input, under which names, and why not.
func checkJS(ref, opts js.Value) (any, error) {
	lim, err := limitsOf(opts)
	if err != nil {
		return nil, err
	}
	a, _, err := archiveOf(ref, opts, lim)
	if err != nil {
		return nil, err
	}
	return toJS(check.Archive(a, host(opts)))
}

// toJS hands a Go value to the page as the JSON the CLI prints, parsed.
func toJS(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return js.Global().Get("JSON").Call("parse", string(b)), nil
}

func host(opts js.Value) ocispec.Platform {
	if opts.Type() == js.TypeObject {
		if v := opts.Get("host"); v.Type() == js.TypeString {
			if p, err := convert.ParsePlatform(v.String()); err == nil {
				return p
			}
		}
	}
	return ocispec.Platform{OS: "linux", Architecture: "amd64"}
}

// hashing has the page's Workers hash blobs where they lie in the File
// (Sum), several at once: Go in wasm runs on one thread, but it only waits
// for them. Blobs they cannot take are read here through the page's fast
// sha256 (hash-wasm), one at a time.
func hashing(progress func(convert.Progress), lim convert.Limits) convert.Hashing {
	h := convert.Hashing{New: newJSHasher(), Parallel: 1, Progress: progress, Limits: lim}
	if sum, par := sumInWorkers(); sum != nil {
		h.Sum, h.Parallel = sum, par
	}
	return h
}

// newReporter calls the page's onProgress({phase, bytes, totalBytes,
// blobs, totalBlobs}) (the fields of the CLI's progress) at most every
// 50 ms, and always when a phase starts or ends.
func newReporter(opts js.Value) func(convert.Progress) {
	onProgress := js.Undefined()
	if opts.Type() == js.TypeObject {
		onProgress = opts.Get("onProgress")
	}
	if onProgress.Type() != js.TypeFunction {
		return func(convert.Progress) {}
	}
	var mu sync.Mutex
	last, phase := time.Time{}, ""
	return func(p convert.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Phase == phase && time.Since(last) < 50*time.Millisecond && p.Bytes < p.TotalBytes {
			return
		}
		last, phase = time.Now(), p.Phase
		onProgress.Invoke(js.ValueOf(map[string]any{
			"phase": p.Phase, "bytes": float64(p.Bytes), "totalBytes": float64(p.TotalBytes),
			"blobs": p.Blobs, "totalBlobs": p.TotalBlobs,
		}))
	}
}

// convertJS converts and returns {blob, name, report}, or with
// opts.output {name, size, report} once the output has been written there.
// With opts.bases it applies a delta: see sourceWithBases. With opts.since
// it makes one (see readSince), and says what it left out: delta.
func convertJS(ref, opts js.Value) (any, error) {
	o, err := optionsOf(opts)
	if err != nil {
		return nil, err
	}
	if err := readSince(opts, o.Hashing.Limits, o.Since); err != nil {
		return nil, err
	}
	a, name, err := sourceWithBases(ref, opts, o.Hashing.Limits)
	if err != nil {
		return nil, err
	}
	report := newReporter(opts)
	o.Hashing = hashing(report, o.Hashing.Limits)
	o.Spill = func() (convert.Spill, error) { return newBlobSpill(), nil }
	plan, err := a.Convert(context.Background(), o)
	if err != nil {
		return nil, optionAtFault(err, a, o, name)
	}
	w := convert.Progress{Phase: "writing", TotalBytes: plan.TarSize()}
	wrote := func(n int64) { w.Bytes += n; report(w) }
	res := map[string]any{"name": outputName(name, o.To)}
	if out := outputOf(opts); !out.IsUndefined() {
		// the page writes the output where it goes as it is made (a file
		// the user picked): no Blob is assembled
		sink := newStreamSink(out, wrote)
		if err := plan.WriteTar(sink); err != nil {
			return nil, err
		}
		if err := sink.Close(); err != nil {
			return nil, err
		}
		res["size"] = float64(sink.written)
	} else {
		sink := newBlobSink(wrote)
		if err := plan.WriteTar(sink); err != nil {
			return nil, err
		}
		res["blob"] = sink.blob("application/x-tar")
	}
	w.Bytes = w.TotalBytes
	report(w)
	rep, err := toJS(map[string]any{"images": plan.Images, "warnings": plan.Warnings, "layout": plan.Layout})
	if err != nil {
		return nil, err
	}
	res["report"] = rep
	if o.Since != nil {
		if res["delta"], err = deltaOf(plan); err != nil {
			return nil, err
		}
	}
	return js.ValueOf(res), nil
}

// outputOf is opts.output, where the page has the output written as it is
// made ({write(part) → Promise}), or undefined: the output is then a Blob.
func outputOf(opts js.Value) js.Value {
	if opts.Type() == js.TypeObject {
		if out := opts.Get("output"); out.Type() == js.TypeObject && out.Get("write").Type() == js.TypeFunction {
			return out
		}
	}
	return js.Undefined()
}

// outputName is the download's file name: the input's, with the layout.
func outputName(in string, to convert.Layout) string {
	base := path.Base(strings.ReplaceAll(in, "\\", "/"))
	if in == "" {
		base = "image"
	}
	for _, ext := range []string{".gz", ".zst", ".bz2", ".xz", ".tgz", ".tar"} {
		base = strings.TrimSuffix(base, ext)
	}
	if base == "" {
		base = "image"
	}
	return base + "." + string(to) + ".tar"
}
