package imagediff

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// compareImages compares a pair: its names, root, platforms and artifacts.
func compareImages(ctx context.Context, p pair, o Options) (*ImageDiff, error) {
	d := &ImageDiff{MatchedBy: p.by, NamesA: []string{}, NamesB: []string{}, Platforms: []*PlatformDiff{}}
	if p.a != nil {
		d.NamesA, d.SizeA, d.Name = append(d.NamesA, p.a.names...), p.a.size, label(p.a, nil)
	}
	if p.b != nil {
		d.NamesB, d.SizeB = append(d.NamesB, p.b.names...), p.b.size
		d.Name = label(p.b, p.a)
	}
	switch {
	case p.b == nil:
		d.Status = StatusRemoved
		for _, m := range p.a.manifests {
			d.Platforms = append(d.Platforms, alone(m, StatusRemoved))
		}
		return d, nil
	case p.a == nil:
		d.Status = StatusAdded
		for _, m := range p.b.manifests {
			d.Platforms = append(d.Platforms, alone(m, StatusAdded))
		}
		return d, nil
	}
	if da, db := p.a.root.Desc.Digest, p.b.root.Desc.Digest; da != db {
		d.Root = &Change{da.String(), db.String()}
	}
	d.index = p.a.root.Index != nil || p.b.root.Index != nil
	if ta, tb := p.a.root.Desc.MediaType, p.b.root.Desc.MediaType; ta != tb {
		d.RootType = &Change{ta, tb}
	}
	for _, mp := range pairPlatforms(p.a.manifests, p.b.manifests) {
		pd, err := comparePlatform(ctx, mp[0], mp[1], o)
		if err != nil {
			return nil, err
		}
		d.Platforms = append(d.Platforms, pd)
	}
	d.Artifacts = compareArtifacts(p.a, p.b)
	d.Status, d.Packaging = imageStatus(d)
	return d, nil
}

// label is how the report calls an image: a name both sides give it, else
// its first name, else its place in the source.
func label(im, other *image) string {
	if other != nil {
		for _, n := range im.names {
			if slices.Contains(other.names, n) {
				return n
			}
		}
		if len(im.names) == 0 && len(other.names) > 0 {
			return other.names[0]
		}
	}
	if len(im.names) > 0 {
		return im.names[0]
	}
	return fmt.Sprintf("@%d", im.at)
}

// imageStatus sums a pair's platforms up, and says what differs in its
// packaging: names, the root's media type, artifacts.
func imageStatus(d *ImageDiff) (string, []string) {
	var pkg []string
	if !slices.Equal(sorted(d.NamesA), sorted(d.NamesB)) {
		pkg = append(pkg, "names")
	}
	if d.RootType != nil && d.index {
		pkg = append(pkg, fmt.Sprintf("root: %s → %s", shortType(d.RootType.Old.(string)), shortType(d.RootType.New.(string))))
	}
	if a := d.Artifacts; a != nil && (len(a.Added) > 0 || len(a.Removed) > 0) {
		pkg = append(pkg, fmt.Sprintf("attached artifacts: %d added, %d removed", len(a.Added), len(a.Removed)))
	}
	status := StatusSame
	for _, p := range d.Platforms {
		switch p.Status {
		case StatusSame:
		case StatusRepackaged:
			if status == StatusSame {
				status = StatusRepackaged
			}
		default:
			status = StatusChanged
		}
	}
	if status == StatusSame && (len(pkg) > 0 || d.Root != nil) {
		status = StatusRepackaged
	}
	return status, pkg
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// pairPlatforms pairs manifests by platform, in order; one alone is paired
// with nil.
func pairPlatforms(as, bs []*manifest) [][2]*manifest {
	var out [][2]*manifest
	used := map[*manifest]bool{}
	for _, a := range as {
		var match *manifest
		for _, b := range bs {
			if !used[b] && b.platform == a.platform {
				match = b
				break
			}
		}
		used[match] = true
		out = append(out, [2]*manifest{a, match})
	}
	for _, b := range bs {
		if !used[b] {
			out = append(out, [2]*manifest{nil, b})
		}
	}
	if len(as) == 1 && len(bs) == 1 && out[0][1] == nil { // one image each: its platform changed
		out = [][2]*manifest{{as[0], bs[0]}}
	}
	return out
}

// alone is a platform only one side has.
func alone(m *manifest, status string) *PlatformDiff {
	pd := &PlatformDiff{Platform: m.platform, Status: status, Layers: emptyLayers()}
	if status == StatusAdded {
		pd.SizeB, pd.Layers.Added, pd.Layers.DiffIDsB = m.size, append(pd.Layers.Added, m.layers...), len(m.layers)
	} else {
		pd.SizeA, pd.Layers.Removed, pd.Layers.DiffIDsA = m.size, append(pd.Layers.Removed, m.layers...), len(m.layers)
	}
	return pd
}

func emptyLayers() LayerDiff {
	return LayerDiff{Recompressed: []LayerPair{}, Added: []Layer{}, Removed: []Layer{}}
}

// shortType names a manifest's media type the way people say it.
func shortType(mt string) string {
	switch {
	case strings.Contains(mt, "docker.distribution.manifest.v2"):
		return "Docker v2s2 manifest"
	case strings.Contains(mt, "docker.distribution.manifest.list"):
		return "Docker manifest list"
	case strings.Contains(mt, "oci.image.manifest"):
		return "OCI manifest"
	case strings.Contains(mt, "oci.image.index"):
		return "OCI index"
	case mt == "":
		return "no media type"
	}
	return mt
}
