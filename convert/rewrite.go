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
	normalised map[digest.Digest]bool // v2s2 manifests with zstd layers, said once
	storesNone bool                   // the destination stores no manifest (a docker-archive)

	attestations Attestations
	stripped     int                       // attestation manifests left out
	extracted    map[digest.Digest][]*Node // referrers made of an index's attestations, by its output digest
	attach       map[digest.Digest][]*Node // in-toto referrers to go beside a manifest, by its source digest
}

// docker tells the family n is written in: the one asked for, else the one
// its content is in (descriptors can claim otherwise: ggcr's layouts list v2s2
// manifests under OCI media types).
func (r *rewriter) docker(n *Node) bool {
	switch r.format {
	case FormatOCI:
		return false
	case FormatV2S2:
		r.zstdInDocker(n, false)
		return true
	}
	return contentIsDocker(n) && !r.zstdInDocker(n, true)
}

// zstdInDocker tells a v2s2 manifest with zstd layers (nerdctl commit
// writes them under the OCI zstd type): Docker's family has no zstd type, so
// skopeo refuses it; kept in its family, it is written as OCI, the layers as
// they are.
// Asked for v2s2 (keep false), it is written so, with a notice.
func (r *rewriter) zstdInDocker(n *Node, keep bool) bool {
	if n.Manifest == nil || !isImageManifest(n) || keep && !contentIsDocker(n) {
		return false
	}
	for i, l := range n.Manifest.Layers {
		c, _ := r.actual(l, n.Children[i+1].Blob)
		if nb := r.layers[l.Digest]; nb != nil && !isForeign(l) {
			c = nb.compression
		}
		if c != Zstd {
			continue
		}
		if !r.normalised[n.Desc.Digest] && !r.storesNone {
			if r.normalised == nil {
				r.normalised = map[digest.Digest]bool{}
			}
			r.normalised[n.Desc.Digest] = true
			if keep {
				r.notef("manifest %s is Docker v2s2, which has no type for zstd layers (skopeo refuses them there): written as OCI, with its zstd layers (--format v2s2 keeps Docker's family)", n.Desc.Digest)
			} else {
				r.notef("manifest %s is written as Docker v2s2, as asked, with zstd layers under the OCI type: docker 23+ and containerd read it, skopeo and podman refuse it", n.Desc.Digest)
			}
		}
		return true
	}
	return false
}

// actual is a layer's compression as its bytes say, and whether its media
// type names another one; a layer the source lacks is taken at its word.
// Plain tar under a compressed type is not called wrong: containers/image
// writes dir layouts so on purpose, and every reader looks at the bytes
// before it decompresses.
func (r *rewriter) actual(l ocispec.Descriptor, b *Blob) (Compression, bool) {
	labelled, known := compressionOf(l.MediaType)
	if b == nil || !known {
		return labelled, false
	}
	c, err := b.sniff()
	if err != nil {
		return labelled, false // reading it reports the error
	}
	return c, c != labelled && c != Uncompressed
}

func (r *rewriter) notef(format string, args ...any) {
	*r.notices = append(*r.notices, fmt.Sprintf(format, args...))
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
	var pending []*Node // attestations to become referrers
	kept, moved, filtered, err := r.children(n, docker, &pending)
	if err != nil {
		return nil, err
	}
	mt := ocispec.MediaTypeImageIndex
	if docker {
		mt = MediaTypeDockerManifestList
	}
	var out *Node
	if filtered {
		out, err = rebuiltIndex(n, kept, moved, mt)
	} else {
		out, err = editedIndex(n, kept, moved, mt, docker)
	}
	if err != nil {
		return nil, err
	}
	return out, r.asReferrers(out.Desc.Digest, pending)
}

