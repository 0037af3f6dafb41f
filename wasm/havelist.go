//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall/js"
	"unicode/utf8"

	"github.com/retar-dev/retar/convert"
)

// What the far side has, for a delta (convert's opts.since), read as the
// command line reads --since HAVE: a list of digests (what retar digests
// prints, its --json, ctr content ls -q), told from an archive by its first
// bytes, or an archive or folder, whose blobs are listed. The command
// line's reader takes a path (cli/delta.go); this one a File, by the same
// rules.

// readSince reads opts.since (an array of inputs or handles) into h.
func readSince(opts js.Value, lim convert.Limits, h *convert.Holdings) error {
	haves := sinceArray(opts)
	if haves.IsUndefined() {
		return nil
	}
	for i := range haves.Length() {
		if err := readHave(haves.Index(i), opts, lim, h); err != nil {
			return err
		}
	}
	return nil
}

// sinceArray is opts.since when it is a non-empty array, else undefined.
func sinceArray(opts js.Value) js.Value {
	if opts.Type() != js.TypeObject {
		return js.Undefined()
	}
	v := opts.Get("since")
	if v.Type() != js.TypeObject || v.Length() == 0 {
		return js.Undefined()
	}
	return v
}

// readHave adds what one input the far side has holds to h. A text file
// that is no list is neither a list nor an archive: the page says so of
// its first line.
func readHave(in, opts js.Value, lim convert.Limits, h *convert.Holdings) error {
	var head []byte
	if in.Type() == js.TypeObject && in.Get("file").Type() == js.TypeObject {
		r := newBlobReader(in.Get("file"))
		name := str(in, "name")
		head = make([]byte, 512)
		n, _ := r.ReadAt(head, 0)
		head = head[:n]
		if convert.IsDigestList(head) {
			return named(name, readDigestList(name, io.NewSectionReader(r, 0, r.size), h))
		}
	}
	a, name, err := archiveOf(in, opts, lim)
	if err != nil && errors.Is(err, convert.ErrNotTar) && isText(head) {
		first, _, _ := strings.Cut(strings.TrimSpace(string(head)), "\n")
		err = &listError{err: err, neither: true, page: fmt.Sprintf("it is text, but its first line, %q, is not a digest", truncate(strings.TrimSpace(first), 40))}
	}
	if err != nil {
		return named(name, err)
	}
	return named(name, a.Holdings(context.Background(), h))
}

// isText says whether head reads as text: UTF-8, no NUL (a tar header has
// them; a compressed stream is binary).
func isText(head []byte) bool {
	return len(head) > 0 && utf8.Valid(head) && !bytes.ContainsRune(head, 0)
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// A listError is a list of digests with a line (or JSON) that is not one:
// err is the command line's words, page the page's.
type listError struct {
	name    string // "": err names the file already
	page    string
	err     error
	neither bool // text, but no list: nor is it an archive
}

func (e *listError) Error() string {
	var le *convert.DigestListError
	switch {
	case e.name == "":
		return e.err.Error()
	case errors.As(e.err, &le):
		return le.Prefix(e.name) + e.err.Error() // as the command line says it
	}
	return e.name + ": " + e.err.Error()
}

func (e *listError) Unwrap() error { return e.err }

// explainList says, of a list of digests that is not one, where and why.
func explainList(err error, name string) (kind, summary string, ok bool) {
	var le *listError
	if !errors.As(err, &le) {
		return "", "", false
	}
	what := "is not a list of what archives hold"
	if le.neither {
		what = "is neither a list of what archives hold nor an image archive"
	}
	return "list", fmt.Sprintf("%s %s: %s. Make the list again on the machine that has the archives.", name, what, le.page), true
}

// readDigestList reads a list of digests (convert.ReadDigestList), its
// faults said in both the command line's words and the page's.
func readDigestList(name string, r io.Reader, h *convert.Holdings) error {
	err := convert.ReadDigestList(r, h)
	var le *convert.DigestListError
	if !errors.As(err, &le) {
		return err
	}
	var page string
	switch {
	case le.Line > 0:
		page = fmt.Sprintf("line %d, %q, is not a digest", le.Line, truncate(le.Field, 40))
	case le.Field != "":
		page = fmt.Sprintf("%q is not a digest", truncate(le.Field, 40))
	case le.Version != 0:
		page = fmt.Sprintf("its JSON is of version %d, and this page reads version 1", le.Version)
	case le.JSON:
		page = "its JSON is not a list of digests"
	default:
		page = stripPackages(le.Err.Error())
	}
	return &listError{name: name, err: le, page: page}
}
