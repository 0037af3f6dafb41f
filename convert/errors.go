package convert

import (
	"errors"
	"fmt"
	"strconv"
	"unicode"

	"github.com/opencontainers/go-digest"
)

// Sentinel errors, for errors.Is; the concrete errors below carry the file and blob.
var (
	ErrDigestMismatch = errors.New("digest mismatch")
	ErrMissingBlob    = errors.New("blob not in the source")
	ErrLayout         = errors.New("invalid layout")
	ErrCompressed     = errors.New("compressed archive")
	ErrUsage          = errors.New("invalid option")
)

// DigestError reports content that does not hash to the digest it is known by.
type DigestError struct {
	Source string // the archive or directory
	Blob   string // the file inside it
	What   string // "digest", "diff_id", "size"
	Want   string
	Got    string
}

func (e *DigestError) Error() string {
	what := e.What
	if what == "" {
		what = "digest"
	}
	return fmt.Sprintf("%s: %s: %s mismatch: expected %s, got %s", e.Source, printable(e.Blob), what, e.Want, e.Got)
}

// printable quotes a name from an archive when it holds characters that
// would break an error's single line or reach a terminal as controls.
func printable(s string) string {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

func (e *DigestError) Unwrap() error { return ErrDigestMismatch }

// LayoutError reports a layout that is malformed, unsafe or unsupported.
type LayoutError struct {
	Source string
	Path   string // the file concerned, "" for the source as a whole
	Reason string
	Err    error // a cause, if any
}

func (e *LayoutError) Error() string {
	s := e.Source
	if e.Path != "" {
		s += ": " + printable(e.Path)
	}
	return s + ": " + e.Reason
}

func (e *LayoutError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrLayout, e.Err}
	}
	return []error{ErrLayout}
}

// MissingError reports a blob that a manifest references but the source does not hold.
type MissingError struct {
	Source string
	Digest digest.Digest
	By     string // what references it
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("%s: %s (referenced by %s) is not in the source", e.Source, e.Digest, e.By)
}

func (e *MissingError) Unwrap() error { return ErrMissingBlob }
