package convert

import (
	"archive/tar"
	"context"
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"
)

// Volumes: a bundle split into archives of at most a given size, each one a
// complete archive that loads on its own. Every image goes whole into one
// volume, with every blob it needs; a blob two volumes' images share is in
// both. The images are taken in the bundle's order and a volume is closed
// when the next image would not fit (next fit): bundling the volumes again,
// in their order, lists the images in that same order, and since an
// archive's blobs are laid out by digest and its JSON is made from the
// images alone, the bundle of the volumes is byte for byte the unsplit
// bundle. A packing that reorders images to fill volumes better would lose
// that.

// VolumeSet is a bundle planned as volumes.
type VolumeSet struct {
	// Volumes are the plans of the volumes, in order; each is written as
	// any plan is (WriteTar), and its Images say what it holds.
	Volumes []*Plan
	// Sizes are the exact sizes of the volumes as WriteTar writes them.
	Sizes []int64
	// Whole is the exact size of the unsplit bundle.
	Whole int64
	// Repeated counts the blobs written in more than one volume, each
	// time after its first, and RepeatedBytes their bytes.
	Repeated      int
	RepeatedBytes int64
	Warnings      []string
}

// VolumeSizeError is an image too large for a volume of its own.
type VolumeSizeError struct {
	Image string // its names and where it came from
	Size  int64  // the size of a volume holding it alone
	Limit int64
}

func (e *VolumeSizeError) Error() string {
	return fmt.Sprintf("image %s needs %s (%d bytes) as a volume of its own, over the volume size of %s (%d bytes): give a larger volume size, or leave the image out",
		e.Image, sizeString(e.Size), e.Size, sizeString(e.Limit), e.Limit)
}

// BundleVolumes plans the bundle Bundle would (the same sources and
// options) as volumes of at most limit bytes each. The destination must be
// an archive: a volume's size is that of one file.
func BundleVolumes(ctx context.Context, sources []Source, opts Options, limit int64) (*VolumeSet, error) {
	if !opts.To.IsArchive() {
		return nil, fmt.Errorf("volumes are archives; %s is a directory%.0w", opts.To.Article(), ErrUsage)
	}
	if limit <= 0 {
		return nil, fmt.Errorf("volume size %d: want a positive number of bytes%.0w", limit, ErrUsage)
	}
	c, err := newConversion(sources, opts)
	if err != nil {
		return nil, err
	}
	for _, s := range stages() {
		if s.name == "write" {
			break // once per volume, below
		}
		if err := s.run(c, ctx); err != nil {
			return nil, err
		}
	}
	groups, err := c.packVolumes(ctx, limit)
	if err != nil {
		return nil, err
	}
	set := &VolumeSet{}
	if set.Whole, err = c.volumeSize(ctx, c.out); err != nil {
		return nil, err
	}
	shared := c.plan.checks // what verifyBlobs recorded: checked where each lands
	warnings := c.plan.Warnings
	for _, g := range groups {
		p, err := c.volumePlan(ctx, g, shared)
		if err != nil {
			return nil, err
		}
		warnings = append(warnings, p.Warnings...)
		p.Warnings = nil
		size, err := p.archiveSize()
		if err != nil {
			return nil, err
		}
		set.Volumes, set.Sizes = append(set.Volumes, p), append(set.Sizes, size)
	}
	set.Warnings = uniqueStrings(warnings)
	set.countRepeated()
	return set, nil
}

// packVolumes groups the output images, in order, into volumes of at most
// limit bytes: the next image joins the volume being filled if it fits,
// else begins the next one (next fit). A volume's size only grows with the
// images it takes, so the images a volume takes are found by doubling and
// halving how many it tries, not one by one: a few layouts of each volume,
// not one per image.
func (c *conversion) packVolumes(ctx context.Context, limit int64) ([][]outImage, error) {
	var groups [][]outImage
	for start := 0; start < len(c.out); {
		n, err := c.fitting(ctx, start, limit)
		if err != nil {
			return nil, err
		}
		groups = append(groups, c.out[start:start+n])
		start += n
	}
	return groups, nil
}

