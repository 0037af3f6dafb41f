// What an output is made of, below the plan that lists it and the checks
// that read it back: its entries, and the Sink they are written to.

package convert

import (
	"archive/tar"
	"context"
	"errors"
	"io"
)

// Entry is one file, directory or symlink of an output.
type Entry struct {
	Name     string // slash-separated, relative
	Type     byte   // tar.TypeReg, tar.TypeDir or tar.TypeSymlink
	Linkname string
	Size     int64

	data []byte
	blob *Blob
}

// Mode is the fixed permission of an entry, so outputs are reproducible.
func (e *Entry) Mode() int64 {
	switch e.Type {
	case tar.TypeDir:
		return 0o755
	case tar.TypeSymlink:
		return 0o777
	}
	return 0o644
}

// Bytes is the content of an entry retar wrote (JSON, version files), or nil
// for content copied from the source.
func (e *Entry) Bytes() []byte {
	if e.blob != nil {
		return e.blob.data
	}
	return e.data
}

// Made is the whole of what a Spill received for an entry whose content
// retar made (a re-encoded layer), as Spill.Done returned it, already hashed
// as it was written; nil for any other entry. A sink that can give the file
// that Spill wrote another name (a link beside it) need not copy it.
func (e *Entry) Made() io.ReaderAt {
	if e.blob == nil {
		return nil
	}
	return e.blob.spill
}

// Sink receives an output archive, or one file of an output directory.
type Sink interface {
	io.Writer
	// CopyRange appends n bytes of r from off. Sinks that can do so without
	// passing the bytes through memory (copy_file_range, Blob.slice) do.
	CopyRange(r io.ReaderAt, off, n int64) error
}

// WriterSink makes a Sink of any writer by copying ranges through memory.
type WriterSink struct{ io.Writer }

func (w WriterSink) CopyRange(r io.ReaderAt, off, n int64) error {
	c, err := io.Copy(w.Writer, io.NewSectionReader(r, off, n))
	if err == nil && c != n {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// copyFailed says which blob a copy failed in, unless the error says so
// already or the copy was interrupted.
func copyFailed(b *Blob, err error) error {
	if err != nil && !errors.Is(err, context.Canceled) {
		var le *LayoutError
		var de *DigestError
		if !errors.As(err, &le) && !errors.As(err, &de) {
			return &LayoutError{Source: b.origin, Path: b.Path, Reason: "copy: " + err.Error(), Err: err}
		}
	}
	return err
}
