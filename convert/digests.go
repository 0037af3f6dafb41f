package convert

import (
	"context"
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

// Holdings lists every blob the source holds the bytes of (manifests,
// configs, layers, referrers; not the manifest retar derives for a
// docker-archive image) and the diff_id of each layer it holds, adding them
// to h. Digests are those the source claims (file names, the config's
// diff_ids for a docker-archive's plain layers): nothing is hashed but the
// layers of a v1 chain, whose digests nothing else says; a conversion or
// Verify checks them.
func (a *Archive) Holdings(ctx context.Context, h *Holdings) error {
	if err := a.resolve(ctx, a.Images, a.hashing, true); err != nil {
		return err
	}
	for _, img := range a.Images {
		err := walkAll(img.root, img.Referrers, func(n *Node) error {
			a.hold(h, n)
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// hold adds n's blob to h where the source holds its bytes, and a
// manifest's layers' diff_ids where it holds those layers.
func (a *Archive) hold(h *Holdings, n *Node) {
	if n.Blob != nil && n.Blob.Path != "" && h.bytesOf(n.Desc.Digest) == nil {
		h.blobs[n.Desc.Digest] = &HeldBlob{Digest: n.Desc.Digest, Size: n.Desc.Size, MediaType: n.Desc.MediaType, source: a.Source, blob: n.Blob}
	}
	for i, l := range n.layers() {
		if l.Blob == nil || l.Blob.Path == "" {
			continue
		}
		if diff := layerDiffID(n, i); diff != "" {
			h.diffIDs[diff] = true
			if hb := h.blobs[l.Desc.Digest]; hb != nil && hb.blob == l.Blob {
				hb.DiffID = diff
			}
		}
	}
}

// layerDiffID is the diff_id a manifest's config gives its layer i, or "".
func layerDiffID(n *Node, i int) digest.Digest {
	cfg := n.config()
	if cfg == nil || cfg.Config == nil || !isImageManifest(n) || i >= len(cfg.Config.RootFS.DiffIDs) {
		return ""
	}
	return cfg.Config.RootFS.DiffIDs[i]
}
