package convert

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/opencontainers/go-digest"
)

// conversion is the state the stages pass on.
type conversion struct {
	opts    Options
	sources []Source
	dest    layoutUnit
	hold    holding
	pick    manifestPick // one manifest of an image, where the destination holds one
	out     []outImage
	// reencoded are the re-encoded layers by source blob; layers the same by
	// source digest, as the rewriter finds them.
	reencoded map[*Blob]*Blob
	layers    map[digest.Digest]*Blob
	noticed   map[*Blob]bool // zstd layers said to be re-encoded for docker
	stripped  int            // referrers left out by --attestations strip
	plan      *Plan
}

func newConversion(sources []Source, opts Options) (*conversion, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if len(sources) == 0 {
		return nil, fmt.Errorf("no source%.0w", ErrUsage)
	}
	if opts.Spill == nil {
		opts.Spill = MemorySpill
	}
	c := &conversion{opts: opts, sources: sources, dest: unitOf(opts.To), reencoded: map[*Blob]*Blob{},
		plan: &Plan{Layout: opts.To, modTime: opts.ModTime, unchanged: opts.SourcesUnchanged}}
	var from []Layout
	for _, s := range sources {
		from = append(from, s.Archive.Layout)
	}
	c.hold = c.dest.holds(opts, from)
	c.pick = opts.manifestPick(c.hold)
	return c, nil
}

// label names an output image in messages: "@2", or "b.tar@2" in a bundle.
func (c *conversion) label(o outImage) string {
	if len(c.sources) > 1 {
		return fmt.Sprintf("%s@%d", o.src.Source, o.index)
	}
	return fmt.Sprintf("@%d", o.index)
}

// bySource calls fn for each source with the output images taken from it.
func (c *conversion) bySource(fn func(a *Archive, out []outImage) error) error {
	for _, s := range c.sources {
		var mine []outImage
		for _, o := range c.out {
			if o.src == s.Archive {
				mine = append(mine, o)
			}
		}
		if err := fn(s.Archive, mine); err != nil {
			return err
		}
	}
	return nil
}

func (c *conversion) selectImages(context.Context) error {
	for _, s := range c.sources {
		images, err := s.Archive.Select(s.Pick)
		if err != nil {
			return err
		}
		for _, img := range images {
			c.out = append(c.out, outImage{src: s.Archive, img: img, index: slices.Index(s.Archive.Images, img), names: img.Names,
				referrers: slices.Clone(img.Referrers)})
		}
	}
	if len(c.out) < 2 || len(c.opts.Names)+len(c.opts.Tags) == 0 && !c.hold.oneImage {
		return nil
	}
	what := "names and tags apply to one image"
	if c.hold.oneImage {
		what = c.hold.holder + " holds one"
	}
	if len(c.sources) == 1 {
		a := c.sources[0].Archive
		return fmt.Errorf("%s holds %d images (%s): %s; pick it with :@N or :NAME%.0w", a.Source, len(c.out), a.describeImages(), what, ErrUsage)
	}
	return fmt.Errorf("%d images from %d sources: %s%.0w", len(c.out), len(c.sources), what, ErrUsage)
}

// resolveImages gives docker-archive images their manifest. Their layers are
// re-encoded first when re-encoding is asked for: that pass hashes them, so
// each is read once.
func (c *conversion) resolveImages(ctx context.Context) error {
	return c.bySource(func(a *Archive, out []outImage) error {
		var images []*Image
		var layers []*Blob
		for _, o := range out {
			images = append(images, o.img)
			if o.img.docker != nil {
				layers = append(layers, o.img.docker.layers...)
			}
		}
		if err := c.recompressLayers(ctx, a, layers); err != nil {
			return err
		}
		return a.resolve(ctx, images, c.opts.Hashing, c.opts.VerifyAsWritten)
	})
}

func (c *conversion) nameImages(context.Context) error {
	for i := range c.out {
		o := &c.out[i]
		o.root, o.fromDocker = o.img.root, o.img.derived
		o.names = outputNames(o.names, o.img.Names, c.opts, c.hold)
	}
	return nil
}

