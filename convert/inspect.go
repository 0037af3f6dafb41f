package convert

import (
	"context"
	"fmt"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// InspectOptions choose what Inspect describes.
type InspectOptions struct {
	Pick      string
	Platforms []ocispec.Platform
	Host      ocispec.Platform
	Hashing   Hashing
}

// JSONSchemaVersion is the version of the JSON documents retar prints
// (inspect, check --json, verify --json, version --json, --progress=json)
// and the page's API returns: docs/schema describes each. Keys may be added
// within a version; one renamed, removed or retyped makes the next version.
const JSONSchemaVersion = 1

// Inspection is skopeo inspect's shape, plus what the source holds as a whole.
type Inspection struct {
	SchemaVersion int `json:"schemaVersion"` // JSONSchemaVersion

	Name          string            `json:"Name"`
	Digest        string            `json:"Digest"`
	RepoTags      []string          `json:"RepoTags"`
	Created       *time.Time        `json:"Created,omitempty"`
	DockerVersion string            `json:"DockerVersion"`
	Labels        map[string]string `json:"Labels"`
	Architecture  string            `json:"Architecture"`
	Variant       string            `json:"Variant,omitempty"`
	Os            string            `json:"Os"`
	Layers        []string          `json:"Layers"`
	LayersData    []LayerData       `json:"LayersData"`
	Env           []string          `json:"Env"`

	Layout   Layout           `json:"Layout"`
	Images   []InspectedImage `json:"Images"`
	Warnings []string         `json:"Warnings"`

	RawManifest []byte `json:"-"`
	RawConfig   []byte `json:"-"`
}

// LayerData is one layer, as skopeo inspect lists them.
type LayerData struct {
	MIMEType    string            `json:"MIMEType"`
	Digest      string            `json:"Digest"`
	Size        int64             `json:"Size"`
	Annotations map[string]string `json:"Annotations"`
}

// InspectedImage is one image of the source.
type InspectedImage struct {
	Names     []string `json:"Names"`
	Size      int64    `json:"Size"` // bytes of its blobs the source holds, each counted once
	Digest    string   `json:"Digest"`
	MediaType string   `json:"MediaType"`
	Platforms []string `json:"Platforms"`
	// Referrers are what vouches for it: signatures, attestations (BuildKit's
	// inside its index, and referrers), SBOMs.
	Referrers []ReferrerInfo `json:"Referrers,omitempty"`
}

// Inspect describes the picked image (the first when none is picked) and
// lists every image of the source. Images read from a docker manifest.json
// have their layers hashed, as their manifest needs the digests.
func (a *Archive) Inspect(ctx context.Context, o InspectOptions) (*Inspection, error) {
	images, err := a.Select(o.Pick)
	if err != nil {
		return nil, err
	}
	if err := a.resolve(ctx, a.Images, o.Hashing, false); err != nil {
		return nil, err
	}
	img := images[0]
	root := img.root
	in := &Inspection{SchemaVersion: JSONSchemaVersion, Layout: a.Layout, RepoTags: repoTags(img.Names), Warnings: append([]string{}, a.Warnings...),
		Digest: root.Desc.Digest.String(), Layers: []string{}, LayersData: []LayerData{}, Images: []InspectedImage{}}
	if len(img.Names) > 0 {
		in.Name = img.Names[0].String()
	}
	raw, err := a.readMeta(root.Blob, MaxManifestSize)
	if err != nil {
		return nil, err
	}
	in.RawManifest = raw
	var ws []string
	m, err := a.pickManifest(root, dockerPick(o.Platforms, o.Host), &ws)
	if err != nil {
		return nil, err
	}
	cfg := m.config()
	if in.RawConfig, err = a.readMeta(cfg.Blob, maxConfigSize); err != nil {
		return nil, err
	}
	c := cfg.Config
	if c.Created != nil {
		in.Created = c.Created
	}
	in.DockerVersion, in.Architecture, in.Variant, in.Os = c.DockerVersion, c.Architecture, c.Variant, c.OS
	in.Labels, in.Env = c.Config.Labels, c.Config.Env
	for _, l := range m.layers() {
		in.Layers = append(in.Layers, l.Desc.Digest.String())
		in.LayersData = append(in.LayersData, LayerData{MIMEType: l.Desc.MediaType, Digest: l.Desc.Digest.String(), Size: l.Desc.Size, Annotations: l.Desc.Annotations})
	}
	for i, im := range a.Images {
		in.Images = append(in.Images, im.Describe())
		if len(im.Names) == 0 {
			in.Warnings = append(in.Warnings, fmt.Sprintf("image @%d has no name: ctr images import will register nothing from it", i))
		}
	}
	return in, nil
}

// Describe lists an image's names, size, digest and platforms. An image of
// a docker manifest.json not yet resolved has no manifest digest yet.
func (im *Image) Describe() InspectedImage {
	ii := InspectedImage{Names: []string{}, Platforms: []string{}}
	for _, n := range im.Names {
		ii.Names = append(ii.Names, n.String())
	}
	if im.root == nil {
		if p := im.docker.cfg.Platform(); p != nil {
			ii.Platforms = append(ii.Platforms, PlatformString(p))
		}
		for _, b := range append([]*Blob{im.docker.config}, im.docker.layers...) {
			if b != nil {
				ii.Size += b.Size
			}
		}
		return ii
	}
	seen := map[*Blob]bool{}
	ii.Digest, ii.MediaType = im.root.Desc.Digest.String(), im.root.Desc.MediaType
	_ = im.root.walk(func(n *Node) error {
		if n.Blob != nil && !seen[n.Blob] {
			seen[n.Blob] = true
			ii.Size += n.Blob.Size
		}
		if n.Manifest != nil && !isAttestation(n.Desc) {
			if p := platformOf(n); p != nil {
				ii.Platforms = append(ii.Platforms, PlatformString(p))
			}
		} else if n.Blob == nil && n.Index == nil {
			ii.Platforms = append(ii.Platforms, PlatformString(n.Desc.Platform)+" (absent)")
		}
		if isAttestation(n.Desc) && n.Blob != nil {
			ii.Referrers = append(ii.Referrers, ReferrerInfo{Kind: KindAttestation, Digest: n.Desc.Digest.String(),
				Subject: n.Desc.Annotations[annotationRefDigest], ArtifactType: "application/vnd.in-toto+json"})
		}
		return nil
	})
	ii.Referrers = append(ii.Referrers, describeReferrers(im.Referrers)...)
	return ii
}

// Summary is what loaders see of an image, read without hashing its layers.
type Summary struct {
	// Docker: read from a docker manifest.json, whose config is all there is
	// of its platform (it stores no manifest).
	Docker bool
	// Platforms of its image manifests the source holds (attestations left
	// out); nil where a manifest says none.
	Platforms []*ocispec.Platform
	// Absent are manifests an index lists and the source lacks, by platform
	// ("linux/arm64", "unknown/unknown, an attestation").
	Absent []string
	// AbsentForeign are foreign layers whose bytes the source lacks.
	AbsentForeign []digest.Digest
	// AbsentBlobs are configs and layers, not foreign, whose bytes the
	// source lacks (a sparse OCI layout), as "config sha256:..." or
	// "layer sha256:...".
	AbsentBlobs []string
	Zstd        bool // a layer is zstd-compressed (by its media type or its first bytes)
	// ChunkedVariants are zstd:chunked's variant manifests (a non-tar
	// sentinel layer first), by platform; ChunkedFirst: one comes before
	// every image manifest of its platform in its index, so a loader that
	// takes the first match for a platform takes it.
	ChunkedVariants []*ocispec.Platform
	ChunkedFirst    bool
	// Mislabelled are layers whose first bytes are another compression than
	// their media type says (zstd labelled gzip, gzip labelled tar).
	Mislabelled []Mislabelled
	// DockerZstd: a Docker v2s2 manifest lists layers of a zstd media type,
	// which that family has none of (nerdctl commit writes it).
	DockerZstd bool
}

// Mislabelled is a layer whose bytes are not what its media type says.
type Mislabelled struct {
	Layer     digest.Digest
	Platform  *ocispec.Platform // its manifest's
	Is        Compression       // what its first bytes are
	Label     Compression       // what its media type says
	MediaType string
}

// Summarize describes an image as loaders will see it.
func (im *Image) Summarize() Summary {
	if im.docker != nil {
		return im.docker.summarize(im.src)
	}
	var s Summary
	part := map[*Node]string{} // a manifest's config and layers (walk visits the manifest first)
	_ = im.root.walk(func(n *Node) error {
		if n.Manifest != nil {
			for i, c := range n.Children {
				if _, ok := part[c]; !ok {
					part[c] = "layer"
					if i == 0 {
						part[c] = "config"
					}
				}
			}
		}
		if n.Blob == nil && n.Index == nil && n.Manifest == nil {
			s.addAbsent(n, part)
		}
		if n.Index != nil {
			s.addChunked(n)
		}
		if isChunkedVariant(n) && n == im.root {
			s.ChunkedVariants = append(s.ChunkedVariants, platformOf(n))
			s.ChunkedFirst = true
		}
		if isImageManifest(n) {
			s.addImage(n)
		}
		return nil
	})
	return s
}

// addAbsent counts a node whose content the source lacks: a foreign layer,
// a config or layer (part says which), or a manifest an index lists.
func (s *Summary) addAbsent(n *Node, part map[*Node]string) {
	switch what, ok := part[n]; {
	case isForeign(n.Desc):
		s.AbsentForeign = append(s.AbsentForeign, n.Desc.Digest)
	case ok:
		s.AbsentBlobs = append(s.AbsentBlobs, what+" "+n.Desc.Digest.String())
	default:
		s.Absent = append(s.Absent, PlatformString(n.Desc.Platform)+attestationNote(n.Desc))
	}
}

// addChunked counts an index's zstd:chunked variants, and whether one comes
// before every image manifest of its platform.
func (s *Summary) addChunked(n *Node) {
	seen := map[string]bool{} // platforms with an image manifest so far
	for _, c := range n.Children {
		switch p := platformOf(c); {
		case isImageManifest(c):
			seen[PlatformString(p)] = true
		case isChunkedVariant(c):
			s.ChunkedVariants = append(s.ChunkedVariants, p)
			s.ChunkedFirst = s.ChunkedFirst || !seen[PlatformString(p)]
		}
	}
}

// addImage counts an image manifest: its platform, and its layers' zstd and
// mislabelled compressions.
func (s *Summary) addImage(n *Node) {
	s.Platforms = append(s.Platforms, platformOf(n))
	docker := contentIsDocker(n)
	for _, l := range n.layers() {
		c, ok := compressionOf(l.Desc.MediaType)
		if ok && c == Zstd {
			s.Zstd = true
			s.DockerZstd = s.DockerZstd || docker
		}
		if !ok || l.Blob == nil || isForeign(l.Desc) {
			continue
		}
		if is, err := l.Blob.sniff(); err == nil && is != c && is != Uncompressed {
			s.Zstd = s.Zstd || is == Zstd
			s.Mislabelled = append(s.Mislabelled, Mislabelled{Layer: l.Desc.Digest,
				Platform: platformOf(n), Is: is, Label: c, MediaType: l.Desc.MediaType})
		}
	}
}

func (di *dockerImage) summarize(a *Archive) Summary {
	s := Summary{Docker: true}
	if p := di.cfg.Platform(); p != nil {
		s.Platforms = []*ocispec.Platform{p}
	}
	for j, b := range di.layers {
		if b == nil {
			s.AbsentForeign = append(s.AbsentForeign, di.foreign[j].Digest)
		} else if c, err := b.sniff(); err == nil && c == Zstd {
			s.Zstd = true
		}
	}
	return s
}
