package convert

import (
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The graph below a manifest or an index, as OCI layouts and dir: layouts
// store it: every manifest and index read (and verified) once, shared where
// several descriptors point at it.

// node builds the graph below a descriptor that names a manifest or an index.
func (a *Archive) node(d ocispec.Descriptor, by string, depth int) (*Node, error) {
	if err := validDescriptor(d); err != nil {
		return nil, a.errorf("", "%s: %v", by, err)
	}
	if depth > maxGraphDepth {
		return nil, a.errorf("", "indexes nested deeper than %d (at %s)", maxGraphDepth, d.Digest)
	}
	if n, ok := a.nodes[d.Digest]; ok {
		c := *n // the content is shared; the descriptor is this reference's own
		c.Desc = d
		return &c, nil
	}
	b, err := a.blob(d.Digest, true)
	if err != nil {
		return nil, err
	}
	n := &Node{Desc: d, Blob: b}
	if b == nil { // an index may list platforms the archive does not carry
		return n, nil
	}
	if b.Size != d.Size {
		return nil, &SizeError{Source: a.Source, Blob: b.Path, Want: d.Size, Got: b.Size}
	}
	data, err := a.readMeta(b, MaxManifestSize)
	if err != nil {
		return nil, err
	}
	a.nodes[d.Digest] = n
	if err := a.parseManifest(n, data, by, depth); err != nil {
		return nil, err
	}
	return n, nil
}

// manifestProbe tells manifests from indexes whatever media type a descriptor claims.
type manifestProbe struct {
	SchemaVersion int                   `json:"schemaVersion"`
	MediaType     string                `json:"mediaType"`
	Manifests     *[]ocispec.Descriptor `json:"manifests"`
	Config        *ocispec.Descriptor   `json:"config"`
}

func (a *Archive) parseManifest(n *Node, data []byte, by string, depth int) error {
	p := n.Blob.Path
	n.raw = data
	var probe manifestProbe
	if err := a.jsonDecode(p, data, &probe); err != nil {
		return err
	}
	switch {
	case probe.SchemaVersion == 1:
		return a.readSchema1(n, data, depth)
	case probe.Manifests != nil || isIndexType(probe.MediaType):
		var idx ocispec.Index
		if err := a.jsonDecode(p, data, &idx); err != nil {
			return err
		}
		n.Index = &idx
		for _, c := range idx.Manifests {
			cn, err := a.node(c, p, depth+1)
			if err != nil {
				return err
			}
			n.Children = append(n.Children, cn)
		}
	case probe.Config != nil:
		var m ocispec.Manifest
		if err := a.jsonDecode(p, data, &m); err != nil {
			return err
		}
		n.Manifest = &m
		return a.manifestChildren(n)
	default:
		return a.errorf(p, "neither an image manifest nor an index (referenced by %s)", by)
	}
	return nil
}

// manifestChildren attaches a manifest's config and layers and checks the
// layers against the config's diff_ids.
func (a *Archive) manifestChildren(n *Node) error {
	m, p := n.Manifest, n.Blob.Path
	if err := validDescriptor(m.Config); err != nil {
		return a.errorf(p, "config: %v", err)
	}
	for i, l := range m.Layers {
		if err := validDescriptor(l); err != nil {
			return a.errorf(p, "layer %d: %v", i, err)
		}
	}
	if m.Subject != nil {
		if err := validDescriptor(*m.Subject); err != nil {
			return a.errorf(p, "subject: %v", err)
		}
	}
	cb, err := a.blob(m.Config.Digest, false)
	if err != nil {
		return err
	}
	cfg := &Node{Desc: m.Config, Blob: cb}
	n.Children = append(n.Children, cfg)
	if cb != nil {
		if cb.Size != m.Config.Size {
			return &SizeError{Source: a.Source, Blob: cb.Path, Want: m.Config.Size, Got: cb.Size}
		}
		if isImageConfigType(m.Config.MediaType) || m.Config.MediaType == "application/octet-stream" {
			data, err := a.readMeta(cb, maxConfigSize)
			if err != nil {
				return err
			}
			if cfg.Config, err = parseConfig(data); err != nil {
				return a.errorf(cb.Path, "invalid image config: %v", err)
			}
		}
	}
	// An artifact's config may borrow an image config's type and fields
	// (cosign's, BuildKit's attestations'); only an image's diff_ids count.
	image := cfg.Config.isImage() && imageLayers(m)
	if image && len(cfg.Config.RootFS.DiffIDs) != len(m.Layers) {
		return a.errorf(p, "%d layers, but the config lists %d diff_ids", len(m.Layers), len(cfg.Config.RootFS.DiffIDs))
	}
	for i, l := range m.Layers {
		lb, err := a.blob(l.Digest, false)
		if err != nil {
			return err
		}
		if lb != nil && lb.Size != l.Size {
			return &SizeError{Source: a.Source, Blob: lb.Path, Want: l.Size, Got: lb.Size}
		}
		ln := &Node{Desc: l, Blob: lb}
		// The diff_id is checked when the layer is hashed, by what its
		// bytes are, whatever its media type says (layers are mislabelled).
		if image && lb != nil && lb.diffID == "" {
			lb.diffID = cfg.Config.RootFS.DiffIDs[i]
		}
		n.Children = append(n.Children, ln)
	}
	return nil
}
