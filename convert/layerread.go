package convert

import (
	"context"
	"io"

	"github.com/opencontainers/go-digest"
)

// ReadLayer streams a layer's tar, decompressed, to fn: the blob is read
// once, through the same checks as verifying (size, digest, and the diff_id
// its decompressed bytes hash to), so a report built from fn's reading is
// of content that verified. What fn leaves unread is read to the end here;
// a check that fails after fn returned nil is the error returned. Memory
// stays flat: nothing of the layer is held.
func (a *Archive) ReadLayer(ctx context.Context, n *Node, lim Limits, fn func(tar io.Reader) error) error {
	b := n.Blob
	if b == nil {
		return &MissingError{Source: a.Source, Digest: n.Desc.Digest, By: "a manifest's layers"}
	}
	r, err := a.readBlob(ctx, b, Hashing{Limits: lim}, nil)
	if err != nil {
		return err
	}
	defer r.Close()
	c := b.compression
	dec, err := Decompress(c.String(), r, b.Size, lim, a.blobName(b))
	if err != nil {
		return a.decompressError(b, c, err)
	}
	defer dec.Close()
	dh := b.diffAlgorithm().Digester()
	tee := io.TeeReader(dec, dh.Hash())
	ferr := fn(tee)
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return a.decompressError(b, c, err)
	}
	if _, err := io.Copy(io.Discard, r); err != nil { // bytes after the compressed stream
		return a.readError(b, err)
	}
	var diff digest.Digest
	if c != Uncompressed {
		diff = dh.Digest()
	}
	if err := r.finish(diff); err != nil {
		return err
	}
	return ferr
}
