package convert

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// rewriter makes the output graph from a source graph: manifests and indexes
// change family, layers are replaced by re-encoded ones, indexes keep only
// the wanted platforms. What does not change keeps its bytes and digest, and
// what changes is edited in place, so converting back restores the bytes.
type rewriter struct {
	format    Format
	layers    map[digest.Digest]*Blob // re-encoded layers, by source digest
	platforms []ocispec.Platform      // an index keeps only these, when set
	// keepAbsent keeps index entries the source lacks the manifest of;
	// otherwise they are left out, and the index gets a new digest.
	keepAbsent bool
	notices    *[]string
	memo       map[digest.Digest]*Node
}

// docker tells the family n is written in: the one asked for, else the one
// its content is in (descriptors can claim otherwise: ggcr's layouts list v2s2
// manifests under OCI media types).
func (r *rewriter) docker(n *Node) bool {
	switch r.format {
	case FormatOCI:
		return false
	case FormatV2S2:
		return true
	}
	return contentIsDocker(n)
}

// contentIsDocker reads a manifest's or an index's family from its bytes: its
// mediaType field, else (OCI allows leaving it out) its config's media type.
func contentIsDocker(n *Node) bool {
	if n.Index != nil {
		return n.Index.MediaType == MediaTypeDockerManifestList
	}
	if n.Manifest.MediaType != "" {
		return n.Manifest.MediaType == MediaTypeDockerManifest
	}
	return n.Manifest.Config.MediaType == MediaTypeDockerConfig
}

// setMediaType edits a document's own mediaType to mt when its family
// changes; a document that leaves the field out keeps leaving it out while
// its family stays.
func setMediaType(e *jsonEdit, have, mt string, sameFamily bool) (bool, error) {
	if have == mt || have == "" && sameFamily {
		return false, nil
	}
	return true, e.set(mt, "mediaType")
}

// node returns n as it is written: n itself when nothing changes.
func (r *rewriter) node(n *Node) (*Node, error) {
	if n.Blob == nil || n.Manifest == nil && n.Index == nil {
		return n, nil
	}
	if out, ok := r.memo[n.Desc.Digest]; ok {
		return withDesc(out, n.Desc), nil
	}
	var out *Node
	var err error
	if n.Index != nil {
		out, err = r.index(n)
	} else {
		out, err = r.manifest(n)
	}
	if err != nil {
		return nil, err
	}
	if r.memo == nil {
		r.memo = map[digest.Digest]*Node{}
	}
	r.memo[n.Desc.Digest] = out
	return withDesc(out, n.Desc), nil
}

// withDesc keeps a reference's own descriptor fields (platform, annotations)
// on a node whose content may have changed.
func withDesc(n *Node, ref ocispec.Descriptor) *Node {
	if n.Desc.Digest == ref.Digest {
		c := *n
		c.Desc = ref
		return &c
	}
	c := *n
	d := ref
	d.MediaType, d.Digest, d.Size = n.Desc.MediaType, n.Desc.Digest, n.Desc.Size
	c.Desc = d
	return &c
}

func (r *rewriter) manifest(n *Node) (*Node, error) {
	if !isImageManifest(n) {
		return n, nil // artifacts keep their bytes
	}
	docker := r.docker(n)
	mt := ocispec.MediaTypeImageManifest
	if docker {
		mt = MediaTypeDockerManifest
	}
	e, err := newJSONEdit(n.raw)
	if err != nil {
		return nil, err
	}
	familyChange := docker != contentIsDocker(n)
	changed, err := setMediaType(e, n.Manifest.MediaType, mt, !familyChange)
	if err != nil {
		return nil, err
	}
	m := *n.Manifest
	if changed {
		m.MediaType = mt
	}
	m.Layers = append([]ocispec.Descriptor(nil), n.Manifest.Layers...)
	if cm := familyType(m.Config.MediaType, docker); familyChange && cm != m.Config.MediaType {
		if err := e.set(cm, "config", "mediaType"); err != nil {
			return nil, err
		}
		m.Config.MediaType = cm
	}
	children := []*Node{{Desc: m.Config, Blob: n.Children[0].Blob, Config: n.Children[0].Config}}
	for i, l := range n.Manifest.Layers {
		layer, err := r.layer(e, strconv.Itoa(i), l, n.Children[i+1].Blob, docker, familyChange)
		if err != nil {
			return nil, err
		}
		m.Layers[i] = layer.Desc
		children = append(children, layer)
	}
	if len(e.edits) == 0 {
		return n, nil
	}
	data := e.bytes()
	if err := sameManifest(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", n.Desc.Digest, err)
	}
	out := newNode(mt, data, n.Desc.Platform)
	out.Manifest, out.Children, out.raw = &m, children, data
	return out, nil
}

