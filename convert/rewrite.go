package convert

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
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
		// The one use here of a file above (rewriteindex.go): an index's
		// children come back through node, so the recursion spans both.
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

func sameDesc(a, b ocispec.Descriptor) bool {
	return a.MediaType == b.MediaType && a.Digest == b.Digest && a.Size == b.Size
}
