//go:build js && wasm

// Command wasm is retar's core for the browser: built with GOOS=js
// GOARCH=wasm, it sets globalThis.retarGo = {inspect, convert, version}, each
// returning a Promise. site/worker.js runs it in a Web Worker and
// site/retar.js wraps it in the documented retar.inspect / retar.convert API.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"syscall/js"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/retar-dev/retar/check"
	"github.com/retar-dev/retar/convert"
)

func main() {
	js.Global().Set("retarGo", js.ValueOf(map[string]any{
		"inspect": js.FuncOf(func(_ js.Value, args []js.Value) any {
			return promise(func() (any, error) { return inspect(args[0], arg(args, 1)) })
		}),
		"convert": js.FuncOf(func(_ js.Value, args []js.Value) any {
			return promise(func() (any, error) { return convertJS(args[0], arg(args, 1)) })
		}),
		"check": js.FuncOf(func(_ js.Value, args []js.Value) any {
			return promise(func() (any, error) { return checkJS(args[0], arg(args, 1)) })
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
// message is the one line the CLI would print.
func promise(fn func() (any, error)) js.Value {
	var executor js.Func
	executor = js.FuncOf(func(_ js.Value, a []js.Value) any {
		resolve, reject := a[0], a[1]
		go func() {
			defer executor.Release()
			defer func() {
				if r := recover(); r != nil {
					reject.Invoke(js.Global().Get("Error").New(fmt.Sprintf("internal error: %v", r)))
				}
			}()
			v, err := fn()
			if err != nil {
				reject.Invoke(js.Global().Get("Error").New(strings.Join(strings.Fields(err.Error()), " ")))
				return
			}
			resolve.Invoke(v)
		}()
		return nil
	})
	return js.Global().Get("Promise").New(executor)
}

// openInput opens what the page passes: {file: File|Blob, name} for an
// archive, or {files: [{path, file}], name} for a dropped folder.
func openInput(in js.Value) (*convert.Archive, error) {
	name := "input"
	if v := in.Get("name"); v.Type() == js.TypeString {
		name = v.String()
	}
	if files := in.Get("files"); files.Type() == js.TypeObject {
		return convert.Open(convert.Input{Name: name, Dir: newDirFS(files)})
	}
	file := in.Get("file")
	if file.Type() != js.TypeObject {
		return nil, fmt.Errorf("no input: pass {file} or {files}")
	}
	r := newBlobReader(file)
	ra, size, err := decompress(r, name)
	if err != nil {
		return nil, err
	}
	return convert.Open(convert.Input{Name: name, Archive: ra, Size: size})
}

// decompress gives a compressed archive random access by decompressing it
// once into Blob parts (held by the browser, not in wasm memory).
func decompress(r *blobReader, name string) (io.ReaderAt, int64, error) {
	kind := convert.SniffArchive(r)
	switch kind {
	case "":
		return r, r.size, nil
	case "xz":
		return nil, 0, fmt.Errorf("%s: xz-compressed archive: decompress it first (xz -d)", name)
	}
	zr, err := convert.Decompress(kind, io.NewSectionReader(r, 0, r.size), r.size, convert.Limits{}, name)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %s-compressed archive: %w", name, kind, err)
	}
	defer zr.Close()
	sp := newBlobSpill()
	size, err := io.CopyBuffer(sp, zr, make([]byte, 1<<20))
	if err != nil {
		var le *convert.LimitError
		if errors.As(err, &le) {
			return nil, 0, le
		}
		return nil, 0, fmt.Errorf("%s: decompressing: %w", name, err)
	}
	ra, _ := sp.Done()
	return ra, size, nil
}

func inspect(in, opts js.Value) (any, error) {
	a, err := openInput(in)
	if err != nil {
		return nil, err
	}
	var progress func(convert.Progress)
	if opts.Type() == js.TypeObject {
		if f := opts.Get("onProgress"); f.Type() == js.TypeFunction {
			progress = func(p convert.Progress) { f.Invoke(float64(p.Bytes), float64(p.TotalBytes), p.Phase) }
		}
	}
	o := convert.InspectOptions{Host: host(opts), Hashing: hashing(progress, convert.Limits{})}
	if opts.Type() == js.TypeObject {
		if v := opts.Get("pick"); v.Type() == js.TypeString {
			o.Pick = v.String()
		}
	}
	res, err := a.Inspect(context.Background(), o)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	return js.Global().Get("JSON").Call("parse", string(b)), nil
}

// check returns retar check's report: for each loader, whether it takes the
// input, under which names, and why not.
func checkJS(in, opts js.Value) (any, error) {
	a, err := openInput(in)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(check.Archive(a, host(opts)))
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

// hashing uses the page's fast sha256 when it has one. wasm runs on one
// thread, so one blob is hashed at a time.
func hashing(progress func(convert.Progress), lim convert.Limits) convert.Hashing {
	return convert.Hashing{New: newJSHasher(), Parallel: 1, Progress: progress, Limits: lim}
}

// stringArray reads a JS array of strings, trimmed, empty ones dropped.
func stringArray(v js.Value) []string {
	var out []string
	if v.Type() != js.TypeObject {
		return nil
	}
	for i := range v.Length() {
		if s := strings.TrimSpace(v.Index(i).String()); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func str(opts js.Value, key string) string {
	if opts.Type() != js.TypeObject {
		return ""
	}
	if v := opts.Get(key); v.Type() == js.TypeString {
		return v.String()
	}
	return ""
}

// jsOptions maps the JS API's option keys to the option names the core's
// one parser takes (the CLI's flags), so the page accepts and refuses what
// the command line does.
var jsOptions = [][2]string{
	{"to", "to"}, {"name", "name"}, {"tags", "tag"}, {"platforms", "platform"}, {"allPlatforms", "all-platforms"},
	{"ociStrict", "oci-strict"}, {"keepAbsent", "keep-absent"}, {"format", "format"}, {"attestations", "attestations"}, {"compress", "compress"},
	{"compressLevel", "compress-level"}, {"maxExpansion", "max-expansion"}, {"maxExpanded", "max-expanded"},
}

// optionsOf reads the JS options object through convert.Options.Set: a
// string, number or boolean per key, an array for tags and platforms; empty
// strings and null leave an option unset.
func optionsOf(opts js.Value) (convert.Options, error) {
	var o convert.Options
	if opts.Type() != js.TypeObject {
		return o, fmt.Errorf("no options: pass {to: ...}")
	}
	for _, kv := range jsOptions {
		key, name := kv[0], kv[1]
		v := opts.Get(key)
		var values []string
		switch v.Type() {
		case js.TypeString:
			values = []string{v.String()}
		case js.TypeBoolean:
			values = []string{fmt.Sprint(v.Bool())}
		case js.TypeNumber:
			values = []string{fmt.Sprint(v.Float())}
		case js.TypeObject:
			values = stringArray(v)
		}
		for _, s := range values {
			if strings.TrimSpace(s) == "" {
				continue
			}
			if err := o.Set(name, s); err != nil {
				return o, fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	if o.To == "" {
		return o, fmt.Errorf("to: want one of docker-archive, oci-archive, oci or dir")
	}
	o.Pick, o.Host = str(opts, "pick"), host(opts)
	return o, o.Validate()
}

// progressOf calls the page's onProgress(done, total, phase) at most every
// 50 ms, and always at the end of a phase.
func progressOf(opts js.Value) func(phase string, done, total int64) {
	onProgress := js.Undefined()
	if opts.Type() == js.TypeObject {
		onProgress = opts.Get("onProgress")
	}
	last := time.Time{}
	return func(phase string, done, total int64) {
		if onProgress.Type() != js.TypeFunction || time.Since(last) < 50*time.Millisecond && done < total {
			return
		}
		last = time.Now()
		onProgress.Invoke(float64(done), float64(total), phase)
	}
}

// convertJS converts and returns {blob, name, report}.
func convertJS(in, opts js.Value) (any, error) {
	o, err := optionsOf(opts)
	if err != nil {
		return nil, err
	}
	a, err := openInput(in)
	if err != nil {
		return nil, err
	}
	report := progressOf(opts)
	o.Hashing = hashing(func(p convert.Progress) { report(p.Phase, p.Bytes, p.TotalBytes) }, o.Hashing.Limits)
	o.Spill = func() (convert.Spill, error) { return newBlobSpill(), nil }
	plan, err := a.Convert(context.Background(), o)
	if err != nil {
		return nil, err
	}
	total := plan.TarSize()
	var done int64
	sink := newBlobSink(func(n int64) { done += n; report("writing", done, total) })
	if err := plan.WriteTar(sink); err != nil {
		return nil, err
	}
	report("writing", total, total)
	rep, err := json.Marshal(map[string]any{"images": plan.Images, "warnings": plan.Warnings, "layout": plan.Layout})
	if err != nil {
		return nil, err
	}
	return js.ValueOf(map[string]any{
		"blob":   sink.blob("application/x-tar"),
		"name":   outputName(str(in, "name"), o.To),
		"report": js.Global().Get("JSON").Call("parse", string(rep)),
	}), nil
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
