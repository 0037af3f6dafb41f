//go:build js && wasm

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall/js"
	"unicode/utf8"

	"github.com/opencontainers/go-digest"
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
		if isDigestList(head) {
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

// isDigestList tells a list of digests from an archive by its first 512
// bytes: empty (the far side holds nothing), or text that starts with a
// digest, "diff_id", ctr's DIGEST header or a JSON object.
func isDigestList(head []byte) bool {
	head = bytes.TrimLeft(head, " \t\r\n")
	if len(head) == 0 {
		return true
	}
	for _, p := range []string{"{", "sha256:", "sha384:", "sha512:", "diff_id ", "DIGEST"} {
		if bytes.HasPrefix(head, []byte(p)) {
			return true
		}
	}
	return false
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
	line    int    // 0: the list as a whole
	page    string
	err     error
	neither bool // text, but no list: nor is it an archive
}

func (e *listError) Error() string {
	switch {
	case e.name == "":
		return e.err.Error()
	case e.line > 0:
		return fmt.Sprintf("%s line %d: %v", e.name, e.line, e.err)
	}
	return fmt.Sprintf("%s: %v", e.name, e.err)
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

// badLine is a line of a list (0: an entry of its JSON) that is not a
// digest.
func badLine(name string, line int, field string, err error) *listError {
	page := fmt.Sprintf("%q is not a digest", truncate(field, 40))
	if line > 0 {
		page = fmt.Sprintf("line %d, %q, is not a digest", line, truncate(field, 40))
	}
	return &listError{name: name, line: line, err: fmt.Errorf("%q is not a digest (%v)", field, err), page: page}
}

// readDigestList reads a list of digests: a digest a line, "diff_id
// DIGEST" for a layer known by its uncompressed digest; further fields
// (ctr content ls without -q), a DIGEST header line and # comments are
// skipped; or the JSON retar digests --json prints.
func readDigestList(name string, r io.Reader, h *convert.Holdings) error {
	br := bufio.NewReader(r)
	if b, _ := br.Peek(1); len(b) == 1 && b[0] == '{' {
		return readDigestJSON(name, br, h)
	}
	sc := bufio.NewScanner(br)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		diff := len(fields) > 1 && fields[0] == "diff_id"
		if diff {
			fields = fields[1:]
		}
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") || line == 1 && fields[0] == "DIGEST" {
			continue
		}
		d, err := digest.Parse(fields[0])
		if err != nil {
			return badLine(name, line, fields[0], err)
		}
		if diff {
			h.AddDiffID(d)
		} else {
			h.AddDigest(d)
		}
	}
	if err := sc.Err(); err != nil {
		return &listError{name: name, err: err, page: stripPackages(err.Error())}
	}
	return nil
}

// digestsDoc is what retar digests --json prints.
type digestsDoc struct {
	SchemaVersion int                `json:"schemaVersion"`
	Blobs         []convert.HeldBlob `json:"blobs"`
	DiffIDs       []digest.Digest    `json:"diffIDs"`
}

// readDigestJSON reads what retar digests --json prints.
func readDigestJSON(name string, r io.Reader, h *convert.Holdings) error {
	var doc digestsDoc
	if err := json.NewDecoder(io.LimitReader(r, 256<<20)).Decode(&doc); err != nil {
		return &listError{name: name, err: fmt.Errorf("not a JSON list of digests: %v", err), page: "its JSON is not a list of digests"}
	}
	if doc.SchemaVersion != 1 {
		return &listError{name: name, err: fmt.Errorf("schemaVersion %d; retar reads 1", doc.SchemaVersion),
			page: fmt.Sprintf("its JSON is of version %d, and this page reads version 1", doc.SchemaVersion)}
	}
	for _, b := range doc.Blobs {
		if err := b.Digest.Validate(); err != nil {
			return badLine(name, 0, string(b.Digest), err)
		}
		h.AddDigest(b.Digest)
	}
	for _, d := range doc.DiffIDs {
		if err := d.Validate(); err != nil {
			return badLine(name, 0, string(d), err)
		}
		h.AddDiffID(d)
	}
	return nil
}
