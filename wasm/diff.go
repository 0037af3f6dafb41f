//go:build js && wasm

package main

import (
	"context"
	"strings"
	"syscall/js"

	"github.com/retar-dev/retar/imagediff"
)

// diffJS is retar diff's report on two inputs (each a handle or an input
// opened for this call): the JSON of --json, and its text as "text".
// opts: {files, pickA, pickB} and the limits every call takes.
func diffJS(a, b, opts js.Value) (any, error) {
	lim, err := limitsOf(opts)
	if err != nil {
		return nil, err
	}
	archA, nameA, err := archiveOf(a, opts, lim)
	if err != nil {
		return nil, err
	}
	archB, nameB, err := archiveOf(b, opts, lim)
	if err != nil {
		return nil, err
	}
	files := opts.Type() == js.TypeObject && opts.Get("files").Truthy()
	r, err := imagediff.Compare(context.Background(),
		imagediff.Source{Archive: archA, Name: nameA, Pick: str(opts, "pickA")},
		imagediff.Source{Archive: archB, Name: nameB, Pick: str(opts, "pickB")},
		imagediff.Options{Files: files, Limits: lim})
	if err != nil {
		return nil, err
	}
	var text strings.Builder
	if err := r.WriteText(&text); err != nil {
		return nil, err
	}
	v, err := toJS(r)
	if err != nil {
		return nil, err
	}
	v.(js.Value).Set("text", text.String())
	return v, nil
}
