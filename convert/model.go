package convert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The model: every layout reads into this graph, every stage works on it and
// every layout writes from it. A Blob is content; a Node is a descriptor and
// the content it points to, parsed where it is a manifest, an index or a
// config; an Image is a root node and its names. A Compression is how a
// layer is encoded, named by its media type.

// Media types retar reads and writes (image-spec has the OCI ones).
const (
	MediaTypeDockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeDockerConfig       = "application/vnd.docker.container.image.v1+json"
	MediaTypeDockerLayer        = "application/vnd.docker.image.rootfs.diff.tar"
	MediaTypeDockerLayerGzip    = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	mediaTypeDockerForeignGzip  = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
	mediaTypeDockerForeign      = "application/vnd.docker.image.rootfs.foreign.diff.tar"
	mediaTypeSchema1Signed      = "application/vnd.docker.distribution.manifest.v1+prettyjws"

	// annotationContainerdName is the full image name containerd and Docker 25+ write.
	annotationContainerdName = "io.containerd.image.name"
)

// Blob is one piece of content: a file of the source layout, or bytes retar wrote.
type Blob struct {
	Path   string        // file in the source, for messages; "" for new bytes
	origin string        // the source (archive or directory) it is in
	Size   int64         // actual size
	Digest digest.Digest // known from its name or descriptor, or computed once hashed

	fsys     fs.FS
	data     []byte      // content written by retar
	spill    io.ReaderAt // content re-encoded by retar, Size bytes
	verified bool        // Digest was computed from the content

	diffID      digest.Digest // a layer's diff_id, to check where it can be
	deepDone    bool          // diffID checked by decompressing
	learnDiff   bool          // diffID unknown (a v1 chain's layer): learned as it is hashed
	compression Compression
	// claimedDiff: Digest is the diff_id the config claims for this plain
	// layer, taken before hashing (Options.VerifyAsWritten) and checked then.
	claimedDiff bool
	// later: a layer decoded into its place as the plan is written
	// (reencodeplaced.go); no content before that.
	later *laterLayer
}

// What a blob's bytes teach is recorded by these methods only, each called
// once the bytes passed checkContent: the digest they hash to, the
// compression their first bytes show, the diff_id their decompressed bytes
// hash to. What a source claims (a digest named by a path, a config's
// diff_ids) is set where the source is read, and checked against these.

// checked records the digest the blob's bytes were hashed to.
func (b *Blob) checked(got digest.Digest) { b.Digest, b.verified = got, true }

// sniffed records the compression the blob's first bytes show.
func (b *Blob) sniffed(c Compression) { b.compression = c }

// diffChecked records that the layer's diff_id was checked by decompressing
// it; for a layer whose diff_id was unknown (a v1 chain's), that diff is it.
func (b *Blob) diffChecked(diff digest.Digest) {
	if b.learnDiff {
		b.diffID, b.learnDiff = diff, false
	}
	b.deepDone = true
}

// algorithm is the one b's digest is in: sha256 while it is unknown.
func (b *Blob) algorithm() digest.Algorithm { return algorithmOf(b.Digest) }

// diffAlgorithm is the one b's diff_id is in: sha256 while it is unknown.
func (b *Blob) diffAlgorithm() digest.Algorithm { return algorithmOf(b.diffID) }

// algorithmOf is the algorithm of d, or sha256 (what retar computes) while
// d is unknown: the one place that default is decided.
func algorithmOf(d digest.Digest) digest.Algorithm {
	if d == "" {
		return digest.SHA256
	}
	return d.Algorithm()
}

func (b *Blob) open() (io.ReadCloser, error) {
	if b.later != nil {
		return nil, fmt.Errorf("internal: %s is decoded into its place as the output is written, and cannot be read before", b.Path)
	}
	if b.spill != nil {
		return io.NopCloser(io.NewSectionReader(b.spill, 0, b.Size)), nil
	}
	if b.data != nil {
		return io.NopCloser(bytes.NewReader(b.data)), nil
	}
	return b.fsys.Open(b.Path)
}

// Node is a descriptor of the image graph and the content it points to.
type Node struct {
	Desc     ocispec.Descriptor
	Blob     *Blob             // nil where the source does not hold the content
	Manifest *ocispec.Manifest // parsed, for image manifests (v2s2 or OCI)
	Index    *ocispec.Index    // parsed, for indexes and manifest lists
	Config   *Config           // parsed, for image configs
	Children []*Node           // an index's manifests; a manifest's config then layers

	raw []byte // a manifest's or an index's bytes, for editing in place
	// pending is a schema 1 manifest's image, whose manifest is derived
	// once its layers are hashed: the node stands for it until then.
	pending *dockerImage
}

