// What loaders make of content the archive lacks: manifests its index lists
// (a platform-sparse export), configs and layers (a sparse layout), and the
// bytes of foreign layers.

package check

import (
	"fmt"
	"slices"
	"strings"
)

// contentNotFound is what containerd prints for a blob it cannot find.
const contentNotFound = "content digest sha256:...: not found"

// absentText names the layers (and configs) the archive lacks the bytes of.
func absentText(f facts) string {
	var parts []string
	if len(f.foreignAbsent) > 0 {
		parts = append(parts, foreignText(f))
	}
	if len(f.absentBlobs) > 0 {
		parts = append(parts, "a sparse layout ("+summarize(f.absentBlobs)+" not in the archive)")
	}
	return strings.Join(parts, "; ")
}

// unpackFails: ctr (and kind) unpack what they import, which fails without
// a layer's bytes (measured on 2.3 and 2.4: the docker LayerSources case in
// the importer, an OCI one when unpacking).
func unpackFails(f facts, v *Verdict, measured bool) {
	if len(f.foreignAbsent)+len(f.absentBlobs) == 0 {
		return
	}
	if unresolvedForeign(f, v, measured) || deltaFromStore(f, v) {
		return
	}
	switch {
	case len(f.foreignAbsent) > 0:
		v.fail(Problem{Fact: FactAbsentBytes, Text: foreignText(f) + ": the import stores them as absent and unpacking fails (\"failed to extract layer ...\")", Does: unpackNeeds})
		if measured {
			v.Message = "failed to extract layer"
		}
	default:
		v.fail(Problem{Fact: FactAbsentBytes, Text: "a sparse layout: " + summarize(f.absentBlobs) + " not in the archive, and unpacking the image needs them", Does: unpackNeeds})
		if measured && f.sparseLayer() && !f.sparseConfig() {
			v.Message = "failed to extract layer"
		} else if measured {
			v.Message = contentNotFound
		}
	}
}

// foreignText names the foreign layers the archive lacks the bytes of.
func foreignText(f facts) string {
	return "foreign layers without their bytes (" + summarize(f.foreignAbsent) + ")"
}

// unresolvedForeign: containerd's importer resolves the foreign layers a
// docker manifest.json declares (LayerSources) and fails without their bytes
// (measured: ctr 2.3 and 2.4, kind, k3s, docker 29's containerd store); the
// message is quoted where measured. It reports whether the import failed.
func unresolvedForeign(f facts, v *Verdict, measured bool) bool {
	if len(f.foreignAbsent) == 0 || !f.foreignDocker {
		return false
	}
	v.fail(Problem{Fact: FactAbsentBytes, Text: foreignText(f) + ": " + quoteMsg(resolveNotFound), Does: unpackNeeds})
	if measured {
		v.Message = resolveNotFound
	}
	return true
}

// sparseLayer and sparseConfig: a sparse layout lacks a layer, a config.
func (f facts) sparseLayer() bool {
	return slices.ContainsFunc(f.absentBlobs, func(s string) bool { return strings.HasPrefix(s, "layer ") })
}

func (f facts) sparseConfig() bool {
	return slices.ContainsFunc(f.absentBlobs, func(s string) bool { return strings.HasPrefix(s, "config ") })
}

// unpackNeeds is what the loaders that fail without a layer's bytes do,
// said of several.
const unpackNeeds = "cannot unpack the image without them, and no conversion can add them"

// absentManifests is a problem with the index entries whose manifests the
// archive lacks, and what the loader does about them (says; does, said of
// several loaders), fixed by a conversion, which leaves them out.
func absentManifests(f facts, says, does string) Problem {
	what := fmt.Sprintf("%d manifests", len(f.absent))
	if len(f.absent) == 1 {
		what = "a manifest"
	}
	return Problem{Fact: FactAbsentManifests, Text: fmt.Sprintf("the index lists %s the archive lacks (%s): ", what, summarize(f.absent)) + says,
		Does: does, Fix: fixLeaveAbsent()}
}

