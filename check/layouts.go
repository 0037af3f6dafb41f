// Layouts: which shapes of archive each loader reads at all (a directory,
// a dir: layout, the pre-1.10 shape, an index.json without manifest.json).

package check

import (
	"fmt"
	"slices"

	"github.com/retar-dev/retar/convert"
)

// loaderLayouts are the layouts some loader reads: docker load, ctr, kind,
// k3s, nerdctl and podman read a docker-archive or an oci-archive, and
// skopeo an OCI layout directory and a dir: layout too. A layout registered
// beside retar's own is none of these.
var loaderLayouts = []convert.Layout{convert.DockerArchive, convert.OCIArchive, convert.OCI, convert.Dir}

// unknownLayout says why no loader reads a source whose layout is none of
// loaderLayouts, if it is not one of them.
func unknownLayout(f facts) (Problem, bool) {
	if slices.Contains(loaderLayouts, f.a.Layout) {
		return Problem{}, false
	}
	return Problem{Fact: FactUnknownLayout, Text: fmt.Sprintf("%s layout, which no loader reads", f.a.Layout.Article()),
		Does: "cannot read it", Fix: fixArchive(f, convert.OCIArchive)}, true
}

// noManifestJSON is what docker 29 prints for an archive without a
// manifest.json.
const noManifestJSON = "invalid archive: does not contain a manifest.json"

// importerRefuses says why containerd's importer reads no image from the
// archive at all, if it does not.
func importerRefuses(f facts, v *Verdict) (Problem, bool) {
	switch {
	case !f.archive:
		return Problem{Fact: FactDirectory, Text: "a directory: it reads an archive", Does: "can read archives only", Fix: fixArchive(f, convert.OCIArchive)}, true
	case f.dirLayout:
		v.Message = unrecognizedFormat
		return Problem{Fact: FactDirLayout, Text: "a dir: layout: " + quoteMsg(unrecognizedFormat), Does: "cannot read it (" + quoteMsg(unrecognizedFormat) + ")", Fix: fixArchive(f, convert.OCIArchive)}, true
	case f.legacyOnly:
		v.Message = unrecognizedFormat
		return Problem{Fact: FactPre110, Text: "the pre-1.10 shape (repositories, no manifest.json, no index.json), which containerd's importer does not read (" + quoteMsg(unrecognizedFormat) + ")",
			Does: "cannot read it (" + quoteMsg(unrecognizedFormat) + ")", Fix: fixRebuild()}, true
	case f.ctrNoImport:
		v.Message = unrecognizedFormat
		return Problem{Fact: FactNoImage, Text: "an index.json without oci-layout and no manifest.json: containerd's importer finds no image (" + quoteMsg(unrecognizedFormat) + ")",
			Does: "will find no image in it (" + quoteMsg(unrecognizedFormat) + ")", Fix: fixArchive(f, convert.OCIArchive)}, true
	}
	return Problem{}, false
}

// importerReads says whether containerd's importer, as the loader runs it,
// reads the archive: a shape it knows, compressed as it decompresses
// (archiveCompression); where it does not, the verdict says why.
func importerReads(f facts, v *Verdict) bool {
	if no, ok := importerRefuses(f, v); ok {
		v.fail(no)
		return false
	}
	if no, ok := compressedRefusal(f, v.Consumer); ok {
		v.fail(no)
		return false
	}
	return true
}

// dockerClassicLayout: docker's classic image store reads an archive with
// docker's manifest.json, or (before 29) the pre-1.10 shape.
func dockerClassicLayout(f facts, v *Verdict, version int) {
	says := "it fails with " + quoteMsg(classicNoManifest)
	if version >= 29 {
		says = quoteMsg(noManifestJSON)
	}
	switch {
	case !f.archive:
		v.fail(Problem{Fact: FactDirectory, Text: "a directory: docker load reads an archive", Does: "can read archives only", Fix: fixArchive(f, convert.DockerArchive)})
	case f.dirLayout:
		v.fail(Problem{Fact: FactDirLayout, Text: "a dir: layout, which docker load does not read", Does: "cannot read it", Fix: fixArchive(f, convert.DockerArchive)})
	case f.legacyOnly && version >= 29:
		v.Message = noManifestJSON
		v.fail(Problem{Fact: FactPre110, Text: "the pre-1.10 shape (repositories, no manifest.json): docker 29 dropped it (" + quoteMsg(noManifestJSON) + ")",
			Does: "cannot read it (" + quoteMsg(noManifestJSON) + ")", Fix: fixRebuild()})
	case !f.dockerEntries && !f.legacyOnly:
		v.fail(Problem{Fact: FactNoManifestJSON, Text: "no manifest.json: the classic image store reads docker's manifest.json, not an OCI index (" + says + ")",
			Does: "can read docker's manifest.json only, not an OCI index", Fix: fixManifestJSON()})
		if version >= 29 {
			v.Message = noManifestJSON
		}
	}
}

// forArchive: every loader but skopeo loads an archive, not a directory.
func forArchive(s *adjusting) error {
	if who := s.needs[needArchive]; len(who) > 0 && !s.o.To.IsArchive() {
		return s.fail(who, "these load archives, not %s directory: write docker-archive:PATH or oci-archive:PATH", s.o.To.Article())
	}
	return nil
}

// forManifestJSON: the classic image store needs docker's manifest.json.
func forManifestJSON(s *adjusting) error {
	if who := s.needs[needManifestJSON]; len(who) > 0 && s.o.OCIStrict {
		return s.fail(who, "the classic image store reads docker's manifest.json, which --oci-strict leaves out")
	}
	return nil
}

// forOneOrHybrid: podman reads one image from an OCI archive without
// manifest.json.
func forOneOrHybrid(s *adjusting) error {
	if who := s.needs[needOneOrHybrid]; len(who) > 0 && len(s.images) > 1 && s.o.OCIStrict {
		return s.fail(who, "podman reads one image from an OCI archive without manifest.json, and --oci-strict leaves it out")
	}
	return nil
}
