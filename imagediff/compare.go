package imagediff

import (
	"context"
	"slices"

	"github.com/retar-dev/retar/convert"
)

// Source is one side of a comparison: an opened archive and the images a
// pick names in it ("" for all of them, "@N", or a name).
type Source struct {
	Archive *convert.Archive
	Name    string // as the user named it, for the report
	Pick    string
}

// Options choose what Compare does beyond manifests and configs.
type Options struct {
	// Files compares the filesystems of the images whose layers differ,
	// reading each of their layers once.
	Files  bool
	Limits convert.Limits // on decompressing layers
}

// Compare reports how the images of b differ from those of a.
func Compare(ctx context.Context, a, b Source, o Options) (*Report, error) {
	as, err := collect(ctx, a.Archive, a.Pick)
	if err != nil {
		return nil, err
	}
	bs, err := collect(ctx, b.Archive, b.Pick)
	if err != nil {
		return nil, err
	}
	r := &Report{SchemaVersion: 1, A: side(a, as), B: side(b, bs), Images: []*ImageDiff{}}
	for _, p := range matchImages(as, bs) {
		d, err := compareImages(ctx, p, o)
		if err != nil {
			return nil, err
		}
		r.Images = append(r.Images, d)
	}
	held, err := holdings(ctx, a.Archive)
	if err != nil {
		return nil, err
	}
	r.Delta = delta(held, bs)
	r.Equal = true
	for _, d := range r.Images {
		r.Equal = r.Equal && d.Status == StatusSame
	}
	return r, nil
}

func side(s Source, ims []*image) Side {
	sd := Side{Source: s.Name, Layout: string(s.Archive.Layout), Pick: s.Pick, Images: len(ims)}
	seen := map[string]bool{}
	for _, im := range ims {
		im.blobs(func(n *convert.Node) {
			if d := n.Desc.Digest.String(); !seen[d] {
				seen[d] = true
				sd.Size += n.Blob.Size
			}
		})
	}
	return sd
}

// pair is an image of A and its match in B; either is nil when alone.
type pair struct {
	a, b *image
	by   string
}

// matchImages pairs the images of A with those of B: by a name they share,
// then by the config of their first image manifest, then, when one image
// is left on each side, those two.
func matchImages(as, bs []*image) []pair {
	var pairs []pair
	usedB := map[*image]bool{}
	// matched pairs each image of from with the first B left that is
	// the same by the rule, and returns those it found none for.
	matched := func(from []*image, by string, same func(a, b *image) bool) (left []*image) {
		for _, a := range from {
			b := firstB(bs, usedB, func(b *image) bool { return same(a, b) })
			if b == nil {
				left = append(left, a)
				continue
			}
			usedB[b] = true
			pairs = append(pairs, pair{a, b, by})
		}
		return left
	}
	leftA := matched(as, "name", func(a, b *image) bool {
		return slices.ContainsFunc(a.names, func(n string) bool { return slices.Contains(b.names, n) })
	})
	alone := matched(leftA, "config", func(a, b *image) bool { return configKey(a) != "" && configKey(a) == configKey(b) })
	var restB []*image
	for _, b := range bs {
		if !usedB[b] {
			restB = append(restB, b)
		}
	}
	if len(alone) == 1 && len(restB) == 1 {
		return append(pairs, pair{alone[0], restB[0], "only"})
	}
	for _, a := range alone {
		pairs = append(pairs, pair{a: a})
	}
	for _, b := range restB {
		pairs = append(pairs, pair{b: b})
	}
	return pairs
}

func firstB(bs []*image, used map[*image]bool, match func(*image) bool) *image {
	for _, b := range bs {
		if !used[b] && match(b) {
			return b
		}
	}
	return nil
}

// configKey is an image's first config digest: its image ID.
func configKey(im *image) string {
	for _, m := range im.manifests {
		if m.config != nil {
			return m.config.Desc.Digest.String()
		}
	}
	return ""
}

// holdings are the digests of every blob the whole source A holds.
func holdings(ctx context.Context, a *convert.Archive) (map[string]bool, error) {
	all, err := collect(ctx, a, "")
	if err != nil {
		return nil, err
	}
	held := map[string]bool{}
	for _, im := range all {
		im.blobs(func(n *convert.Node) { held[n.Desc.Digest.String()] = true })
	}
	return held, nil
}

// delta counts the blobs of B's images that A does not hold, each once.
func delta(held map[string]bool, bs []*image) Delta {
	d := Delta{Of: []string{}}
	for _, im := range bs {
		im.blobs(func(n *convert.Node) {
			dg := n.Desc.Digest.String()
			if held[dg] {
				return
			}
			held[dg] = true
			d.Blobs++
			d.Bytes += n.Blob.Size
			d.Of = append(d.Of, dg)
		})
	}
	slices.Sort(d.Of)
	return d
}
