package imagediff

import (
	"context"
	"strings"

	"github.com/retar-dev/retar/convert"
)

// image is one image of a source, as compared: its names, its root node,
// its image manifests (one per platform) and what rides along.
type image struct {
	arch      *convert.Archive
	at        int // its index in the source, for "@N"
	names     []string
	root      *convert.Node
	size      int64
	manifests []*manifest
	artifacts []*convert.Node
}

// manifest is an image manifest and what it points to; node.Manifest is
// nil for a platform an index lists but the source does not hold.
type manifest struct {
	arch     *convert.Archive
	node     *convert.Node
	platform string
	config   *convert.Node
	layers   []Layer
	blobs    []*convert.Node // the layers' nodes, in order
	size     int64
}

// collect reads the images of a source that a pick names, deriving the
// manifests of a docker-archive's images (which hashes their layers once).
func collect(ctx context.Context, a *convert.Archive, pick string) ([]*image, error) {
	picked, err := a.Select(pick)
	if err != nil {
		return nil, err
	}
	var out []*image
	for _, img := range picked {
		root, err := img.Root(ctx)
		if err != nil {
			return nil, err
		}
		im := &image{arch: a, root: root, size: img.Describe().Size}
		for i, other := range a.Images {
			if other == img {
				im.at = i
			}
		}
		for _, n := range img.Names {
			im.names = append(im.names, n.String())
		}
		im.gather(root)
		im.artifacts = append(im.artifacts, img.Referrers...)
		out = append(out, im)
	}
	return out, nil
}

// gather sorts the nodes below an index into image manifests and artifacts.
func (im *image) gather(n *convert.Node) {
	switch {
	case n.Index != nil:
		for _, c := range n.Children {
			im.gather(c)
		}
	case isAttestationDesc(n):
		im.artifacts = append(im.artifacts, n)
	case n.Manifest != nil && isImage(n):
		im.manifests = append(im.manifests, newManifest(im.arch, n))
	case n.Manifest != nil:
		im.artifacts = append(im.artifacts, n)
	default: // a platform the index lists and the source does not hold
		im.manifests = append(im.manifests, &manifest{node: n, platform: platformName(n) + " (absent)"})
	}
}

func isImage(n *convert.Node) bool {
	if len(n.Children) == 0 || n.Manifest.ArtifactType != "" {
		return false
	}
	for _, l := range n.Manifest.Layers {
		if !strings.Contains(l.MediaType, ".tar") { // in-toto statements, signatures, SBOMs
			return false
		}
	}
	c := n.Children[0].Config
	return c != nil && (c.RootFS.Type != "" || len(c.RootFS.DiffIDs) > 0)
}

// isAttestationDesc tells BuildKit's attestation entries, whose platform is
// unknown/unknown.
func isAttestationDesc(n *convert.Node) bool {
	p := n.Desc.Platform
	return n.Desc.Annotations["vnd.docker.reference.type"] == "attestation-manifest" ||
		p != nil && p.OS == "unknown" && p.Architecture == "unknown"
}

func platformName(n *convert.Node) string {
	if n.Desc.Platform != nil {
		return convert.PlatformString(n.Desc.Platform)
	}
	if len(n.Children) > 0 && n.Children[0].Config != nil {
		return convert.PlatformString(n.Children[0].Config.Platform())
	}
	return convert.PlatformString(nil)
}

func newManifest(a *convert.Archive, n *convert.Node) *manifest {
	m := &manifest{arch: a, node: n, platform: platformName(n), config: n.Children[0]}
	m.size = n.Desc.Size + m.config.Desc.Size
	var diffIDs []string
	for _, d := range m.config.Config.RootFS.DiffIDs {
		diffIDs = append(diffIDs, d.String())
	}
	for i, l := range n.Children[1:] {
		layer := Layer{Digest: l.Desc.Digest.String(), Size: l.Desc.Size, MediaType: l.Desc.MediaType,
			Compression: compressionOf(l.Desc.MediaType)}
		if i < len(diffIDs) {
			layer.DiffID = diffIDs[i]
		}
		m.layers = append(m.layers, layer)
		m.blobs = append(m.blobs, l)
		m.size += l.Desc.Size
	}
	return m
}

// compressionOf is a layer's compression as its media type says it.
func compressionOf(mt string) string {
	switch {
	case strings.HasSuffix(mt, "gzip"):
		return "gzip"
	case strings.HasSuffix(mt, "zstd"):
		return "zstd"
	}
	return "none"
}

// blobs calls fn with every node of an image that has content, each once.
func (im *image) blobs(fn func(*convert.Node)) {
	seen := map[*convert.Node]bool{}
	var rec func(*convert.Node)
	rec = func(n *convert.Node) {
		if seen[n] {
			return
		}
		seen[n] = true
		if n.Blob != nil {
			fn(n)
		}
		for _, c := range n.Children {
			rec(c)
		}
	}
	rec(im.root)
	for _, r := range im.artifacts {
		rec(r)
	}
}
