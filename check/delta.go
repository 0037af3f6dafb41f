// What loaders make of a delta (retar convert --since): an OCI layout that
// lacks, by design, the layers its base holds. Importers into containerd's
// content store take the layers from the store when the base is already
// loaded there (measured: ctr 1.6 and 2.3, kind's import, docker 29's
// containerd store; interop/delta.sh); docker's classic store and podman
// read every layer from the archive and need the delta applied first.

package check

import (
	"fmt"
	"strings"
)

// isDelta reports whether every config and layer the archive lacks is one
// its retar-delta.json left out, and no foreign layer is absent: a delta
// and nothing worse.
func (f facts) isDelta() bool {
	if f.delta == nil || len(f.foreignAbsent) > 0 || len(f.absentBlobs) == 0 {
		return false
	}
	listed := map[string]bool{}
	for _, b := range f.delta.Absent {
		listed[b.Digest.String()] = true
	}
	for _, s := range f.absentBlobs {
		if _, d, _ := strings.Cut(s, " "); !listed[d] {
			return false
		}
	}
	return true
}

// deltaText says what the delta lacks.
func deltaText(f facts) string {
	return fmt.Sprintf("a delta: %d layers (%d bytes) left out, listed in retar-delta.json", len(f.delta.Absent), f.delta.AbsentBytes())
}

// applyFirst is the command that makes a delta whole.
func applyFirst(f facts) string { return ApplyLine(f.path) }

// ApplyLine is the command that fills in what the archive at path lacks
// (a delta's left-out layers, a sparse layout's blobs) from the archive it
// was made against.
func ApplyLine(path string) string { return "retar convert --base BASE " + path + " full.tar" }

// deltaFromStore: containerd's importer takes the layers a delta lacks from
// its content store, where its base is loaded. It reports whether the
// archive is such a delta (and the verdict said so).
func deltaFromStore(f facts, v *Verdict) bool {
	if !f.isDelta() {
		return false
	}
	basis := "not measured for this loader: its importer is containerd's"
	if deltaMeasured[v.Consumer] {
		basis = "measured"
	}
	v.note(Problem{Fact: FactAbsentBytes, Text: deltaText(f) + ": it loads into a store that already holds its base, whose layers the import finds there (" + basis + "); into one without them it fails (ctr: \"failed to extract layer ...\"; docker 29: \"Error unpacking image ...\"): load the base first, or " + applyFirst(f)})
	return true
}

// deltaMeasured are the loaders a delta was loaded into, base loaded
// (interop/delta.sh: ctr 2.3, docker 29's containerd store; ctr 1.6 and
// kind's import measured earlier with sparse archives as deltas).
var deltaMeasured = map[string]bool{"ctr-1.6": true, "ctr-2.3": true, "kind": true, "docker-29-containerd": true}

// deltaNeedsApply: a loader that reads every layer from the archive itself
// (docker's classic store, podman) cannot load a delta, whatever it holds.
func deltaNeedsApply(f facts, v *Verdict, how string) bool {
	if !f.isDelta() {
		return false
	}
	v.fail(Problem{Fact: FactAbsentBytes, Text: deltaText(f) + ": " + how + ", base loaded or not: apply the delta first, " + applyFirst(f),
		Does: "read every layer from the archive: apply the delta first (" + applyFirst(f) + ")"})
	return true
}
