package convert

import (
	"context"
	"fmt"
)

// VerifyReport is what Verify found.
type VerifyReport struct {
	Images []PlannedImage
	Blobs  int   // blobs hashed
	Bytes  int64 // bytes hashed
	Absent []string
}

// Verify checks everything the source claims: every blob against its digest
// and size, every layer against its config's diff_id (compressed layers are
// decompressed for it), every reference resolved. Manifests an index lists but
// the archive lacks are reported as absent, not as corruption.
func (a *Archive) Verify(ctx context.Context, h Hashing) (*VerifyReport, error) {
	h.Deep = true
	if err := a.resolve(ctx, a.Images, h, false); err != nil {
		return nil, err
	}
	r := &VerifyReport{}
	var blobs []*Blob
	seen := map[*Blob]bool{}
	for _, d := range a.Dangling {
		return nil, a.errorf("index.json", "%s (a %s) refers to %s, which is not in the source", d.Desc.Digest, ReferrerKind(d), subjectDigest(d))
	}
	for _, img := range a.Images {
		if err := a.checkSubjects(img); err != nil {
			return nil, err
		}
		err := walkAll(img.root, img.Referrers, func(n *Node) error {
			if n.Blob == nil {
				if n.Index == nil && n.Manifest == nil {
					r.Absent = append(r.Absent, fmt.Sprintf("%s %s (%s)", n.Desc.Digest, n.Desc.MediaType, PlatformString(n.Desc.Platform)))
				}
				return nil
			}
			if !seen[n.Blob] {
				seen[n.Blob] = true
				blobs = append(blobs, n.Blob)
				r.Bytes += n.Blob.Size
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		// An OCI layout may be sparse: what it lacks is listed as absent,
		// with a notice, not a failure.
		var ws []string
		if err := a.checkComplete(img.root, &ws, a.Layout.facts(Options{}).sparse, false); err != nil {
			return nil, err
		}
		a.Warnings = append(a.Warnings, ws...)
		var names []string
		for _, n := range img.Names {
			names = append(names, n.String())
		}
		r.Images = append(r.Images, PlannedImage{Names: names, Digest: img.root.Desc.Digest.String(), MediaType: img.root.Desc.MediaType})
	}
	r.Blobs = len(blobs)
	if err := a.hashBlobs(ctx, blobs, h); err != nil {
		return nil, err
	}
	if len(a.Mismatches) > 0 {
		return nil, a.Mismatches[0]
	}
	for _, img := range a.Images {
		a.reportLabels(img.root)
	}
	return r, nil
}

// reportLabels says which hashed layers' bytes are not what their media
// type says (zstd labelled gzip, gzip labelled tar), and which Docker v2s2
// manifests hold zstd layers: loaders that go by the label fail on them,
// and retar convert writes the right one.
func (a *Archive) reportLabels(root *Node) {
	seen := map[*Node]bool{}
	_ = root.walk(func(n *Node) error {
		if seen[n] || !isImageManifest(n) {
			return nil
		}
		seen[n] = true
		zstd := false
		for i, l := range n.Manifest.Layers {
			b := n.Children[i+1].Blob
			labelled, known := compressionOf(l.MediaType)
			if b == nil || !b.verified || !known || isForeign(l) {
				continue
			}
			zstd = zstd || b.compression == Zstd
			if b.compression != labelled && b.compression != Uncompressed {
				a.warnf("layer %s is %s but labelled %s: loaders that go by the label fail on it; retar convert writes the right type", l.Digest, b.compression, l.MediaType)
			}
		}
		if zstd && contentIsDocker(n) {
			a.warnf("manifest %s is Docker v2s2 with zstd layers, which that family has no type for: skopeo refuses it; retar convert writes it as OCI", n.Desc.Digest)
		}
		return nil
	})
}

// checkSubjects holds each referrer's subject descriptor to the manifest it
// names: the same size and media type, or the referrer vouches for other
// bytes than the image has.
func (a *Archive) checkSubjects(img *Image) error {
	nodes := map[string]*Node{}
	for _, root := range append([]*Node{img.root}, img.Referrers...) {
		_ = root.walk(func(n *Node) error {
			nodes[n.Desc.Digest.String()] = n
			return nil
		})
	}
	for _, r := range img.Referrers {
		if r.Manifest == nil || r.Manifest.Subject == nil {
			continue
		}
		s := r.Manifest.Subject
		n := nodes[s.Digest.String()]
		if n == nil || n.Blob == nil {
			continue
		}
		if s.Size != n.Blob.Size || s.MediaType != "" && n.Desc.MediaType != "" && s.MediaType != n.Desc.MediaType {
			return a.errorf(r.Blob.Path, "its subject %s is described as %s of %d bytes; the source's is %s of %d bytes",
				s.Digest, s.MediaType, s.Size, n.Desc.MediaType, n.Blob.Size)
		}
	}
	return nil
}
