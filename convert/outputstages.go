package convert

import (
	"context"
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"
)

// The stages that make the output, once the images are chosen and named:
// layers re-encoded, manifests and indexes rewritten for the destination,
// every blob verified, and the destination's layout planned.

// reencodeLayers re-encodes the layers of OCI and dir sources (docker-archive
// layers were in resolveImages) and indexes every re-encoded layer by the digest
// its source had.
func (c *conversion) reencodeLayers(ctx context.Context) error {
	err := c.bySource(func(a *Archive, out []outImage) error {
		var roots []*Node
		for _, o := range out {
			roots = append(roots, o.root)
		}
		return c.recompressLayers(ctx, a, layerBlobs(roots))
	})
	if len(c.reencoded) > 0 {
		c.layers = map[digest.Digest]*Blob{}
		for src, nb := range c.reencoded {
			c.layers[src.Digest] = nb
		}
	}
	return err
}

// rewriteImages makes each image's graph what the destination stores: the family
// asked for, re-encoded layers, an index filtered by platform.
func (c *conversion) rewriteImages(context.Context) error {
	rewriters := map[Format]*rewriter{}
	for i := range c.out {
		o := &c.out[i]
		f := c.opts.Format
		if f == FormatKeep && o.fromDocker && c.hold.ociFamily {
			f = FormatOCI // docker-archives have no manifest of their own
		}
		r := rewriters[f]
		if r == nil {
			r = &rewriter{format: f, layers: c.layers, notices: &c.plan.Warnings, keepAbsent: c.opts.KeepAbsent,
				attestations: c.opts.Attestations, storesNone: !c.hold.storesManifests}
			if c.hold.filtersIndex {
				r.platforms = c.opts.Platforms
			}
			rewriters[f] = r
		}
		if c.opts.Attestations == AttestationsDocker {
			o.referrers = r.attachInToto(o.root, o.referrers)
		}
		root, err := r.node(o.root)
		if err == nil {
			root, err = r.wrapAttested(o.root, root)
		}
		if err != nil {
			return err
		}
		if root.Index != nil && len(root.Children) == 0 && len(o.root.Children) > 0 {
			return fmt.Errorf("%s: image @%d has no image for %s; it has %s: choose one with --platform%.0w", o.src.Source, o.index,
				platformList(c.opts.Platforms), strings.Join(platformsIn(o.root), ", "), ErrNoPlatform)
		}
		if o.referrers, err = r.followSubjects(root, o.referrers); err != nil {
			return err
		}
		o.referrers = uniqueNodes(append(o.referrers, r.referrersIn(root)...))
		o.root = root
		if c.hold.refNames && len(o.names) > 0 && f == FormatV2S2 {
			c.plan.warnf("image %s is listed in index.json under a Docker media type, as --format v2s2 asks: skopeo 1.9 looks names up among OCI types only and will not find it by name", c.label(*o))
		}
		if err := o.src.checkComplete(root, &c.plan.Warnings, c.hold.sparse, c.opts.Recompress); err != nil {
			return err
		}
	}
	for _, r := range rewriters {
		c.stripped += r.stripped
	}
	if c.stripped > 0 {
		c.plan.warnf("%d attestations, signatures and SBOMs left out (--attestations strip)", c.stripped)
	}
	return nil
}

func platformsIn(root *Node) []string {
	_, all := imagesIn(root)
	return all
}

// verifyBlobs hashes every blob the output holds that is not verified yet; with
// VerifyAsWritten, every blob the output copies from a source is checked
// again where it lands, and those that need no more than their digest
// checked are hashed only there.
func (c *conversion) verifyBlobs(ctx context.Context) error {
	return c.bySource(func(a *Archive, out []outImage) error {
		var blobs []*Blob
		for _, o := range out {
			for _, root := range append([]*Node{o.root}, o.referrers...) {
				_ = root.walk(func(n *Node) error {
					b := n.Blob
					if b != nil && c.opts.VerifyAsWritten && b.data == nil && b.spill == nil && b.later == nil {
						c.landedChecks(ctx).add(a, b) // checked where it lands
						if !b.verified && !b.learnDiff {
							return nil // and needs nothing more
						}
					}
					blobs = append(blobs, b)
					return nil
				})
			}
		}
		return a.hashBlobs(ctx, blobs, c.opts.Hashing)
	})
}

// landedChecks are the plan's checks of what it copies, made at the first
// blob that needs one.
func (c *conversion) landedChecks(ctx context.Context) *landedChecks {
	if c.plan.checks == nil {
		c.plan.checks = &landedChecks{ctx: ctx, h: c.opts.Hashing}
	}
	return c.plan.checks
}

// writeOutput has the destination lay out its entries, then says what each
// output image is.
func (c *conversion) writeOutput(context.Context) error {
	if err := c.dest.write(layoutWrite{images: c.out, plan: c.plan, hold: c.hold, pick: c.pick}); err != nil {
		return err
	}
	if c.opts.Since != nil {
		if err := c.leaveOutHeld(); err != nil {
			return err
		}
	}
	if c.plan.checks != nil {
		c.plan.checks.plan(c.plan.Entries)
		c.plan.checks.lastly = c.opts.SourcesUnchanged
	}
	if err := c.plan.checkNames(); err != nil {
		return err
	}
	for _, o := range c.out {
		var names []string
		for _, n := range o.names {
			names = append(names, n.String())
		}
		pi := PlannedImage{Names: names, Digest: o.root.Desc.Digest.String(), MediaType: o.root.Desc.MediaType}
		if len(o.referrers) > 0 {
			pi.Referrers = describeReferrers(o.referrers)
		}
		if cfg := o.root.config(); cfg != nil {
			pi.ID = cfg.Desc.Digest.String()
		}
		if !c.hold.storesManifests {
			pi.Digest, pi.MediaType = "", ""
		}
		c.plan.Images = append(c.plan.Images, pi)
	}
	return nil
}

// checkComplete fails when content the destination needs is absent, and
// says what it carries without its bytes: manifests an index lists but the
// source lacks; foreign layers; and, where the destination can be sparse (an
// OCI layout, whose specification allows blobs to come from elsewhere), any
// config or layer, unless its bytes are needed (to re-encode a layer).
func (a *Archive) checkComplete(root *Node, warnings *[]string, sparse, needLayers bool) error {
	return root.walk(func(n *Node) error {
		if n.Blob == nil {
			return nil // reported by the parent
		}
		for i, c := range n.Children {
			if c.Blob != nil {
				continue
			}
			what := "layer"
			if i == 0 {
				what = "config"
			}
			switch {
			case n.Index != nil:
				*warnings = append(*warnings, fmt.Sprintf("%s lists %s (%s) but the source does not hold it; kept in the index (--keep-absent)", n.Desc.Digest, c.Desc.Digest, PlatformString(c.Desc.Platform)))
			case i > 0 && isForeign(c.Desc):
				*warnings = append(*warnings, fmt.Sprintf("foreign layer %s is not in the source: its descriptor is kept, without its bytes", c.Desc.Digest))
			case sparse && !(needLayers && i > 0):
				*warnings = append(*warnings, fmt.Sprintf("%s %s of manifest %s is not in the source (a sparse layout): its descriptor is kept, without its bytes", what, c.Desc.Digest, n.Desc.Digest))
			default:
				return &MissingError{Source: a.Source, Digest: c.Desc.Digest, By: "manifest " + n.Desc.Digest.String()}
			}
		}
		return nil
	})
}
