//go:build !linux

package cli

import (
	"context"
	"io"

	"github.com/opencontainers/go-digest"
)

// Files are mapped on Linux only; elsewhere blobs are read.
var (
	mappedSum  func(ctx context.Context, r io.ReaderAt, off, n int64, alg digest.Algorithm, progress func(int64)) (digest.Digest, bool, error)
	mappedFeed func(ctx context.Context, w io.Writer, r io.ReaderAt, off, n int64) (bool, error)
)