// fitting is how many images from start on a volume of limit bytes holds:
// one at least, or the error that the image at start alone is too large.
func (c *conversion) fitting(ctx context.Context, start int, limit int64) (int, error) {
	rest := len(c.out) - start
	fits := func(n int) (bool, error) {
		size, err := c.volumeSize(ctx, c.out[start:start+n])
		if err == nil && n == 1 && size > limit {
			err = &VolumeSizeError{Image: c.describe(c.out[start]), Size: size, Limit: limit}
		}
		return size <= limit, err
	}
	lo, hi := 0, 1 // lo images fit; hi is tried
	for {
		ok, err := fits(hi)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		if lo = hi; hi == rest {
			return rest, nil
		}
		hi = min(2*hi, rest)
	}
	for hi-lo > 1 { // lo fits, hi does not
		mid := (lo + hi) / 2
		ok, err := fits(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// describe names an output image in a message: its first name, or its
// digest, and where it came from.
func (c *conversion) describe(o outImage) string {
	what := o.root.Desc.Digest.String()
	if len(o.names) > 0 {
		what = o.names[0].String()
	}
	return fmt.Sprintf("%s (%s)", what, c.label(o))
}

// volumeSize is the exact size of an archive holding these images.
func (c *conversion) volumeSize(ctx context.Context, images []outImage) (int64, error) {
	p, err := c.volumePlan(ctx, images, nil)
	if err != nil {
		return 0, err
	}
	return p.archiveSize()
}

// volumePlan lays out an archive of some of the conversion's images, as the
// write stage lays out all of them. With shared (the checks verifyBlobs
// recorded), what the volume copies is checked where it lands.
func (c *conversion) volumePlan(ctx context.Context, images []outImage, shared *landedChecks) (*Plan, error) {
	p := &Plan{Layout: c.opts.To, modTime: c.opts.ModTime, unchanged: c.opts.SourcesUnchanged}
	if shared != nil {
		p.checks = &landedChecks{ctx: shared.ctx, h: shared.h, of: shared.of}
	}
	saved, savedOut := c.plan, c.out
	c.plan, c.out = p, images
	defer func() { c.plan, c.out = saved, savedOut }()
	if err := c.writeOutput(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// archiveSize is the exact size WriteTar writes: each entry's header as
// it frames it, the content padded to a block, and the end-of-archive
// marker.
func (p *Plan) archiveSize() (int64, error) {
	n := int64(1024)
	for i := range p.Entries {
		e := &p.Entries[i]
		hdr, err := tarHeader(e, p.mtime())
		if err != nil {
			return 0, err
		}
		n += int64(len(hdr))
		if e.Type == tar.TypeReg {
			n += e.Size + tarPadding(e.Size)
		}
	}
	return n, nil
}

// countRepeated counts the blobs a volume holds that an earlier one holds
// too: what splitting costs.
func (s *VolumeSet) countRepeated() {
	seen := map[digest.Digest]bool{}
	for _, p := range s.Volumes {
		for _, e := range p.Entries {
			if e.blob == nil || e.blob.Digest == "" {
				continue
			}
			if seen[e.blob.Digest] {
				s.Repeated++
				s.RepeatedBytes += e.Size
			}
			seen[e.blob.Digest] = true
		}
	}
}

// VolumeSummary says in a sentence what the split wrote and what it cost.
func (s *VolumeSet) VolumeSummary(limit int64) string {
	var total int64
	for _, n := range s.Sizes {
		total += n
	}
	var b strings.Builder
	vols := "volumes"
	if len(s.Volumes) == 1 {
		vols = "volume"
	}
	fmt.Fprintf(&b, "%d %s of at most %s: %s in all, %s as one archive", len(s.Volumes), vols, sizeString(limit), sizeString(total), sizeString(s.Whole))
	switch s.Repeated {
	case 0:
		b.WriteString("; no blob is in two volumes")
	case 1:
		fmt.Fprintf(&b, "; 1 blob shared across volumes is repeated, %s more", sizeString(s.RepeatedBytes))
	default:
		fmt.Fprintf(&b, "; %d blobs shared across volumes are repeated, %s more", s.Repeated, sizeString(s.RepeatedBytes))
	}
	return b.String()
}