// newNode is a node for bytes retar wrote.
func newNode(mediaType string, data []byte, platform *ocispec.Platform) *Node {
	d := digest.FromBytes(data)
	return &Node{
		Desc: ocispec.Descriptor{MediaType: mediaType, Digest: d, Size: int64(len(data)), Platform: platform},
		Blob: &Blob{Size: int64(len(data)), Digest: d, data: data, verified: true},
	}
}

// walk calls fn for n and every node below it, depth first, each node once.
func (n *Node) walk(fn func(*Node) error) error {
	seen := map[*Node]bool{}
	var rec func(*Node) error
	rec = func(n *Node) error {
		if seen[n] {
			return nil
		}
		seen[n] = true
		if err := fn(n); err != nil {
			return err
		}
		for _, c := range n.Children {
			if err := rec(c); err != nil {
				return err
			}
		}
		return nil
	}
	return rec(n)
}

// walkAll walks an image's graph and its referrers' graphs.
func walkAll(root *Node, referrers []*Node, fn func(*Node) error) error {
	for _, r := range append([]*Node{root}, referrers...) {
		if err := r.walk(fn); err != nil {
			return err
		}
	}
	return nil
}

// layers returns a manifest node's layer nodes.
func (n *Node) layers() []*Node {
	if n.Manifest == nil || len(n.Children) == 0 {
		return nil
	}
	return n.Children[1:]
}

// config returns a manifest node's config node.
func (n *Node) config() *Node {
	if n.Manifest == nil || len(n.Children) == 0 {
		return nil
	}
	return n.Children[0]
}

// isImageManifest tells image manifests (docker or OCI: an image config,
// layers that are tar layers) from artifacts, which are copied as they are:
// signatures, attestations, SBOMs, Helm charts, zstd:chunked's sentinel
// variant. cosign's signatures borrow the image config type and list their
// payloads as diff_ids, so the layers' types tell.
func isImageManifest(n *Node) bool {
	if n.Manifest == nil || len(n.Children) == 0 || !imageLayers(n.Manifest) {
		return false
	}
	if c := n.Children[0].Config; c != nil {
		return c.isImage()
	}
	return isImageConfigType(n.Manifest.Config.MediaType) // config absent: its type is all there is
}

// MediaTypeChunkedSentinel is the first layer of zstd:chunked's variant
// manifests: a non-tar blob that readers of zstd:chunked only skip, and that
// every other reader fails on.
const MediaTypeChunkedSentinel = "application/vnd.containers.zstd-chunked-sentinel"

// isChunkedVariant tells zstd:chunked's variant manifest: an artifact to
// retar, but of its platform as much as the image beside it in its index.
func isChunkedVariant(n *Node) bool {
	if n.Manifest == nil {
		return false
	}
	for _, l := range n.Manifest.Layers {
		if l.MediaType == MediaTypeChunkedSentinel {
			return true
		}
	}
	return false
}

// imageLayers reports a manifest that declares no artifact type and whose
// layers are all tar layers, in any compression, or foreign ones.
func imageLayers(m *ocispec.Manifest) bool {
	if m.ArtifactType != "" {
		return false
	}
	for _, l := range m.Layers {
		if _, ok := compressionOf(l.MediaType); !ok && !isForeign(l) {
			return false
		}
	}
	return true
}

// Config is what retar reads of an image config.
type Config struct {
	ocispec.Image
	DockerVersion string `json:"docker_version,omitempty"`
}

func parseConfig(b []byte) (*Config, error) {
	if err := checkJSON(b, false); err != nil {
		return nil, err
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	for i, d := range c.RootFS.DiffIDs {
		if err := validDigest(d); err != nil {
			return nil, fmt.Errorf("rootfs.diff_ids[%d]: %w", i, err)
		}
	}
	return &c, nil
}

// isImage tells an image config from an artifact's config that borrows its
// media type (regclient's artifacts carry "{}" as one).
func (c *Config) isImage() bool {
	return c != nil && (c.RootFS.Type != "" || len(c.RootFS.DiffIDs) > 0)
}

// Platform is the config's platform, in the shape index descriptors use.
func (c *Config) Platform() *ocispec.Platform {
	if c == nil || c.OS == "" && c.Architecture == "" {
		return nil
	}
	return &ocispec.Platform{OS: c.OS, Architecture: c.Architecture, Variant: c.Variant, OSVersion: c.OSVersion}
}

// validDigest accepts a digest retar can use as a name, a path or an output:
// an algorithm it can compute and an encoded part of that algorithm's length
// and alphabet. Every digest read from any document passes here first, so a
// "sha256:../../x" never becomes a path or reaches an output.
func validDigest(d digest.Digest) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("invalid digest %q: %v", printable(string(d)), err)
	}
	return nil
}

// validDescriptor checks what retar uses of a descriptor read from a
// document: its digest and a size that can be one.
func validDescriptor(d ocispec.Descriptor) error {
	if err := validDigest(d.Digest); err != nil {
		return err
	}
	if d.Size < 0 {
		return fmt.Errorf("descriptor of %s: negative size %d", d.Digest, d.Size)
	}
	return nil
}

