package convert

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

const (
	// ArtifactTypeBuildKitAttestation is what BuildKit (0.20 on) gives its
	// attestation manifests as artifactType; registries list referrers by it.
	ArtifactTypeBuildKitAttestation = "application/vnd.docker.attestation.manifest.v1+json"
	mediaTypeInToto                 = "application/vnd.in-toto+json"
	annotationPredicateType         = "in-toto.io/predicate-type"
)

// takesAttestation tells whether an index keeps attestation entry c: it
// does unless they are stripped or become referrers; a referrer-to-be is
// remembered to be made once its subject is rewritten.
func (r *rewriter) takesAttestation(c *Node, pending *[]*Node) bool {
	if !isAttestation(c.Desc) || c.Blob == nil {
		return true
	}
	switch r.attestations {
	case AttestationsStrip:
		r.stripped++
		return false
	case AttestationsReferrers:
		*pending = append(*pending, c)
		return false
	}
	return true
}

// asReferrers makes the attestation manifests an index gave up into OCI 1.1
// referrers of their subjects, as written; those whose subject the output
// lacks go with it.
func (r *rewriter) asReferrers(index digest.Digest, pending []*Node) error {
	for _, att := range pending {
		subj := r.memo[digest.Digest(att.Desc.Annotations[annotationRefDigest])]
		if subj == nil {
			continue
		}
		ref, err := r.referrerOf(att, subj)
		if err != nil {
			return err
		}
		if r.extracted == nil {
			r.extracted = map[digest.Digest][]*Node{}
		}
		r.extracted[index] = append(r.extracted[index], ref)
	}
	return nil
}

// referrerOf gives an attestation manifest its subject and artifactType
// (BuildKit's newer ones carry both already) and the index.json descriptor
// of a referrer: containerd's subject annotation and the in-toto predicate
// types of its statements.
func (r *rewriter) referrerOf(att, subj *Node) (*Node, error) {
	m := *att.Manifest
	e, err := newJSONEdit(att.raw)
	if err != nil {
		return nil, err
	}
	sd := ocispec.Descriptor{MediaType: subj.Desc.MediaType, Digest: subj.Desc.Digest, Size: subj.Desc.Size}
	if m.Subject == nil || m.Subject.Digest != sd.Digest || m.Subject.Size != sd.Size {
		if err := e.set(sd, "subject"); err != nil {
			return nil, err
		}
		m.Subject = &sd
	}
	if m.ArtifactType == "" {
		if err := e.set(ArtifactTypeBuildKitAttestation, "artifactType"); err != nil {
			return nil, err
		}
		m.ArtifactType = ArtifactTypeBuildKitAttestation
	}
	data := att.raw
	if len(e.edits) > 0 {
		data = e.bytes()
	}
	n := newNode(ocispec.MediaTypeImageManifest, data, nil)
	n.Manifest, n.Children, n.raw = &m, att.Children, data
	n.Desc.ArtifactType = m.ArtifactType
	n.Desc.Annotations = map[string]string{AnnotationSubject: sd.Digest.String()}
	if p := predicateTypes(&m); p != "" {
		n.Desc.Annotations[annotationPredicateType] = p
	}
	return n, nil
}

// predicateTypes lists the in-toto predicate types of an attestation's
// statements, as BuildKit annotates its layers, comma-separated.
func predicateTypes(m *ocispec.Manifest) string {
	var ps []string
	for _, l := range m.Layers {
		if p := l.Annotations[annotationPredicateType]; p != "" && !slices.Contains(ps, p) {
			ps = append(ps, p)
		}
	}
	return strings.Join(ps, ",")
}

// isInToto tells a referrer that holds in-toto statements only, which
// BuildKit's form can hold: not a DSSE envelope, a signature or an SBOM file.
func isInToto(n *Node) bool {
	if n.Manifest == nil || len(n.Manifest.Layers) == 0 {
		return false
	}
	for _, l := range n.Manifest.Layers {
		if l.MediaType != mediaTypeInToto {
			return false
		}
	}
	return true
}

// attachInToto takes an image's in-toto referrers whose subject is one of
// its image manifests, to be written into the index beside it; the rest
// stay referrers.
func (r *rewriter) attachInToto(root *Node, refs []*Node) []*Node {
	manifests := map[digest.Digest]bool{}
	_ = root.walk(func(n *Node) error {
		if isImageManifest(n) {
			manifests[n.Desc.Digest] = true
		}
		return nil
	})
	var rest []*Node
	for _, ref := range refs {
		if s := subjectDigest(ref); isInToto(ref) && manifests[s] {
			if r.attach == nil {
				r.attach = map[digest.Digest][]*Node{}
			}
			if !slices.Contains(r.attach[s], ref) {
				r.attach[s] = append(r.attach[s], ref)
			}
			continue
		}
		rest = append(rest, ref)
	}
	return rest
}

// attestationsFor are the attestation entries an index gets for the child
// c it keeps (written as nc), in BuildKit's form: the manifest's subject
// follows nc, its descriptor names nc and has the unknown platform.
func (r *rewriter) attestationsFor(c, nc *Node) ([]*Node, error) {
	var out []*Node
	for _, ref := range r.attach[c.Desc.Digest] {
		n := ref
		if ref.Manifest.Subject != nil && ref.Manifest.Subject.Digest != nc.Desc.Digest {
			var err error
			if n, err = r.follow(ref, nc); err != nil {
				return nil, err
			}
		}
		d := ocispec.Descriptor{MediaType: n.Desc.MediaType, Digest: n.Desc.Digest, Size: n.Desc.Size,
			Annotations: map[string]string{annotationRefType: "attestation-manifest", annotationRefDigest: nc.Desc.Digest.String()},
			Platform:    &ocispec.Platform{OS: "unknown", Architecture: "unknown"}}
		a := *n
		a.Desc = d
		out = append(out, &a)
	}
	return out, nil
}

// wrapAttested puts an image that is one manifest into an index of its own
// when attestations go beside it: BuildKit's form has them in an index.
func (r *rewriter) wrapAttested(src, root *Node) (*Node, error) {
	if root.Manifest == nil || len(r.attach[src.Desc.Digest]) == 0 {
		return root, nil
	}
	entry := *root
	entry.Desc = ocispec.Descriptor{MediaType: root.Desc.MediaType, Digest: root.Desc.Digest, Size: root.Desc.Size, Platform: platformOf(root)}
	atts, err := r.attestationsFor(src, &entry)
	if err != nil {
		return nil, err
	}
	children := append([]*Node{&entry}, atts...)
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex}
	idx.SchemaVersion = 2
	for _, c := range children {
		idx.Manifests = append(idx.Manifests, c.Desc)
	}
	data, err := json.Marshal(idx)
	if err != nil {
		return nil, err
	}
	out := newNode(ocispec.MediaTypeImageIndex, data, nil)
	out.Index, out.Children, out.raw = &idx, children, data
	return withDesc(out, ocispec.Descriptor{Annotations: root.Desc.Annotations}), nil
}

// referrersIn are the referrers made from the attestations of the indexes
// in root.
func (r *rewriter) referrersIn(root *Node) []*Node {
	var out []*Node
	_ = root.walk(func(n *Node) error {
		if n.Index != nil {
			out = append(out, r.extracted[n.Desc.Digest]...)
		}
		return nil
	})
	return out
}
