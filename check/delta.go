// What loaders make of a delta (retar convert --since): an OCI layout that
// lacks, by design, the layers its base holds. Every loader measured takes
// it into a store that already holds its base (interop/delta.sh: ctr 1.6,
// 2.0, 2.3, 2.4, kind's and k3s's imports, docker 20.10 and 29 in both
// stores, podman 4.3): containerd's importers find the layers in their
// content store, docker's classic store skips a layer its layer store
// holds, podman reuses a blob its storage holds. Into a store without the
// base each fails in its own words, quoted in the verdict.

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
func ApplyLine(path string) string {
	return "retar convert --base BASE " + quoted([]string{path}) + " full.tar"
}

// deltaFromStore: a delta loads where its base is loaded, and fails
// (or registers an image that cannot run) where it is not, as the
// loader's entry in deltaWithout says. It reports whether the archive is
// such a delta (and the verdict said so).
func deltaFromStore(f facts, v *Verdict) bool {
	if !f.isDelta() {
		return false
	}
	basis := "measured"
	if !deltaMeasured[v.Consumer] {
		basis = "not measured for this loader; " + deltaLike(v.Consumer)
	}
	without, ok := deltaWithout[v.Consumer]
	if !ok {
		without = deltaWithout[""]
	}
	v.note(Problem{Fact: FactAbsentBytes, Text: deltaText(f) + ": it loads into a store that already holds its base, whose layers the loader finds there (" + basis + "); into one without them " + without + ": load the base first, or " + applyFirst(f)})
	return true
}

// deltaMeasured are the loaders a delta was loaded into (interop/delta.sh):
// base loaded, it loads and the image runs; into an empty store, what
// deltaWithout says.
var deltaMeasured = map[string]bool{
	"ctr-1.6": true, "ctr-2.0": true, "ctr-2.3": true, "ctr-2.4": true, "kind": true, "k3s": true,
	"docker-24": true, "docker-29-classic": true, "docker-29-containerd": true, "podman": true,
}

// deltaLike names the measured loaders an unmeasured one reads a delta as.
func deltaLike(id string) string {
	switch id {
	case "docker-25":
		return "docker 20.10's and 29's classic stores took it"
	case "docker-containerd":
		return "docker 29's containerd store took it"
	}
	return "its importer is containerd's, which took it in 1.6, 2.0, 2.3 and 2.4"
}

// deltaWithout is what each loader does with a delta whose base its store
// lacks, measured where deltaMeasured says ("": the containerd importers
// that unpack as they import, ctr 2.x and kind's import).
var deltaWithout = map[string]string{
	"":        "the import fails (" + quoteMsg(brokenMessage+" ...") + ")",
	"ctr-1.6": "ctr registers the image, then fails to unpack it (" + quoteMsg(brokenMessage+" ...") + ")",
	"k3s":     "k3s registers the image without unpacking it, and running it fails (" + quoteMsg(brokenMessage+" ...") + ")",
	"nerdctl": "nerdctl load fails (" + quoteMsg(nerdctlUnpacking) + ")",

	"docker-24":            classicWithout,
	"docker-25":            classicWithout,
	"docker-29-classic":    classicWithout,
	"docker-containerd":    containerdStoreWithout,
	"docker-29-containerd": containerdStoreWithout,
	"podman":               "podman load fails (" + quoteMsg(podmanPayload) + ")",
}

// What docker's two stores do with a delta whose base they lack.
var (
	classicWithout         = "docker load fails (" + quoteMsg(classicNoLayer) + ": a layer file manifest.json lists)"
	containerdStoreWithout = "docker registers the image and cannot unpack it (" + quoteMsg(unpackingImage) + "), so docker run fails"
)
