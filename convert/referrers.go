package convert

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// What vouches for an image travels with it: OCI 1.1 referrers (a manifest
// with a subject, which containerd 2.2+ and docker 29.1 save as index.json
// entries marked io.containerd.manifest.subject), and cosign's tag-scheme
// artifacts (an index.json entry named sha256-<hex>.sig, .att or .sbom, as
// cosign, oras and regctl leave in a layout). Each is read as a referrer of
// the image whose manifest or index it names, never as an image of its own;
// a referrer of a referrer (a signature of an attestation) goes with the
// same image. BuildKit's attestation manifests live inside the image's index
// and go with their platform there.

// AnnotationSubject is how containerd marks an index.json entry that refers
// to another manifest.
const AnnotationSubject = "io.containerd.manifest.subject"

// Referrer kinds, for what a user sees.
const (
	KindSignature   = "signature"
	KindAttestation = "attestation"
	KindSBOM        = "sbom"
	KindReferrer    = "referrer"
)

var (
	tagScheme = regexp.MustCompile(`^(sha256|sha384|sha512)-([0-9a-f]{64,128})\.(sig|att|sbom)$`)
	// The distribution specification's referrers tag schema: an index of
	// a manifest's referrers, tagged <alg>-<hex>, where a registry has no
	// referrers API.
	referrersTag = regexp.MustCompile(`^(sha256|sha384|sha512)-([0-9a-f]{64,128})$`)
)

// subjectOf tells an index.json entry that refers to another manifest: the
// manifest's own subject, containerd's annotation, or cosign's tag scheme
// (and the referrers tag schema, for an index of referrers). An image
// manifest is never a referrer: only artifacts are.
func subjectOf(d ocispec.Descriptor, n *Node) (digest.Digest, bool) {
	if m := referrersTag.FindStringSubmatch(d.Annotations[ocispec.AnnotationRefName]); m != nil && n.Index != nil {
		s := digest.Digest(m[1] + ":" + m[2])
		return s, validDigest(s) == nil
	}
	if n.Blob == nil || n.Index != nil || isImageManifest(n) {
		return "", false
	}
	if n.Manifest != nil && n.Manifest.Subject != nil {
		return n.Manifest.Subject.Digest, true
	}
	if s := digest.Digest(d.Annotations[AnnotationSubject]); s != "" && validDigest(s) == nil {
		return s, true
	}
	if m := tagScheme.FindStringSubmatch(d.Annotations[ocispec.AnnotationRefName]); m != nil {
		s := digest.Digest(m[1] + ":" + m[2])
		return s, validDigest(s) == nil
	}
	return "", false
}

// ReferrerKind says what a referrer is: a signature (cosign, notation), an
// attestation (in-toto, DSSE), an SBOM (SPDX, CycloneDX), or a referrer.
func ReferrerKind(n *Node) string {
	if m := tagScheme.FindStringSubmatch(n.Desc.Annotations[ocispec.AnnotationRefName]); m != nil {
		return map[string]string{"sig": KindSignature, "att": KindAttestation, "sbom": KindSBOM}[m[3]]
	}
	types := []string{n.Desc.ArtifactType}
	if n.Manifest != nil {
		types = append(types, n.Manifest.ArtifactType, n.Manifest.Config.MediaType)
		for _, l := range n.Manifest.Layers {
			types = append(types, l.MediaType)
		}
	}
	t := strings.Join(types, " ")
	switch {
	case strings.Contains(t, "signature") || strings.Contains(t, "simplesigning"):
		return KindSignature
	case strings.Contains(t, "in-toto") || strings.Contains(t, "dsse"):
		return KindAttestation
	case strings.Contains(t, "spdx") || strings.Contains(t, "cyclonedx") || strings.Contains(t, "syft"):
		return KindSBOM
	}
	return KindReferrer
}

