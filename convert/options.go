package convert

import (
	"bytes"
	"io"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Options say what to make of a source. The CLI and the browser set them
// the same way, by name, with Set; Validate refuses what does not go
// together, so both front ends accept and refuse the same things.
type Options struct {
	To        Layout
	Pick      string   // ":REF" or ":@N" of the source, without the colon; "" for all
	Names     []string // the destination reference: replaces the image's names
	Tags      []string // names added to the image
	Platforms []ocispec.Platform
	// AllPlatforms keeps every platform of an index where a destination
	// would otherwise take one (docker-archive, dir).
	AllPlatforms bool
	// Host is the platform taken from an index when the destination holds one
	// manifest per image and Platforms is empty (the CLI: linux/GOARCH).
	Host      ocispec.Platform
	OCIStrict bool // oci-archive without the docker manifest.json
	// KeepAbsent keeps index entries whose manifests the source lacks;
	// by default they are left out (with a notice), so importers that fetch
	// every platform (ctr import --all-platforms) do not fail on them.
	KeepAbsent bool
	ModTime    time.Time // of every tar entry; zero means the Unix epoch
	Format     Format    // manifest family of the output; FormatKeep keeps the source's
	// Attestations keeps, strips or converts attestations and referrers.
	Attestations Attestations

	// Recompress re-encodes layers into Compress (at CompressLevel, 0 for the
	// default); layers already so are copied. Re-encoded layers go to Spill.
	// Without it, zstd layers are re-encoded to gzip where docker loads the
	// output (a docker-archive; an oci-archive's manifest.json for images
	// from a docker-archive), since docker before 23.0 reads no zstd,
	// unless KeepZstd (--compress keep, said explicitly) keeps them. Spill
	// nil keeps re-encoded layers in memory.
	Recompress    bool
	KeepZstd      bool
	Compress      Compression
	CompressLevel int
	Spill         func() (Spill, error)
	// PlaceReencoded says the plan will be written to a file (a
	// PlacedSink): a gzip layer decoded for Compress none is then decoded
	// into its place in it rather than into a spill (reencodeplaced.go),
	// and writing fails with ErrGuessedSize where its gzip trailer gave a
	// wrong size, to be planned again without.
	PlaceReencoded bool

	Hashing Hashing
	// VerifyAsWritten checks what the plan copies from its sources where
	// it lands, as it is written (see PlacedSink), not before Bundle
	// returns: every byte written is a byte verified, even when a source
	// changes while it is read, and copying overlaps hashing. The writer
	// fails on a mismatch; a stream is cut short inside the blob.
	VerifyAsWritten bool
	// SourcesUnchanged, when set, is asked once every copied blob has
	// verified, before the end of the output is written: the CLI's check
	// that no source file changed size or identity while it was read.
	SourcesUnchanged func() error

	// Since makes the output a delta (delta.go): the layers Since holds
	// are left out and listed in DeltaFile. OCI layouts only.
	Since *Holdings
}

// MaxModTime is the latest Options.ModTime, in seconds since the Unix epoch:
// the latest time a tar header holds in its fixed fields (8^11 - 1, in 2242).
// The CLI bounds SOURCE_DATE_EPOCH by it.
const MaxModTime = 1<<33 - 1

// Format is a manifest family: OCI or Docker v2 schema 2.
type Format string

const (
	FormatKeep Format = ""
	FormatOCI  Format = "oci"
	FormatV2S2 Format = "v2s2"
)

// Spill holds content retar makes that may be too big for memory: a
// re-encoded layer. Natively it is a temporary file; in a browser, Blob parts.
type Spill interface {
	io.Writer
	// Done ends writing and returns the content to read back.
	Done() (io.ReaderAt, error)
}

// MemorySpill keeps spilled content in memory; for tests and small images.
func MemorySpill() (Spill, error) { return &memSpill{}, nil }

type memSpill struct{ bytes.Buffer }

func (m *memSpill) Done() (io.ReaderAt, error) { return bytes.NewReader(m.Bytes()), nil }

// Attestations says what becomes of BuildKit's attestation manifests and of
// an image's referrers: kept as they are, stripped, or moved between the
// two forms an attestation takes.
type Attestations string

const (
	AttestationsKeep Attestations = ""
	// AttestationsStrip drops attestation manifests from indexes (which get
	// new digests) and every referrer, with their blobs.
	AttestationsStrip Attestations = "strip"
	// AttestationsReferrers makes each BuildKit attestation manifest an OCI
	// 1.1 referrer of its image manifest: subject and artifactType set, out
	// of the index, into index.json marked as containerd marks referrers.
	AttestationsReferrers Attestations = "referrers"
	// AttestationsDocker puts in-toto referrers of an image manifest back
	// into the index beside it, as BuildKit's attestation manifests.
	AttestationsDocker Attestations = "docker"
)
