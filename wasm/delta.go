//go:build js && wasm

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"syscall/js"

	"github.com/opencontainers/go-digest"
	"github.com/retar-dev/retar/convert"
)

// digestsJS is what the inputs hold, as retar digests prints it: "text",
// byte for byte the command's output (every blob digest a line, sorted,
// then "diff_id <digest>" per layer), and the fields of its --json
// (schemaVersion, blobs, diffIDs). inputs: an array of inputs or handles.
func digestsJS(inputs, opts js.Value) (any, error) {
	lim, err := limitsOf(opts)
	if err != nil {
		return nil, err
	}
	if inputs.Type() != js.TypeObject || inputs.Length() == 0 {
		return nil, fmt.Errorf("no input: pass an array of {file} or {files}")
	}
	h := convert.NewHoldings()
	for i := range inputs.Length() {
		a, name, err := archiveOf(inputs.Index(i), opts, lim)
		if err != nil {
			return nil, named(name, err)
		}
		if err := a.Holdings(context.Background(), h); err != nil {
			return nil, named(name, err)
		}
	}
	var text strings.Builder
	blobs := h.Blobs()
	for _, b := range blobs {
		fmt.Fprintln(&text, b.Digest)
	}
	diffIDs := h.DiffIDs()
	for _, d := range diffIDs {
		fmt.Fprintln(&text, "diff_id", d)
	}
	if blobs == nil {
		blobs = []convert.HeldBlob{}
	}
	if diffIDs == nil {
		diffIDs = []digest.Digest{}
	}
	v, err := toJS(map[string]any{"schemaVersion": 1, "blobs": blobs, "diffIDs": diffIDs})
	if err != nil {
		return nil, err
	}
	v.(js.Value).Set("text", text.String())
	return v, nil
}

// sourceWithBases is what a conversion reads: ref, or, with opts.bases
// (archives the page holds, an array of inputs or handles), ref opened
// anew with their blobs to fill in what it left out, as the command line's
// --base does. A delta whose left-out blobs no base holds is refused here,
// before anything is written.
func sourceWithBases(ref, opts js.Value, lim convert.Limits) (*convert.Archive, string, error) {
	bases := js.Undefined()
	if opts.Type() == js.TypeObject {
		bases = opts.Get("bases")
	}
	if bases.Type() != js.TypeObject || bases.Length() == 0 {
		return archiveOf(ref, opts, lim)
	}
	h := convert.NewHoldings()
	var names []string
	for i := range bases.Length() {
		b, name, err := archiveOf(bases.Index(i), opts, lim)
		if err != nil {
			return nil, "", named(name, err)
		}
		if err := b.Holdings(context.Background(), h); err != nil {
			return nil, "", named(name, err)
		}
		names = append(names, name)
	}
	in := inputOf(ref)
	a, err := openInputWith(in, newReporter(opts), lim, h)
	if err != nil {
		return nil, "", err
	}
	if err := a.CheckBase(names); err != nil {
		return nil, "", err
	}
	return a, str(in, "name"), nil
}

// inputOf is what ref was opened from: ref itself, or a handle's input.
func inputOf(ref js.Value) js.Value {
	if ref.Type() != js.TypeNumber {
		return ref
	}
	handlesMu.Lock()
	defer handlesMu.Unlock()
	if h := handles[ref.Int()]; h != nil {
		return h.in
	}
	return js.Undefined()
}

// A namedError is one input's error in a call that reads several (a
// delta's bases): the page names that input, not the call's first.
type namedError struct {
	name string
	err  error
}

func (e *namedError) Error() string { return e.err.Error() }
func (e *namedError) Unwrap() error { return e.err }

func named(name string, err error) error {
	if name == "" || err == nil {
		return err
	}
	return &namedError{name: name, err: err}
}

// errorName is the name an error's summary gives: the input it names, or
// the call's.
func errorName(err error, name string) string {
	var ne *namedError
	if errors.As(err, &ne) {
		return ne.name
	}
	var de *convert.DigestError
	if errors.As(err, &de) && de.Source != "" && name != "" && de.Source != name {
		return de.Source // a base's blob, taken into a delta
	}
	return name
}

// explainBase says, of a delta a base does not complete, what to add.
func explainBase(err error, name string) (kind, summary string, ok bool) {
	var lo *convert.LayoutError
	if !errors.Is(err, convert.ErrBaseLacks) || !errors.As(err, &lo) {
		return "", "", false
	}
	what := strings.TrimSuffix(lo.Reason, ".")
	if m := leftOut.FindStringSubmatch(lo.Reason); m != nil {
		what = fmt.Sprintf("%s %s (%s bytes)", m[1], m[2], m[3])
		if m[4] != "" {
			what += " and " + m[4] + " more"
		}
		what += ", which none of the archives you already have holds (" + m[5] + ")"
	}
	return "base", fmt.Sprintf("%s is an update that leaves out %s: add the archive the update was made against.", name, what), true
}

// leftOut reads CheckBase's reason: what the delta left out, how many more,
// and the bases given.
var leftOut = regexp.MustCompile(`left out (\w+) (\S+) \((\d+) bytes\)(?: \(and (\d+) more\))?, and no base holds it \((.*)\)$`)

// deltaOptions makes o a delta's when opts.since is given (filled in by
// readSince once the options are judged, as the command line reads HAVE
// once DST is): --since and --base, one makes a delta and one applies it.
func deltaOptions(o *convert.Options, opts js.Value) error {
	if sinceArray(opts).IsUndefined() {
		return nil
	}
	if b := opts.Get("bases"); b.Type() == js.TypeObject && b.Length() > 0 {
		return fmt.Errorf("since makes an update and bases applies one: give one of them%.0w", convert.ErrUsage)
	}
	o.Since = convert.NewHoldings()
	return nil
}

// deltaOf is what a delta's plan left out, from the DeltaFile it writes:
// {absent: [{digest, size, mediaType, diffID}], absentBytes}.
func deltaOf(plan *convert.Plan) (any, error) {
	for i := range plan.Entries {
		if e := &plan.Entries[i]; e.Name == convert.DeltaFile {
			var rec convert.DeltaRecord
			if err := json.Unmarshal(e.Bytes(), &rec); err != nil {
				return nil, err
			}
			v, err := toJS(map[string]any{"absent": rec.Absent, "absentBytes": rec.AbsentBytes()})
			return v, err
		}
	}
	return nil, fmt.Errorf("internal error: a delta without %s", convert.DeltaFile)
}
