//go:build js && wasm

package main

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/retar-dev/retar/check"
	"github.com/retar-dev/retar/convert"
)

// A fieldError is a refusal of what one option asked for: the option of
// the JS API (name, tags, platforms, pick) and so the page's field that
// sets it (Name, Extra names, Platform, Image), where the page shows it.
// Its message stays the core's.
type fieldError struct {
	Field   string // the JS option: "name", "tags", "platforms", "pick"
	Value   string // what it held, if one value is at fault
	Summary string // in the page's words, naming its field
	Err     error
}

func (e *fieldError) Error() string { return e.Err.Error() }
func (e *fieldError) Unwrap() error { return e.Err }

// fieldOf is the option an error is about, "" for none.
func fieldOf(err error) string {
	var fe *fieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}

// badName is the refusal of a name typed in Name or Extra names.
func badName(field, value string, err error) *fieldError {
	return &fieldError{Field: field, Value: value, Err: err, Summary: fmt.Sprintf(
		"%q is not an image name: write it as a registry, a repository and a tag, in lowercase and without spaces, like quay.io/me/app:1.", value)}
}

// explain says what went wrong in a user's words, for the page: a kind
// (for code) and a summary (for people). Where the command line says the
// same (an input that is no image archive, or is cut short), the words are
// check's table's (check/say.go), the page's of them. The error's message stays the
// CLI's line, with its detail; the page shows it behind a toggle.
func explain(err error, name string) (kind, summary string) {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	named := name
	if name == "" {
		name = "The file"
	}
	var (
		de *convert.DigestError
		se *convert.SizeError
		me *convert.MissingError
		le *convert.LimitError
		lo *convert.LayoutError
		fe *fieldError
	)
	compressed := regexp.MustCompile(`\b(gzip|zstd|bzip2)-compressed archive`).FindStringSubmatch(msg)
	switch {
	case errors.As(err, &fe) && fe.Summary != "":
		return "options", fe.Summary
	case strings.Contains(msg, "xz-compressed archive"):
		return "unsupported", fmt.Sprintf("%s is xz-compressed, which retar cannot read in the browser: decompress it first (xz -d, or 7-Zip), then choose the .tar.", name)
	case compressed != nil && badStream.MatchString(msg):
		return "damaged", fmt.Sprintf("%s is %s-compressed, but its compressed data is damaged: it does not decompress. Get a new copy of it.", name, compressed[1])
	case errors.Is(err, convert.ErrNotTar) && compressed != nil:
		return "not-archive", check.NotAnImageArchive(name, "it is "+compressed[1]+"-compressed, but what it holds is not a tar file", "").Page
	case errors.Is(err, convert.ErrNotTar):
		return "not-archive", check.NotAnImageArchive(name, "it is not a tar file", "").Page
	case errors.As(err, &de):
		return "damaged", fmt.Sprintf("%s is damaged: the content of %s is not what its digest says. Get a new copy of the archive.", name, de.Blob)
	case errors.As(err, &se):
		return "damaged", fmt.Sprintf("%s is damaged: a file in it is not the size its manifest says. Get a new copy of the archive.", name)
	case strings.Contains(msg, "truncated"):
		return "truncated", check.CutShort(name).Page
	case errors.As(err, &me) || errors.Is(err, convert.ErrMissingBlob):
		return "incomplete", fmt.Sprintf("%s is incomplete: it refers to content it does not hold.", name)
	case errors.Is(err, convert.ErrUnsafePath):
		return "unsafe", fmt.Sprintf("%s holds a file whose path leaves the archive's folder; retar refuses such archives.", name)
	case errors.As(err, &le) && le.What == named: // the archive itself, not a layer
		return "limit", fmt.Sprintf("%s is too large once decompressed (%s); retar stops there to keep the tab alive.", name, withoutFlags(le.Reason))
	case errors.As(err, &le):
		return "limit", fmt.Sprintf("A layer of %s decompresses to far more than its size (%s); retar stops there to keep the tab alive.", name, withoutFlags(le.Reason))
	case errors.Is(err, convert.ErrUsage):
		return "options", upperFirst(strings.TrimSuffix(stripPackages(msg), "."))
	case strings.Contains(msg, "reading bytes") || strings.Contains(msg, "NotReadableError") || strings.Contains(msg, "NotFoundError"):
		return "read", fmt.Sprintf("The browser could not read %s: it may have been moved or changed since it was chosen. Choose it again.", name)
	case errors.As(err, &lo):
		reason := stripPackages(lo.Reason)
		if reason == "" {
			reason = "its files are not a layout retar knows"
		}
		return "layout", fmt.Sprintf("%s is not an image archive retar can read: %s.", name, strings.TrimSuffix(reason, "."))
	case strings.Contains(msg, "not a container image") || errors.Is(err, convert.ErrLayout):
		return "layout", fmt.Sprintf("%s is a tar file, but not a container image: it has neither a manifest.json nor an OCI index.json.", name)
	}
	rest := strings.TrimPrefix(msg, name+": ")
	return "other", upperFirst(strings.TrimSuffix(stripPackages(rest), "."))
}

// badStream is what Go's decompressors say of a damaged stream.
var badStream = regexp.MustCompile(`flate: corrupt|gzip: invalid|zstd: |bzip2 data invalid|bzip2: |unexpected EOF|invalid checksum|magic number mismatch`)

// goPackage is a Go package's prefix on an error ("archive/tar: "), which
// says nothing to someone using the page.
var goPackage = regexp.MustCompile(`\b(?:archive/tar|compress/\w+|archive/zip|encoding/json|tar|gzip|flate|zlib|zstd|bzip2|json|io|fs|os|http|internal error): `)

func stripPackages(s string) string { return goPackage.ReplaceAllString(s, "") }

// A limit's reason names the CLI's flag that sets it, "(--max-expanded)"
// or "(the limit is 8 times, --max-expansion)"; the page has no such flag.
var (
	flagAside = regexp.MustCompile(` ?\(--[a-z-]+\)`)
	flagTail  = regexp.MustCompile(`, --[a-z-]+\)`)
)

func withoutFlags(s string) string {
	return flagTail.ReplaceAllString(flagAside.ReplaceAllString(s, ""), ")")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}