// dockerLoadNeedsBytes: docker's classic store reads every layer
// manifest.json lists.
func dockerLoadNeedsBytes(f facts, v *Verdict, version int) {
	if v.Loads && deltaFromStore(f, v) {
		return
	}
	if v.Loads && (len(f.foreignAbsent) > 0 || len(f.absentBlobs) > 0) {
		v.fail(Problem{Fact: FactAbsentBytes, Text: absentText(f) + ": docker load reads every layer manifest.json lists (\"no such file or directory\")", Does: unpackNeeds})
		if version >= 29 {
			v.Message = "no such file or directory"
		}
	}
}

// docker29Unpacks: docker 29's containerd store registers an image whose
// bytes are absent, then cannot unpack it (a config absent: no error).
func docker29Unpacks(f facts, v *Verdict) {
	switch {
	case deltaFromStore(f, v):
	case len(f.foreignAbsent) > 0 || f.sparseLayer():
		v.Message = strings.TrimSuffix(unpackingImage, " ...")
		v.note(Problem{Fact: FactAbsentBytes, Text: absentText(f) + ": the image is registered, but docker cannot unpack it (" + quoteMsg(unpackingImage) + "), so docker run fails"})
	case len(f.absentBlobs) > 0:
		v.note(Problem{Fact: FactAbsentBytes, Text: absentText(f) + ": the image is registered without its config (measured: no error), so docker run fails"})
	}
}

// k3sNoUnpack: k3s imports without unpacking, so absent bytes fail later,
// when a pod needs the image.
func k3sNoUnpack(f facts, v *Verdict) {
	if v.Loads && deltaFromStore(f, v) {
		return
	}
	if v.Loads && len(f.foreignAbsent)+len(f.absentBlobs) > 0 {
		v.note(Problem{Fact: FactAbsentBytes, Text: absentText(f) + ": k3s registers the image without unpacking it; a pod using it fails when containerd unpacks it"})
	}
}

// nerdctlUnpacks: nerdctl imports the host platform's images and unpacks
// them, so the host's manifest absent, no image for the host or a layer's
// bytes absent stop it (the first that applies).
func nerdctlUnpacks(f facts, v *Verdict) {
	switch absentHost := f.onHost(f.absent); {
	case len(absentHost) > 0:
		v.fail(Problem{Fact: FactAbsentManifests, Text: "the index lists the host platform's manifest (" + summarize(absentHost) + ") and the archive lacks it: \"content digest ...: not found\"",
			Does: "will fail without the host platform's manifest"})
	case len(f.noHost) > 0:
		v.fail(Problem{Fact: FactNoHost, Text: "no image for the host platform (" + strings.Join(f.noHost, "; ") + "): nerdctl load imports and unpacks the host's only",
			Does: "can unpack the host's platform only"})
	case deltaFromStore(f, v):
	case len(f.foreignAbsent)+len(f.absentBlobs) > 0:
		v.fail(Problem{Fact: FactAbsentBytes, Text: absentText(f) + ": nerdctl unpacks what it loads (" + quoteMsg(nerdctlUnpacking) + ")", Does: unpackNeeds})
	}
}

// forBytes: a loader that unpacks the image needs every layer's bytes,
// which no output can carry where the source lacks them.
func forBytes(s *adjusting) error {
	if who := s.needs[needBytes]; len(who) > 0 && len(s.absentBytes) > 0 {
		return s.fail(who, "the source lacks %s, which these need to unpack the image; no output can carry them", summarize(s.absentBytes))
	}
	return nil
}

// forNoAbsent: an --all-platforms (or host platform) import fails on index
// entries without their manifests.
func forNoAbsent(s *adjusting) error {
	if who := s.needs[needNoAbsent]; len(who) > 0 && s.o.KeepAbsent {
		return s.fail(who, "--keep-absent keeps index entries without their manifests, on which an --all-platforms (or host platform) import fails")
	}
	return nil
}
