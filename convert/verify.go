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
	if err := a.resolve(ctx, a.Images, h); err != nil {
		return nil, err
	}
	r := &VerifyReport{}
	var blobs []*Blob
	seen := map[*Blob]bool{}
	for _, img := range a.Images {
		err := img.root.walk(func(n *Node) error {
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
		if err := a.checkComplete(img.root, &ws, a.Layout == OCI || a.Layout == OCIArchive, false); err != nil {
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
	return r, nil
}
