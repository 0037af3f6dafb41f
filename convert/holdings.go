package convert

import (
	"maps"
	"slices"

	"github.com/opencontainers/go-digest"
)

// Holdings are what a place holds, by digest: the blobs of one or more
// sources (with their bytes, to fill a delta from), or a list of digests
// read from a file (what the far side of an air gap says it has). Layers
// may be known by diff_id only: docker's classic store keeps layers
// uncompressed, and lists them so.
type Holdings struct {
	blobs   map[digest.Digest]*HeldBlob
	diffIDs map[digest.Digest]bool
}

// HeldBlob is one blob of Holdings: its size and type where a source says
// them (a digest list does not), and its bytes where a source holds them.
type HeldBlob struct {
	Digest    digest.Digest `json:"digest"`
	Size      int64         `json:"size,omitempty"`
	MediaType string        `json:"mediaType,omitempty"`
	// DiffID is a layer's uncompressed digest, as its config lists it.
	DiffID digest.Digest `json:"diffID,omitempty"`

	source string
	blob   *Blob
}

// NewHoldings is an empty set, to add digests and sources to.
func NewHoldings() *Holdings {
	return &Holdings{blobs: map[digest.Digest]*HeldBlob{}, diffIDs: map[digest.Digest]bool{}}
}

// AddDigest records a blob known by digest only.
func (h *Holdings) AddDigest(d digest.Digest) {
	if h.blobs[d] == nil {
		h.blobs[d] = &HeldBlob{Digest: d}
	}
}

// AddDiffID records a layer known by its uncompressed digest only.
func (h *Holdings) AddDiffID(d digest.Digest) { h.diffIDs[d] = true }

// Blobs are the blobs held, by digest.
func (h *Holdings) Blobs() []HeldBlob {
	var out []HeldBlob
	for _, d := range slices.Sorted(maps.Keys(h.blobs)) {
		out = append(out, *h.blobs[d])
	}
	return out
}

// DiffIDs are the diff_ids of the layers held, sorted.
func (h *Holdings) DiffIDs() []digest.Digest { return slices.Sorted(maps.Keys(h.diffIDs)) }

// Len is the number of blobs held.
func (h *Holdings) Len() int { return len(h.blobs) }

// holds reports whether the far side has a blob's bytes: the blob itself,
// or, for a plain tar layer, its diff_id (the same bytes, since an
// uncompressed layer's digest is its diff_id). A compressed layer known by
// its diff_id only is not held: its compressed bytes cannot be rebuilt.
func (h *Holdings) holds(d digest.Digest) bool { return h.blobs[d] != nil || h.diffIDs[d] }

// bytesOf is the held blob whose bytes are there to copy, or nil.
func (h *Holdings) bytesOf(d digest.Digest) *HeldBlob {
	if hb := h.blobs[d]; hb != nil && hb.blob != nil {
		return hb
	}
	return nil
}