// attachReferrers takes the referrers out of the images index.json lists and
// gives each to the image it refers to (directly, or through another
// referrer). Referrers whose subject is not in the source stay apart, in
// a.Dangling.
func (a *Archive) attachReferrers(subjects map[*Image]digest.Digest) {
	owner := map[digest.Digest]*Image{} // every manifest and index of an image, to it
	var images []*Image
	pending := map[*Image]digest.Digest{}
	for _, img := range a.Images {
		if s, ok := subjects[img]; ok {
			pending[img] = s
			continue
		}
		images = append(images, img)
		if img.root != nil {
			_ = img.root.walk(func(n *Node) error {
				if n.Manifest != nil || n.Index != nil {
					if _, taken := owner[n.Desc.Digest]; !taken {
						owner[n.Desc.Digest] = img
					}
				}
				return nil
			})
		}
	}
	// A referrer of a referrer is attached once its subject is: passes
	// until none is left or none moves (a chain is at most as long as the
	// list).
	for len(pending) > 0 {
		moved := false
		for _, r := range a.Images {
			s, ok := pending[r]
			if !ok {
				continue
			}
			if img := owner[s]; img != nil {
				img.Referrers = append(img.Referrers, r.root)
				owner[r.root.Desc.Digest] = img
				delete(pending, r)
				moved = true
			}
		}
		if !moved {
			break
		}
	}
	for _, r := range a.Images {
		if s, ok := pending[r]; ok {
			a.Dangling = append(a.Dangling, r.root)
			a.warnf("%s (a %s) refers to %s, which is not in the source", r.root.Desc.Digest, ReferrerKind(r.root), s)
		}
	}
	a.Images = images
}

// subjectDigest is what a referrer refers to.
func subjectDigest(n *Node) digest.Digest {
	s, _ := subjectOf(n.Desc, n)
	return s
}

// describeReferrers lists an image's referrers for inspect.
func describeReferrers(rs []*Node) []ReferrerInfo {
	out := []ReferrerInfo{}
	for _, r := range rs {
		ri := ReferrerInfo{Kind: ReferrerKind(r), Digest: r.Desc.Digest.String(), Subject: subjectDigest(r).String(),
			ArtifactType: r.Desc.ArtifactType, Tag: r.Desc.Annotations[ocispec.AnnotationRefName]}
		if r.Manifest != nil && ri.ArtifactType == "" {
			ri.ArtifactType = r.Manifest.ArtifactType
		}
		out = append(out, ri)
	}
	return out
}

// ReferrerInfo is one referrer of an image, as inspect lists it.
type ReferrerInfo struct {
	Kind         string `json:"Kind"`
	Digest       string `json:"Digest"`
	Subject      string `json:"Subject"`
	ArtifactType string `json:"ArtifactType,omitempty"`
	Tag          string `json:"Tag,omitempty"` // cosign's tag scheme: sha256-<hex>.sig
}

// followSubjects rewrites an image's referrers to follow their subjects
// into the output: a referrer whose subject was rewritten (another family,
// re-encoded layers, a filtered index) gets the new subject descriptor (its
// own digest changes too, and its referrers follow it in turn), a cosign
// tag and containerd's annotation name the new digest, and a signature or
// an attestation is said to no longer verify, since it vouches for bytes
// that are gone. A referrer whose subject is not written is left out.
func (r *rewriter) followSubjects(root *Node, refs []*Node) ([]*Node, error) {
	present := map[digest.Digest]bool{}
	_ = root.walk(func(n *Node) error {
		present[n.Desc.Digest] = true
		return nil
	})
	moved := map[digest.Digest]*Node{}
	for old, n := range r.memo {
		if n.Desc.Digest != old {
			moved[old] = n
		}
	}
	out := make([]*Node, len(refs))
	for progress := true; progress; {
		progress = false
		for i, ref := range refs {
			if out[i] != nil {
				continue
			}
			s := subjectDigest(ref)
			switch {
			case moved[s] != nil:
				nr, err := r.follow(ref, moved[s])
				if err != nil {
					return nil, err
				}
				if nr.Desc.Digest != ref.Desc.Digest { // a tag-scheme entry keeps its bytes
					moved[ref.Desc.Digest] = nr
				}
				out[i] = nr
			case present[s]:
				out[i] = ref
			default:
				continue
			}
			present[ref.Desc.Digest], present[out[i].Desc.Digest], progress = true, true, true
		}
	}
	kept := out[:0]
	for i, n := range out {
		if n == nil {
			*r.notices = append(*r.notices, fmt.Sprintf("%s %s refers to %s, which is not in the output: left out", ReferrerKind(refs[i]), refs[i].Desc.Digest, subjectDigest(refs[i])))
			continue
		}
		kept = append(kept, n)
	}
	return kept, nil
}

