package convert

import (
	"errors"
	"fmt"
	"strings"
)

// Deltas for air gaps. A delta is an OCI layout (oci-archive or oci:) that
// holds every index, manifest, config and name of a conversion's output,
// and only the layers the far side lacks: the others are left out, as the
// OCI layout allows (a sparse layout), and listed in DeltaFile. Applying it
// (a conversion of the delta with Input.Base) fills them in from the base
// and writes what the conversion without Options.Since writes, byte for
// byte: the delta's index.json, manifest.json, manifests and configs are
// that output's own, unchanged.

// DeltaFile is the file at the top of a delta that lists the blobs it
// leaves out. A file, not annotations: every byte a loader reads (index.json,
// manifests) stays the full output's, so a delta loads where its base is,
// applying it rewrites nothing, and readers that know nothing of it skip it.
const DeltaFile = "retar-delta.json"

// DeltaRecord is DeltaFile's content.
type DeltaRecord struct {
	SchemaVersion int `json:"schemaVersion"`
	// Absent are the blobs left out, by digest; the far side holds them.
	Absent []HeldBlob `json:"absent"`
}

// AbsentBytes is the size of the blobs the delta leaves out.
func (r *DeltaRecord) AbsentBytes() int64 {
	var n int64
	for _, b := range r.Absent {
		n += b.Size
	}
	return n
}

// Delta reads the source's DeltaFile: nil when it has none, as a layout
// written without --since.
func (a *Archive) Delta() (*DeltaRecord, error) {
	_, data, err := a.readFile(DeltaFile, MaxManifestSize)
	if err != nil || data == nil {
		return nil, err
	}
	var rec DeltaRecord
	if err := a.jsonDecode(DeltaFile, data, &rec); err != nil {
		return nil, err
	}
	if rec.SchemaVersion != 1 {
		return nil, a.errorf(DeltaFile, "schemaVersion %d; retar reads 1", rec.SchemaVersion)
	}
	for _, b := range rec.Absent {
		if err := validDigest(b.Digest); err != nil {
			return nil, a.errorf(DeltaFile, "%v", err)
		}
	}
	return &rec, nil
}

// ErrBaseLacks is the error of a delta whose left-out blobs no base holds.
var ErrBaseLacks = errors.New("not in the base")

// CheckBase fails when the source is a delta and a blob it left out is in
// none of the bases given (Input.Base): one error naming the first, and
// how many more there are.
func (a *Archive) CheckBase(bases []string) error {
	rec, err := a.Delta()
	if err != nil || rec == nil {
		return err
	}
	var lacking []HeldBlob
	for _, b := range rec.Absent {
		if a.base == nil || a.base.bytesOf(b.Digest) == nil {
			lacking = append(lacking, b)
		}
	}
	if len(lacking) == 0 {
		return nil
	}
	more := ""
	if len(lacking) > 1 {
		more = fmt.Sprintf(" (and %d more)", len(lacking)-1)
	}
	b := lacking[0]
	return &LayoutError{Source: a.Source, Path: DeltaFile, Err: ErrBaseLacks,
		Reason: fmt.Sprintf("the delta left out %s %s (%d bytes)%s, and no base holds it (%s)", kindOfType(b.MediaType), b.Digest, b.Size, more, strings.Join(bases, ", "))}
}

// kindOfType names a blob by its media type for messages.
func kindOfType(mt string) string {
	if strings.Contains(mt, "layer") || strings.Contains(mt, "rootfs") {
		return "layer"
	}
	return "blob"
}