// index rewrites an index: its children as they are written, those the
// destination does not take left out. An index that loses entries is
// written anew; otherwise it is edited in place, keeping its bytes.
func (r *rewriter) index(n *Node) (*Node, error) {
	docker := r.docker(n)
	kept, moved, filtered, err := r.children(n, docker)
	if err != nil {
		return nil, err
	}
	mt := ocispec.MediaTypeImageIndex
	if docker {
		mt = MediaTypeDockerManifestList
	}
	if filtered {
		return rebuiltIndex(n, kept, moved, mt)
	}
	return editedIndex(n, kept, moved, mt, docker)
}

// children rewrites an index's children and says which it keeps: not those
// the source lacks (unless --keep-absent), not image manifests of platforms
// not wanted, nor the attestations of manifests left out. moved maps the old
// digest of each rewritten child to its new one.
func (r *rewriter) children(n *Node, docker bool) (kept []*Node, moved map[string]string, filtered bool, err error) {
	keptDigests := map[digest.Digest]bool{}
	filtering := len(r.platforms) > 0 && listsImages(n)
	moved = map[string]string{}
	for _, c := range n.Children {
		if c.Blob == nil && !r.keepAbsent {
			*r.notices = append(*r.notices, fmt.Sprintf("index %s lists %s (%s%s) but the source does not hold it: left out of the output index, which gets a new digest (--keep-absent keeps it)",
				n.Desc.Digest, c.Desc.Digest, PlatformString(c.Desc.Platform), attestationNote(c.Desc)))
			filtered = true
			continue
		}
		// Only image manifests are platform-specific; artifacts stay.
		if filtering && c.Index == nil && !isAttestation(c.Desc) && (c.Blob == nil || isImageManifest(c)) && !r.wanted(c) {
			filtered = true
			continue
		}
		nc, err := r.node(c)
		if err != nil {
			return nil, nil, false, err
		}
		if nc.Index != nil && len(nc.Children) == 0 && len(c.Children) > 0 {
			filtered = true // a nested index none of whose platforms is wanted
			continue
		}
		if c.Blob == nil && nc.Desc.MediaType != familyType(c.Desc.MediaType, docker) {
			*r.notices = append(*r.notices, fmt.Sprintf("%s is not in the source, so its entry in index %s keeps media type %s", c.Desc.Digest, n.Desc.Digest, c.Desc.MediaType))
		}
		keptDigests[c.Desc.Digest] = true
		if nc.Desc.Digest != c.Desc.Digest {
			moved[c.Desc.Digest.String()] = nc.Desc.Digest.String()
		}
		kept = append(kept, nc)
	}
	if filtered { // attestations only for the platforms kept
		kept = slices.DeleteFunc(kept, func(c *Node) bool {
			ref := c.Desc.Annotations[annotationRefDigest]
			return isAttestation(c.Desc) && ref != "" && !keptDigests[digest.Digest(ref)]
		})
	}
	return kept, moved, filtered, nil
}

// followRef points an attestation's descriptor at the manifest it is about
// where that manifest was rewritten; ok when it did.
func followRef(d ocispec.Descriptor, moved map[string]string) (ocispec.Descriptor, string, bool) {
	to, ok := moved[d.Annotations[annotationRefDigest]]
	if ok {
		d.Annotations = maps.Clone(d.Annotations)
		d.Annotations[annotationRefDigest] = to
	}
	return d, to, ok
}

// rebuiltIndex writes an index that lost entries anew.
func rebuiltIndex(n *Node, kept []*Node, moved map[string]string, mt string) (*Node, error) {
	idx := *n.Index
	idx.MediaType = mt
	idx.Manifests = nil
	for _, c := range kept {
		d, _, _ := followRef(c.Desc, moved)
		idx.Manifests = append(idx.Manifests, d)
	}
	data, err := json.Marshal(idx)
	if err != nil {
		return nil, err
	}
	out := newNode(mt, data, n.Desc.Platform)
	out.Index, out.Children, out.raw = &idx, kept, data
	return out, nil
}

// editedIndex edits an index's bytes where its children or its family
// changed, and returns it as it is where nothing did.
func editedIndex(n *Node, kept []*Node, moved map[string]string, mt string, docker bool) (*Node, error) {
	e, err := newJSONEdit(n.raw)
	if err != nil {
		return nil, err
	}
	changed, err := setMediaType(e, n.Index.MediaType, mt, docker == contentIsDocker(n))
	if err != nil {
		return nil, err
	}
	idx := *n.Index
	if changed {
		idx.MediaType = mt
	}
	idx.Manifests = make([]ocispec.Descriptor, len(kept))
	for i, c := range kept {
		d, to, follows := followRef(c.Desc, moved)
		edits, err := editEntry(e, strconv.Itoa(i), n.Index.Manifests[i], d, to, follows)
		if err != nil {
			return nil, err
		}
		changed = changed || edits
		idx.Manifests[i] = d
	}
	if !changed {
		return n, nil
	}
	data := e.bytes()
	if err := sameIndex(data, &idx); err != nil {
		return nil, fmt.Errorf("%s: %w", n.Desc.Digest, err)
	}
	out := newNode(mt, data, n.Desc.Platform)
	out.Index, out.Children, out.raw = &idx, kept, data
	return out, nil
}