// follow gives a referrer the subject subj in place of the one it names.
func (r *rewriter) follow(ref, subj *Node) (*Node, error) {
	old := subjectDigest(ref)
	if k := ReferrerKind(ref); k == KindSignature || k == KindAttestation {
		*r.notices = append(*r.notices, fmt.Sprintf("%s %s vouches for %s, which is rewritten as %s: it no longer verifies; sign the new digest again", k, ref.Desc.Digest, old, subj.Desc.Digest))
	}
	n := ref
	switch {
	case ref.Manifest != nil && ref.Manifest.Subject != nil:
		e, err := newJSONEdit(ref.raw)
		if err != nil {
			return nil, err
		}
		if err := e.set(subj.Desc.Digest.String(), "subject", "digest"); err != nil {
			return nil, err
		}
		if err := e.set(subj.Desc.Size, "subject", "size"); err != nil {
			return nil, err
		}
		if ref.Manifest.Subject.MediaType != "" {
			if err := e.set(subj.Desc.MediaType, "subject", "mediaType"); err != nil {
				return nil, err
			}
		}
		data := e.bytes()
		m := *ref.Manifest
		s := ocispec.Descriptor{MediaType: ref.Manifest.Subject.MediaType, Digest: subj.Desc.Digest, Size: subj.Desc.Size}
		if s.MediaType != "" {
			s.MediaType = subj.Desc.MediaType
		}
		m.Subject = &s
		n = newNode(ref.Desc.MediaType, data, ref.Desc.Platform)
		n.Manifest, n.Children, n.raw = &m, ref.Children, data
		n = withDesc(n, ref.Desc)
	case ref.Index != nil: // a referrers index: its referrers follow too
		var children []*Node
		moved := map[string]string{}
		for _, c := range ref.Children {
			nc := c
			if subjectDigest(c) == old {
				var err error
				if nc, err = r.follow(c, subj); err != nil {
					return nil, err
				}
				moved[c.Desc.Digest.String()] = nc.Desc.Digest.String()
			}
			children = append(children, nc)
		}
		var err error
		if n, err = editedIndex(ref, children, moved, ref.Index.MediaType, ref.Index.MediaType == MediaTypeDockerManifestList); err != nil {
			return nil, err
		}
		n = withDesc(n, ref.Desc)
	default:
		c := *ref
		n = &c
	}
	// What names the subject in the descriptor follows it.
	ann := map[string]string{}
	for k, v := range ref.Desc.Annotations {
		ann[k] = v
	}
	if _, ok := ann[AnnotationSubject]; ok {
		ann[AnnotationSubject] = subj.Desc.Digest.String()
	}
	if m := tagScheme.FindStringSubmatch(ann[ocispec.AnnotationRefName]); m != nil {
		ann[ocispec.AnnotationRefName] = subj.Desc.Digest.Algorithm().String() + "-" + subj.Desc.Digest.Encoded() + "." + m[3]
	} else if referrersTag.MatchString(ann[ocispec.AnnotationRefName]) {
		ann[ocispec.AnnotationRefName] = subj.Desc.Digest.Algorithm().String() + "-" + subj.Desc.Digest.Encoded()
	}
	if len(ann) > 0 {
		n.Desc.Annotations = ann
	}
	return n, nil
}