func isIndexType(mt string) bool {
	return mt == ocispec.MediaTypeImageIndex || mt == MediaTypeDockerManifestList
}

func isImageConfigType(mt string) bool {
	return mt == ocispec.MediaTypeImageConfig || mt == MediaTypeDockerConfig
}

// isForeign reports a layer whose bytes a registry may not serve: it may be
// absent from an archive without the archive being broken.
func isForeign(d ocispec.Descriptor) bool {
	switch d.MediaType {
	case mediaTypeDockerForeignGzip, mediaTypeDockerForeign,
		ocispec.MediaTypeImageLayerNonDistributable,     //nolint:staticcheck // still written by old tools
		ocispec.MediaTypeImageLayerNonDistributableGzip, //nolint:staticcheck
		ocispec.MediaTypeImageLayerNonDistributableZstd: //nolint:staticcheck
		return true
	}
	return len(d.URLs) > 0
}

// isAttestation tells BuildKit's attestation manifests, which index entries
// carry as platform unknown/unknown.
func isAttestation(d ocispec.Descriptor) bool {
	return d.Annotations[annotationRefType] == "attestation-manifest" ||
		d.Platform != nil && d.Platform.OS == "unknown" && d.Platform.Architecture == "unknown"
}

// BuildKit ties an attestation manifest in an index to the image manifest it
// describes with these annotations.
const (
	annotationRefType   = "vnd.docker.reference.type"
	annotationRefDigest = "vnd.docker.reference.digest"
)

var dockerToOCI = map[string]string{
	MediaTypeDockerConfig:       ocispec.MediaTypeImageConfig,
	MediaTypeDockerLayer:        ocispec.MediaTypeImageLayer,
	MediaTypeDockerLayerGzip:    ocispec.MediaTypeImageLayerGzip,
	mediaTypeDockerForeign:      ocispec.MediaTypeImageLayerNonDistributable,     //nolint:staticcheck
	mediaTypeDockerForeignGzip:  ocispec.MediaTypeImageLayerNonDistributableGzip, //nolint:staticcheck
	MediaTypeDockerManifest:     ocispec.MediaTypeImageManifest,
	MediaTypeDockerManifestList: ocispec.MediaTypeImageIndex,
}

// familyType maps a media type into the docker or the OCI family; types with
// no counterpart (zstd layers, artifacts) stay as they are.
func familyType(mt string, docker bool) string {
	for d, o := range dockerToOCI {
		if !docker && mt == d {
			return o
		}
		if docker && mt == o {
			return d
		}
	}
	return mt
}

// Compression is how a layer's bytes are encoded.
type Compression int

const (
	Uncompressed Compression = iota
	Gzip
	Zstd
)

func (c Compression) String() string {
	switch c {
	case Gzip:
		return "gzip"
	case Zstd:
		return "zstd"
	}
	return "none"
}

// layerMediaType is the media type of a layer of the given compression, in the
// docker (v2s2) or OCI family.
func layerMediaType(c Compression, docker bool) string {
	switch {
	case c == Gzip && docker:
		return MediaTypeDockerLayerGzip
	case c == Gzip:
		return "application/vnd.oci.image.layer.v1.tar+gzip"
	case c == Zstd: // docker has no zstd type of its own and reads the OCI one
		return "application/vnd.oci.image.layer.v1.tar+zstd"
	case docker:
		return MediaTypeDockerLayer
	}
	return "application/vnd.oci.image.layer.v1.tar"
}

// compressionOf tells a layer's compression from its media type, when it says.
func compressionOf(mt string) (Compression, bool) {
	switch mt {
	case MediaTypeDockerLayer, "application/vnd.oci.image.layer.v1.tar", mediaTypeDockerForeign,
		"application/vnd.oci.image.layer.nondistributable.v1.tar":
		return Uncompressed, true
	case MediaTypeDockerLayerGzip, "application/vnd.oci.image.layer.v1.tar+gzip", mediaTypeDockerForeignGzip,
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip":
		return Gzip, true
	case "application/vnd.oci.image.layer.v1.tar+zstd", "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd":
		return Zstd, true
	}
	return 0, false
}

// dockerImage is an image whose manifest retar derives once its layers are
// hashed (derive): one read from docker's manifest.json, or from a chain of
// v1 layer json (the pre-1.10 docker shape, and a Docker schema 1 manifest).
type dockerImage struct {
	what    string // for messages: "manifest.json entry 2"
	config  *Blob  // nil for a v1 chain: built at resolve
	cfg     *Config
	layers  []*Blob                    // nil where a foreign layer's bytes are absent
	foreign map[int]ocispec.Descriptor // LayerSources descriptors of absent foreign layers
	// legacy is a v1 chain's json, an entry per layer, base first; the
	// entries throwaway marks have no layer (schema 1's empty layers).
	legacy    [][]byte
	throwaway []bool
}
