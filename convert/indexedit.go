// Editing an index's bytes in place: the entries whose child changed get
// the child's new descriptor and the rest keep their bytes. The index
// rewrite and the referrers' indexes both edit so.

package convert

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

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