// children rewrites an index's children and says which it keeps: not those
// the source lacks (unless --keep-absent), not image manifests of platforms
// not wanted, nor the attestations of manifests left out. moved maps the old
// digest of each rewritten child to its new one.
func (r *rewriter) children(n *Node, docker bool, pending *[]*Node) (kept []*Node, moved map[string]string, filtered bool, err error) {
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
		if !r.takesAttestation(c, pending) {
			filtered = true
			continue
		}
		// Only image manifests (and zstd:chunked's variants of them) are
		// platform-specific; artifacts stay.
		if filtering && c.Index == nil && !isAttestation(c.Desc) && (c.Blob == nil || isImageManifest(c) || isChunkedVariant(c)) && !r.wanted(c) {
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
		keptDigests[c.Desc.Digest], keptDigests[nc.Desc.Digest] = true, true
		if nc.Desc.Digest != c.Desc.Digest {
			moved[c.Desc.Digest.String()] = nc.Desc.Digest.String()
		}
		kept = append(kept, nc)
		atts, err := r.attestationsFor(c, nc)
		if err != nil {
			return nil, nil, false, err
		}
		kept, filtered = append(kept, atts...), filtered || len(atts) > 0
	}
	if kept, err = r.followAttestations(kept, moved); err != nil {
		return nil, nil, false, err
	}
	if filtered { // attestations only for the platforms kept
		kept = slices.DeleteFunc(kept, func(c *Node) bool {
			ref := c.Desc.Annotations[annotationRefDigest]
			return isAttestation(c.Desc) && ref != "" && !keptDigests[digest.Digest(ref)]
		})
	}
	return kept, moved, filtered, nil
}

// followAttestations makes the attestation manifests an index keeps follow
// the manifests they are about where those were rewritten: a subject field
// (BuildKit 0.20 on) is edited, and either way the statements inside still
// name the old digest, which is said.
func (r *rewriter) followAttestations(kept []*Node, moved map[string]string) ([]*Node, error) {
	for i, c := range kept {
		to, ok := moved[c.Desc.Annotations[annotationRefDigest]]
		if !isAttestation(c.Desc) || !ok {
			continue
		}
		if c.Manifest != nil && c.Manifest.Subject != nil && r.memo[c.Manifest.Subject.Digest] != nil {
			nc, err := r.follow(c, r.memo[c.Manifest.Subject.Digest])
			if err != nil {
				return nil, err
			}
			kept[i] = nc
			moved[c.Desc.Digest.String()] = nc.Desc.Digest.String()
			continue
		}
		r.notef("attestation %s is about %s, which is rewritten as %s: its statements name the old digest", c.Desc.Digest, c.Desc.Annotations[annotationRefDigest], to)
	}
	return kept, nil
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
		l.Annotations = withoutTOC(e, i, l.Annotations)
	} else if c, wrong := r.actual(l, blob); wrong && !isForeign(l) {
		l.MediaType = layerMediaType(c, docker)
		r.notef("layer %s is %s but labelled %s: written as %s, the blob unchanged", l.Digest, c, old, l.MediaType)
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

// tocAnnotations locate a zstd:chunked or eStargz layer's table of contents
// in its compressed bytes (containers/storage and the stargz snapshotter
// read them); a re-encoded layer has none, and a reader that followed them
// would read garbage.
var tocAnnotations = []string{
	"io.github.containers.zstd-chunked.manifest-checksum",
	"io.github.containers.zstd-chunked.manifest-position",
	"io.github.containers.zstd-chunked.tarsplit-checksum",
	"io.github.containers.zstd-chunked.tarsplit-position",
	"containerd.io/snapshot/stargz/toc.digest",
}

// withoutTOC takes the table-of-contents annotations off layer i, in the
// manifest's bytes and in a copy of its annotations; every other one stays.
func withoutTOC(e *jsonEdit, i string, ann map[string]string) map[string]string {
	var drop []string
	for _, k := range tocAnnotations {
		if _, ok := ann[k]; ok {
			drop = append(drop, k)
		}
	}
	if len(drop) == 0 {
		return ann
	}
	e.remove([]string{"layers", i, "annotations"}, drop...)
	out := maps.Clone(ann)
	for _, k := range drop {
		delete(out, k)
	}
	return out
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
		same = sameDesc(got.Layers[i], want.Layers[i]) && maps.Equal(got.Layers[i].Annotations, want.Layers[i].Annotations)
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
