package convert

import (
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"
	"github.com/retar-dev/retar/tarfs"
)

// Errors are values: each failure is one of these families, for errors.Is,
// and the concrete errors below carry the source, the file and the blob. The
// CLI's one line and exit status come from them.
var (
	ErrDigestMismatch = errors.New("digest mismatch")
	ErrSizeMismatch   = errors.New("size mismatch")
	ErrMissingBlob    = errors.New("blob not in the source")
	ErrLayout         = errors.New("invalid layout")
	ErrCompressed     = errors.New("compressed archive")
	ErrUnsafePath     = tarfs.ErrUnsafe
	ErrNotTar         = tarfs.ErrNotTar
	ErrLimit          = errors.New("over a limit")

	// Usage: what the user asked for cannot be done with this source.
	ErrUsage       = errors.New("invalid option")
	ErrNoPlatform  = fmt.Errorf("no such platform%.0w", ErrUsage)
	ErrAmbiguous   = fmt.Errorf("ambiguous name%.0w", ErrUsage)
	ErrNoSuchImage = fmt.Errorf("no such image%.0w", ErrUsage)
)

// errNotImage marks an artifact (a Helm chart, a signature, an SBOM) where
// a destination takes container images only.
var errNotImage = errors.New("not a container image")

// The Source of each error is a string, the archive's name: it shares only
// its word with the Source a conversion takes (archive.go, above).

// DigestError reports content that does not hash to the digest it is known
// by: its digest, or a layer's diff_id.
type DigestError struct {
	Source string // the archive or directory
	Blob   string // the file inside it
	What   string // "digest" or "diff_id"
	Want   digest.Digest
	Got    digest.Digest
}

func (e *DigestError) Error() string {
	what := e.What
	if what == "" {
		what = "digest"
	}
	return fmt.Sprintf("%s: %s: %s mismatch: expected %s, got %s", e.Source, printable(e.Blob), what, e.Want, e.Got)
}

func (e *DigestError) Unwrap() error { return ErrDigestMismatch }

// SizeError reports a blob whose size is not the one its descriptor gives.
type SizeError struct {
	Source string
	Blob   string
	Want   int64
	Got    int64
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("%s: %s: size mismatch: expected %d, got %d", e.Source, printable(e.Blob), e.Want, e.Got)
}

func (e *SizeError) Unwrap() error { return ErrSizeMismatch }

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

// LimitError reports a stream that went past a limit.
type LimitError struct {
	What   string // the stream: "image.tar: blobs/sha256/..."
	Reason string
}

func (e *LimitError) Error() string { return e.What + ": " + e.Reason }
func (e *LimitError) Unwrap() error { return ErrLimit }
