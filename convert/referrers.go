package convert

import (
	"fmt"
	"regexp"
	"slices"
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

// cosign's own OCI layout (cosign save) names nothing: it marks the image's
// entry and its signatures' with a kind annotation, by which cosign load and
// cosign verify --local-image find them.
const (
	annotationCosignKind = "kind"
	cosignKindImage      = "dev.cosignproject.cosign/image"
	cosignKindIndex      = "dev.cosignproject.cosign/imageIndex"
)

// cosignKinds are the kinds of what vouches for the image, by the suffix of
// cosign's tag scheme.
var cosignKinds = map[string]string{
	"sig":  "dev.cosignproject.cosign/sigs",
	"att":  "dev.cosignproject.cosign/atts",
	"sbom": "dev.cosignproject.cosign/sboms",
}

// digestTag is a digest as the tag schemes write it: <alg>-<hex>.
func digestTag(d digest.Digest) string { return d.Algorithm().String() + "-" + d.Encoded() }

// cosignSuffix is the tag-scheme suffix of a descriptor's cosign kind, or "".
func cosignSuffix(ann map[string]string) string {
	for suffix, kind := range cosignKinds {
		if ann[annotationCosignKind] == kind {
			return suffix
		}
	}
	return ""
}

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
	if n.Index != nil {
		if m := referrersTag.FindStringSubmatch(d.Annotations[ocispec.AnnotationRefName]); m != nil {
			s := digest.Digest(m[1] + ":" + m[2])
			return s, validDigest(s) == nil
		}
		s := digest.Digest(d.Annotations[AnnotationSubject]) // as retar writes it
		return s, s != "" && validDigest(s) == nil
	}
	if n.Blob == nil || isImageManifest(n) {
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
	suffix := cosignSuffix(n.Desc.Annotations)
	if m := tagScheme.FindStringSubmatch(n.Desc.Annotations[ocispec.AnnotationRefName]); m != nil {
		suffix = m[3]
	}
	if suffix != "" {
		return map[string]string{"sig": KindSignature, "att": KindAttestation, "sbom": KindSBOM}[suffix]
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
			if s == "" {
				a.warnf("%s (a cosign %s) is in a layout that marks no one image as cosign's: what it vouches for is unknown", r.root.Desc.Digest, ReferrerKind(r.root))
				continue
			}
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
			ArtifactType: r.Desc.ArtifactType, Tag: cosignTag(r)}
		if r.Manifest != nil && ri.ArtifactType == "" {
			ri.ArtifactType = r.Manifest.ArtifactType
		}
		out = append(out, ri)
	}
	return out
}

// cosignTag is the tag cosign's tag scheme gives a cosign artifact: its
// name where the source names it so, else made from its kind and subject.
func cosignTag(r *Node) string {
	if n := r.Desc.Annotations[ocispec.AnnotationRefName]; tagScheme.MatchString(n) {
		return n
	}
	s := subjectDigest(r)
	if suffix := cosignSuffix(r.Desc.Annotations); suffix != "" && s != "" {
		return digestTag(s) + "." + suffix
	}
	return ""
}

// referrerEntry is a referrer's index.json entry as retar writes it: never
// named (containerd's importers register a name as an image, and ctr 1.6
// then fails unpacking a signature), marked with its subject as containerd
// 2.2+ marks referrers, and a cosign artifact with the kind cosign save
// gives it, by which cosign finds it in a layout.
func referrerEntry(r *Node) ocispec.Descriptor {
	d := r.Desc
	ann := map[string]string{}
	for k, v := range d.Annotations {
		ann[k] = v
	}
	if m := tagScheme.FindStringSubmatch(ann[ocispec.AnnotationRefName]); m != nil {
		ann[annotationCosignKind] = cosignKinds[m[3]]
	}
	delete(ann, ocispec.AnnotationRefName)
	delete(ann, annotationContainerdName)
	if s := subjectDigest(r); s != "" {
		ann[AnnotationSubject] = s.String()
	}
	d.Annotations = ann
	if len(ann) == 0 {
		d.Annotations = nil
	}
	return d
}

// cosignSubjects gives the artifacts of a cosign save layout (kind sigs,
// atts or sboms, nothing else naming a subject) the one image the layout
// marks as cosign's; with none or several, what they vouch for is unknown
// and they are kept apart ("" is in no image).
func cosignSubjects(entries []ocispec.Descriptor, images []*Image, subjects map[*Image]digest.Digest) {
	var marked []digest.Digest
	for _, d := range entries {
		if k := d.Annotations[annotationCosignKind]; (k == cosignKindImage || k == cosignKindIndex) && !slices.Contains(marked, d.Digest) {
			marked = append(marked, d.Digest)
		}
	}
	for _, img := range images {
		if _, ok := subjects[img]; ok || img.root == nil || cosignSuffix(img.root.Desc.Annotations) == "" || isImageManifest(img.root) {
			continue
		}
		subjects[img] = ""
		if len(marked) == 1 {
			// said on the entry as retar writes it, so what reads the
			// referrer alone (inspect, a rewrite) finds its subject
			subjects[img] = marked[0]
			ann := map[string]string{AnnotationSubject: marked[0].String()}
			for k, v := range img.root.Desc.Annotations {
				ann[k] = v
			}
			img.root.Desc.Annotations = ann
		}
	}
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
	var n *Node
	var err error
	switch {
	case ref.Manifest != nil && ref.Manifest.Subject != nil:
		n, err = followSubject(ref, subj)
	case ref.Index != nil: // a referrers index: its referrers follow too
		n, err = r.followIndex(ref, subj, old)
	default:
		c := *ref
		n = &c
	}
	if err != nil {
		return nil, err
	}
	if ann := followedAnnotations(ref.Desc.Annotations, subj.Desc.Digest); len(ann) > 0 {
		n.Desc.Annotations = ann
	}
	return n, nil
}

// followSubject edits a referrer's subject field to name subj: its digest,
// its size, and its media type where the field has one.
func followSubject(ref, subj *Node) (*Node, error) {
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
	n := newNode(ref.Desc.MediaType, data, ref.Desc.Platform)
	n.Manifest, n.Children, n.raw = &m, ref.Children, data
	return withDesc(n, ref.Desc), nil
}

// followIndex makes a referrers index follow subj: each of its referrers
// of old follows it, and the index is edited to list them.
func (r *rewriter) followIndex(ref, subj *Node, old digest.Digest) (*Node, error) {
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
	n, err := editedIndex(ref, children, moved, ref.Index.MediaType, ref.Index.MediaType == MediaTypeDockerManifestList)
	if err != nil {
		return nil, err
	}
	return withDesc(n, ref.Desc), nil
}

// followedAnnotations are a referrer descriptor's annotations with what
// names its subject (the subject annotation, cosign's and the referrers tag
// scheme's ref.name) naming subj instead.
func followedAnnotations(old map[string]string, subj digest.Digest) map[string]string {
	ann := map[string]string{}
	for k, v := range old {
		ann[k] = v
	}
	if _, ok := ann[AnnotationSubject]; ok {
		ann[AnnotationSubject] = subj.String()
	}
	if m := tagScheme.FindStringSubmatch(ann[ocispec.AnnotationRefName]); m != nil {
		ann[ocispec.AnnotationRefName] = digestTag(subj) + "." + m[3]
	} else if referrersTag.MatchString(ann[ocispec.AnnotationRefName]) {
		ann[ocispec.AnnotationRefName] = digestTag(subj)
	}
	return ann
}
