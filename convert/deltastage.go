package convert

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
)

// The stage that writes a delta; delta.go says what a delta is and reads
// one.

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
