package convert

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
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

// leaveOutHeld takes out of the plan the layers Options.Since holds, and
// adds DeltaFile listing them, with a notice of what was left out. A layer
// two sources share is one blob of the output, said once.
func (c *conversion) leaveOutHeld() error {
	rec := &DeltaRecord{SchemaVersion: 1, Absent: []HeldBlob{}}
	out, listed := map[*Blob]bool{}, map[digest.Digest]bool{}
	carried := map[digest.Digest]int64{}
	var byDiff int
	for _, o := range c.out {
		_ = walkAll(o.root, o.referrers, func(n *Node) error {
			for i, l := range n.layers() {
				d := l.Desc.Digest
				switch {
				case l.Blob == nil:
				case c.opts.Since.holds(d):
					out[l.Blob] = true
					if !listed[d] {
						listed[d] = true
						rec.Absent = append(rec.Absent, HeldBlob{Digest: d, Size: l.Desc.Size, MediaType: l.Desc.MediaType, DiffID: layerDiffID(n, i)})
					}
				default:
					if _, seen := carried[d]; !seen && c.opts.Since.diffIDs[layerDiffID(n, i)] {
						byDiff++
					}
					carried[d] = l.Blob.Size
				}
			}
			return nil
		})
	}
	c.plan.Entries = slices.DeleteFunc(c.plan.Entries, func(e Entry) bool { return e.blob != nil && out[e.blob] })
	slices.SortFunc(rec.Absent, func(a, b HeldBlob) int { return strings.Compare(string(a.Digest), string(b.Digest)) })
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	c.plan.addData(DeltaFile, append(data, '\n'))
	var kept int64
	for _, n := range carried {
		kept += n
	}
	c.plan.warnf("a delta: %s (%d bytes) left out, as the other side holds them, listed in %s; %s (%d bytes) carried. retar convert --base BASE DELTA DST fills them in", layersCount(len(rec.Absent)), rec.AbsentBytes(), DeltaFile, layersCount(len(carried)), kept)
	if byDiff > 0 {
		c.plan.warnf("%s carried although the other side holds their content uncompressed (the same diff_id): their compressed bytes cannot be rebuilt from it", layersCount(byDiff))
	}
	return nil
}

// layersCount is "1 layer", "2 layers".
func layersCount(n int) string {
	if n == 1 {
		return "1 layer"
	}
	return fmt.Sprintf("%d layers", n)
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
