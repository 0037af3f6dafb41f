package convert

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Rewriting an index: its children as they are written, those the destination
// does not take left out, attestations following the manifests they are
// about; edited in place where nothing is left out, written anew otherwise.

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

func attestationNote(d ocispec.Descriptor) string {
	if isAttestation(d) {
		return ", an attestation"
	}
	return ""
}
