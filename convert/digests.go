package convert

import (
	"context"

	"github.com/opencontainers/go-digest"
)

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