// pickPlatforms narrows each image to the one manifest a destination that
// holds one per image takes, and refuses a --platform a manifest lacks.
func (c *conversion) pickPlatforms(context.Context) error {
	if c.opts.Format != FormatKeep && !c.hold.storesManifests {
		c.plan.warnf("--format has no effect on %s, which stores no manifest", c.opts.To.Article())
	}
	kept := c.out[:0]
	left, stripped := 0, 0
	for _, o := range c.out {
		switch {
		case c.opts.Attestations == AttestationsStrip:
			stripped += len(o.referrers)
			o.referrers = nil
		case !c.hold.referrers:
			left += len(o.referrers)
			o.referrers = nil
		}
		switch {
		case c.hold.oneManifest && !(c.opts.AllPlatforms && o.root.Index != nil):
			m, err := o.src.pickManifest(o.root, c.pick, &c.plan.Warnings)
			if errors.Is(err, errNotImage) && len(c.out) > 1 {
				c.plan.warnf("image %s left out: %v", c.label(o), err)
				continue
			}
			if err != nil {
				return err
			}
			o.root = m // a dir: keeps it as it is; a docker-archive stores none
		case len(c.opts.Platforms) > 0 && o.root.Manifest != nil && isImageManifest(o.root):
			if pl := platformOf(o.root); !anyPlatform(pl, c.opts.Platforms) {
				return fmt.Errorf("%s: image @%d is %s only, not %s%.0w", o.src.Source, o.index, PlatformString(pl), platformList(c.opts.Platforms), ErrNoPlatform)
			}
		}
		kept = append(kept, o)
	}
	c.out = kept
	if len(c.out) == 0 {
		return fmt.Errorf("%s holds no container image to write into %s%.0w", c.sources[0].Archive.Source, c.opts.To.Article(), ErrUsage)
	}
	if left > 0 {
		c.plan.warnf("%d signatures, attestations and SBOMs referring to the images are left out: %s holds images only (an OCI layout keeps them)", left, c.opts.To.Article())
	}
	c.stripped = stripped
	return nil
}

// mergeImages makes one output image of the same image picked twice (two
// sources, or an index.json listing it under two names), and refuses a name
// that two sources give to different images. Then it says what loaders will
// make of each image's names.
func (c *conversion) mergeImages(context.Context) error {
	var merged []outImage
	byRoot := map[digest.Digest]int{}
	owner := map[string]int{}
	for _, o := range c.out {
		if i, ok := byRoot[o.identity()]; ok && len(c.sources) > 1 {
			merged[i].names = append(merged[i].names, o.names...)
			merged[i].referrers = append(merged[i].referrers, o.referrers...)
			for _, n := range o.names {
				owner[n.String()] = i
			}
			continue
		}
		for _, n := range o.names {
			if j, ok := owner[n.String()]; ok && merged[j].src != o.src && merged[j].identity() != o.identity() {
				return fmt.Errorf("%q names two different images: %s (%s) and %s (%s)%.0w", n.String(),
					c.label(merged[j]), merged[j].root.Desc.Digest, c.label(o), o.root.Desc.Digest, ErrUsage)
			}
		}
		byRoot[o.identity()] = len(merged)
		for _, n := range o.names {
			owner[n.String()] = len(merged)
		}
		merged = append(merged, o)
	}
	for i := range merged {
		merged[i].names = uniqueNames(merged[i].names)
		merged[i].referrers = uniqueNodes(merged[i].referrers)
		c.nameNotices(merged[i])
	}
	c.out = merged
	return nil
}

// identity is what makes two picked images the same image: the config
// (docker's image ID) for a single manifest, whatever manifest bytes carry
// it (docker save and podman save write the same image differently); the
// index digest for an index.
func (o outImage) identity() digest.Digest {
	if c := o.root.config(); c != nil {
		return c.Desc.Digest
	}
	return o.root.Desc.Digest
}

// nameNotices says what loaders will make of an output image's names.
func (c *conversion) nameNotices(o outImage) {
	if !c.hold.loadersName {
		return
	}
	if len(o.names) == 0 {
		c.plan.warnf("image %s has no name: ctr images import will register nothing from it; give one with -t NAME", c.label(o))
		return
	}
	if !allRaw(o.names) {
		return
	}
	c.plan.warnf("image %s is named only by the tag %q: ctr images import registers it as import-YYYY-MM-DD:%s; give a full name with -t NAME or DST:NAME", c.label(o), o.names[0].Raw, o.names[0].Raw)
}

// uniqueNodes drops nodes of a digest already listed, keeping the first.
func uniqueNodes(ns []*Node) []*Node {
	return uniqueBy(ns, func(n *Node) digest.Digest { return n.Desc.Digest })
}

// recompressLayers re-encodes a source's layers as asked (--compress), or, where
// docker loads the output and zstd was not kept explicitly, its zstd layers
// to gzip, each named in a notice.
func (c *conversion) recompressLayers(ctx context.Context, a *Archive, layers []*Blob) error {
	if c.opts.Recompress {
		return a.recompress(ctx, layers, c.reencoded, c.opts, func(Compression) bool { return true })
	}
	if !c.hold.dockerLoads || c.opts.KeepZstd {
		return nil
	}
	opts := c.opts
	opts.Compress, opts.CompressLevel = Gzip, 0
	isZstd := func(comp Compression) bool { return comp == Zstd }
	if err := a.recompress(ctx, layers, c.reencoded, opts, isZstd); err != nil {
		return err
	}
	for _, b := range layers {
		if nb := c.reencoded[b]; nb != nil && !c.noticed[b] {
			if c.noticed == nil {
				c.noticed = map[*Blob]bool{}
			}
			c.noticed[b] = true
			c.plan.warnf("layer %s is zstd, which docker load before 23.0 cannot read: re-encoded to gzip as %s (--compress keep keeps it)", b.Digest, nb.Digest)
		}
	}
	return nil
}
