package imagediff

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/retar-dev/retar/convert"
)

// comparePlatform compares two image manifests of one platform.
func comparePlatform(ctx context.Context, a, b *manifest, o Options) (*PlatformDiff, error) {
	if a == nil {
		return alone(b, StatusAdded), nil
	}
	if b == nil {
		return alone(a, StatusRemoved), nil
	}
	pd := &PlatformDiff{Platform: a.platform, SizeA: a.size, SizeB: b.size, Layers: emptyLayers()}
	if a.platform != b.platform {
		pd.Platform = a.platform + " → " + b.platform
	}
	if da, db := a.node.Desc.Digest, b.node.Desc.Digest; da != db {
		pd.Manifest = &Change{da.String(), db.String()}
	}
	if ta, tb := a.node.Desc.MediaType, b.node.Desc.MediaType; ta != tb {
		pd.MediaType = &Change{ta, tb}
	}
	if a.config == nil || b.config == nil { // a platform one side does not hold
		pd.Status = StatusSame
		if pd.Manifest != nil {
			pd.Status = StatusChanged
		}
		return pd, nil
	}
	if da, db := a.config.Desc.Digest, b.config.Desc.Digest; da != db {
		pd.Config = &Change{da.String(), db.String()}
		pd.Fields = configFields(a.config.Config, b.config.Config)
	}
	pd.Layers = compareLayers(a.layers, b.layers)
	pd.Packaging = packaging(pd, a, b)
	changed := len(pd.Fields) > 0 || len(pd.Layers.Added) > 0 || len(pd.Layers.Removed) > 0 || pd.Layers.Reordered
	switch {
	case pd.Manifest == nil:
		pd.Status = StatusSame
	case changed:
		pd.Status = StatusChanged
	default:
		pd.Status = StatusRepackaged
	}
	if o.Files && !slices.Equal(diffIDs(a), diffIDs(b)) {
		fd, err := compareFiles(ctx, a, b, o)
		if err != nil {
			return nil, err
		}
		pd.Files = fd
	}
	return pd, nil
}

func diffIDs(m *manifest) []string {
	var ids []string
	for _, l := range m.layers {
		ids = append(ids, l.DiffID)
	}
	return ids
}

// compareLayers sorts B's layers against A's by diff_id: the same blob
// (shared), the same content in another blob (recompressed), or not in A.
func compareLayers(as, bs []Layer) LayerDiff {
	d := emptyLayers()
	d.DiffIDsA, d.DiffIDsB = len(as), len(bs)
	used := make([]bool, len(as))
	for _, b := range bs {
		i := firstUnused(as, used, layerKey(b))
		switch {
		case i < 0:
			d.Added = append(d.Added, b)
			continue
		case as[i].Digest == b.Digest:
			d.Shared++
		default:
			d.Recompressed = append(d.Recompressed, LayerPair{as[i], b})
		}
		used[i] = true
	}
	for i, a := range as {
		if !used[i] {
			d.Removed = append(d.Removed, a)
		}
	}
	if len(d.Added) == 0 && len(d.Removed) == 0 {
		for i := range as {
			d.Reordered = d.Reordered || layerKey(as[i]) != layerKey(bs[i])
		}
	}
	return d
}

func firstUnused(as []Layer, used []bool, key string) int {
	for i, a := range as {
		if !used[i] && layerKey(a) == key {
			return i
		}
	}
	return -1
}

// layerKey is a layer's content: its diff_id, or its digest where the
// config lists none for it.
func layerKey(l Layer) string {
	if l.DiffID != "" {
		return l.DiffID
	}
	return "blob " + l.Digest
}

// packaging says what differs between two manifests besides content: the
// manifest's format, the layers' compression and media types, the config's bytes.
func packaging(pd *PlatformDiff, a, b *manifest) []string {
	var out []string
	if pd.MediaType != nil {
		out = append(out, fmt.Sprintf("manifest format: %s → %s", shortType(pd.MediaType.Old.(string)), shortType(pd.MediaType.New.(string))))
	}
	out = append(out, recompression(pd.Layers.Recompressed)...)
	if rel := relabelled(a.layers, b.layers); rel != "" {
		out = append(out, rel)
	}
	if pd.Config != nil && len(pd.Fields) == 0 && slices.Equal(diffIDs(a), diffIDs(b)) { // else the diff_ids are why
		out = append(out, "config bytes (no compared field differs)")
	}
	if ma, mb := a.node.Manifest, b.node.Manifest; ma != nil && mb != nil && !sameAnnotations(ma.Annotations, mb.Annotations) {
		out = append(out, "manifest annotations")
	}
	return out
}

// recompression says how layers of the same content were stored again:
// "compression: none → gzip (2 layers)", or compressed again the same way
// to other bytes.
func recompression(pairs []LayerPair) []string {
	var order []string
	count := map[string]int{}
	for _, p := range pairs {
		k := p.A.Compression + " → " + p.B.Compression
		if p.A.Compression == p.B.Compression {
			k = p.A.Compression + ", compressed again to other bytes"
		}
		if count[k] == 0 {
			order = append(order, k)
		}
		count[k]++
	}
	var out []string
	for _, k := range order {
		out = append(out, fmt.Sprintf("compression: %s (%d %s)", k, count[k], plural(count[k], "layer")))
	}
	return out
}

// relabelled says which media types changed on layers stored as the same
// blobs: another family's name for it, or a label that the bytes do not
// bear out (a plain tar called gzip).
func relabelled(as, bs []Layer) string {
	var changes []string
	for _, b := range bs {
		for _, a := range as {
			if a.Digest == b.Digest && a.MediaType != b.MediaType {
				if c := a.MediaType + " → " + b.MediaType; !slices.Contains(changes, c) {
					changes = append(changes, c)
				}
				break
			}
		}
	}
	if len(changes) == 0 {
		return ""
	}
	return "layer media types of the same blobs: " + strings.Join(changes, "; ")
}

func sameAnnotations(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// compareArtifacts compares what rides along with two images, by digest.
func compareArtifacts(a, b *image) *ArtifactDiff {
	if len(a.artifacts) == 0 && len(b.artifacts) == 0 {
		return nil
	}
	d := &ArtifactDiff{Added: []Artifact{}, Removed: []Artifact{}}
	inA, inB := artifactSet(a), artifactSet(b)
	for _, x := range artifactsOf(b) {
		if _, ok := inA[x.Digest]; ok {
			d.Same++
		} else {
			d.Added = append(d.Added, x)
		}
	}
	for _, x := range artifactsOf(a) {
		if _, ok := inB[x.Digest]; !ok {
			d.Removed = append(d.Removed, x)
		}
	}
	return d
}

func artifactsOf(im *image) []Artifact {
	var out []Artifact
	seen := map[string]bool{}
	for _, n := range im.artifacts {
		d := n.Desc.Digest.String()
		if seen[d] {
			continue
		}
		seen[d] = true
		kind := convert.ReferrerKind(n)
		if isAttestationDesc(n) {
			kind = convert.KindAttestation
		}
		out = append(out, Artifact{Kind: kind, Digest: d, Size: n.Desc.Size})
	}
	return out
}

func artifactSet(im *image) map[string]Artifact {
	m := map[string]Artifact{}
	for _, x := range artifactsOf(im) {
		m[x.Digest] = x
	}
	return m
}