// editEntry edits index entry p from old to d: its media type, its digest
// and size, and (an attestation) the manifest it names, moved to ref.
func editEntry(e *jsonEdit, p string, old, d ocispec.Descriptor, ref string, follows bool) (bool, error) {
	var sets [][]any
	if d.MediaType != old.MediaType {
		sets = append(sets, []any{d.MediaType, "mediaType"})
	}
	if d.Digest != old.Digest {
		sets = append(sets, []any{d.Digest.String(), "digest"}, []any{d.Size, "size"})
	}
	if follows {
		sets = append(sets, []any{ref, "annotations", annotationRefDigest})
	}
	for _, set := range sets {
		path := []string{"manifests", p}
		for _, seg := range set[1:] {
			path = append(path, seg.(string))
		}
		if err := e.set(set[0], path...); err != nil {
			return false, err
		}
	}
	return len(sets) > 0, nil
}

// layer is layer i of a manifest as it is written: the re-encoded blob in
// place of the source's, or its media type in the other family, its entry in
// the manifest edited to match.
func (r *rewriter) layer(e *jsonEdit, i string, l ocispec.Descriptor, blob *Blob, docker, familyChange bool) (*Node, error) {
	old := l.MediaType
	if nb, ok := r.layers[l.Digest]; ok && !isForeign(l) {
		blob = nb
		if err := e.set(nb.Digest.String(), "layers", i, "digest"); err != nil {
			return nil, err
		}
		if err := e.set(nb.Size, "layers", i, "size"); err != nil {
			return nil, err
		}
		l.Digest, l.Size = nb.Digest, nb.Size
		l.MediaType = layerMediaType(nb.compression, docker)
		delete(l.Annotations, "containerd.io/snapshot/stargz/toc.digest") // a re-encoded layer is no eStargz
	} else if familyChange {
		l.MediaType = familyType(l.MediaType, docker)
	}
	if l.MediaType != old {
		if err := e.set(l.MediaType, "layers", i, "mediaType"); err != nil {
			return nil, err
		}
	}
	return &Node{Desc: l, Blob: blob}, nil
}

// listsImages tells an index of images (which a platform filter applies to)
// from an index of artifacts only.
func listsImages(n *Node) bool {
	for _, c := range n.Children {
		if c.Index != nil || isAttestation(c.Desc) {
			continue
		}
		if c.Blob == nil && c.Desc.Platform != nil || isImageManifest(c) {
			return true
		}
	}
	return false
}

func (r *rewriter) wanted(c *Node) bool {
	for _, w := range r.platforms {
		if MatchPlatform(platformOf(c), w) {
			return true
		}
	}
	return false
}

// sameManifest decodes an edited manifest as every reader will and checks
// that it says what the rewrite meant: the editor must never disagree with
// the decoder.
func sameManifest(data []byte, want *ocispec.Manifest) error {
	var got ocispec.Manifest
	if err := json.Unmarshal(data, &got); err != nil {
		return fmt.Errorf("internal: the rewritten manifest does not decode: %w", err)
	}
	same := got.MediaType == want.MediaType && sameDesc(got.Config, want.Config) && len(got.Layers) == len(want.Layers)
	for i := 0; same && i < len(got.Layers); i++ {
		same = sameDesc(got.Layers[i], want.Layers[i])
	}
	if !same {
		return errors.New("internal: the rewritten manifest does not decode to what was written")
	}
	return nil
}

func sameIndex(data []byte, want *ocispec.Index) error {
	var got ocispec.Index
	if err := json.Unmarshal(data, &got); err != nil {
		return fmt.Errorf("internal: the rewritten index does not decode: %w", err)
	}
	same := got.MediaType == want.MediaType && len(got.Manifests) == len(want.Manifests)
	for i := 0; same && i < len(got.Manifests); i++ {
		g, w := got.Manifests[i], want.Manifests[i]
		same = sameDesc(g, w) && g.Annotations[annotationRefDigest] == w.Annotations[annotationRefDigest]
	}
	if !same {
		return errors.New("internal: the rewritten index does not decode to what was written")
	}
	return nil
}

func sameDesc(a, b ocispec.Descriptor) bool {
	return a.MediaType == b.MediaType && a.Digest == b.Digest && a.Size == b.Size
}

func attestationNote(d ocispec.Descriptor) string {
	if isAttestation(d) {
		return ", an attestation"
	}
	return ""
}
