// Package imagediff compares two image sources: which images, names and
// platforms differ; their manifests and configs field by field; their layers
// by diff_id and by compressed digest, so that a re-compression is told from
// a change of content; and, on request, the files of the filesystems their
// layers make. It reads sources through convert, as every command does.
package imagediff

// Report is what Compare found: the document --json prints, and what the
// text report is written from.
type Report struct {
	SchemaVersion int          `json:"schemaVersion"`
	A             Side         `json:"a"`
	B             Side         `json:"b"`
	Equal         bool         `json:"equal"`
	Images        []*ImageDiff `json:"images"`
	Delta         Delta        `json:"delta"`
}

// Side is one of the two sources.
type Side struct {
	Source string `json:"source"`
	Layout string `json:"layout"`
	Pick   string `json:"pick,omitempty"` // the :NAME or :@N the user gave
	Images int    `json:"images"`         // images compared from it
	Size   int64  `json:"size"`           // bytes of their blobs, each counted once
}

// Delta is what a delta archive from A to B would carry: the blobs B's
// images need that A does not hold, by digest.
type Delta struct {
	Blobs int      `json:"blobs"`
	Bytes int64    `json:"bytes"`
	Of    []string `json:"digests"`
}

// Status words, from least to most different.
const (
	StatusSame       = "same"       // the same bytes
	StatusRepackaged = "repackaged" // same content, different packaging
	StatusChanged    = "changed"
	StatusAdded      = "added"
	StatusRemoved    = "removed"
)

// ImageDiff is one image of A matched with one of B (or either alone).
type ImageDiff struct {
	Status    string          `json:"status"`
	Name      string          `json:"name"`                // how the image is called in the report
	MatchedBy string          `json:"matchedBy,omitempty"` // name, config, only, or "" when alone
	NamesA    []string        `json:"namesA"`
	NamesB    []string        `json:"namesB"`
	Root      *Change         `json:"root,omitempty"` // the manifest or index digest, when it differs
	RootType  *Change         `json:"rootMediaType,omitempty"`
	SizeA     int64           `json:"sizeA"`
	SizeB     int64           `json:"sizeB"`
	Packaging []string        `json:"packaging,omitempty"` // what differs while the content is the same
	Platforms []*PlatformDiff `json:"platforms"`
	Artifacts *ArtifactDiff   `json:"artifacts,omitempty"`

	index bool // either root is an index: its platforms are below it
}

// PlatformDiff is one platform's image manifest of a matched pair.
type PlatformDiff struct {
	Platform  string        `json:"platform"`
	Status    string        `json:"status"`
	Manifest  *Change       `json:"manifest,omitempty"` // digest, when it differs
	MediaType *Change       `json:"mediaType,omitempty"`
	Config    *Change       `json:"config,omitempty"` // digest, when it differs
	Fields    []FieldChange `json:"fields,omitempty"`
	Layers    LayerDiff     `json:"layers"`
	SizeA     int64         `json:"sizeA"`
	SizeB     int64         `json:"sizeB"`
	Packaging []string      `json:"packaging,omitempty"`
	Files     *FileDiff     `json:"files,omitempty"`
}

// Change is a value of A and the value of B in its place.
type Change struct {
	Old any `json:"old"`
	New any `json:"new"`
}

// FieldChange is one config field (or one key of env and labels) that differs.
type FieldChange struct {
	Field string `json:"field"`
	Key   string `json:"key,omitempty"`
	Old   any    `json:"old"`
	New   any    `json:"new"`
}

// LayerDiff sorts the layers of a pair by diff_id.
type LayerDiff struct {
	Shared       int         `json:"shared"`       // same diff_id and same blob
	Recompressed []LayerPair `json:"recompressed"` // same diff_id, another blob
	Added        []Layer     `json:"added"`
	Removed      []Layer     `json:"removed"`
	DiffIDsA     int         `json:"countA"`
	DiffIDsB     int         `json:"countB"`
	Reordered    bool        `json:"reordered,omitempty"` // same diff_ids in another order
}

// Layer is one layer of an image.
type Layer struct {
	DiffID      string `json:"diffID"`
	Digest      string `json:"digest"`
	Size        int64  `json:"size"`
	MediaType   string `json:"mediaType"`
	Compression string `json:"compression"`
}

// LayerPair is a layer of the same content stored as another blob.
type LayerPair struct {
	A Layer `json:"a"`
	B Layer `json:"b"`
}

// ArtifactDiff compares what rides along with an image: attestations,
// signatures, SBOMs, by digest.
type ArtifactDiff struct {
	Same    int        `json:"same"`
	Added   []Artifact `json:"added"`
	Removed []Artifact `json:"removed"`
}

// Artifact is one attestation, signature, SBOM or other referrer.
type Artifact struct {
	Kind   string `json:"kind"`
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}
