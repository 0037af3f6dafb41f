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
func unknownLayout(f facts) (string, bool) {
	if slices.Contains(loaderLayouts, f.a.Layout) {
		return "", false
	}
	return fmt.Sprintf("%s layout, which no loader reads; retar convert it to an oci-archive", f.a.Layout.Article()), true
}

// noManifestJSON is what docker 29 prints for an archive without a
// manifest.json.
const noManifestJSON = "invalid archive: does not contain a manifest.json"

// importerRefuses says why containerd's importer reads no image from the
// archive at all, if it does not.
func importerRefuses(f facts, v *Verdict) (string, bool) {
	switch {
	case !f.archive:
		return "a directory: it reads an archive; tar it, or retar convert it to an oci-archive", true
	case f.dirLayout:
		v.Message = "unrecognized image format"
		return "a dir: layout: \"unrecognized image format\"", true
	case f.legacyOnly:
		v.Message = "unrecognized image format"
		return "the pre-1.10 shape (repositories, no manifest.json, no index.json), which containerd's importer does not read (\"unrecognized image format\"); retar convert rebuilds the image", true
	case f.ctrNoImport:
		v.Message = "unrecognized image format"
		return "an index.json without oci-layout and no manifest.json: containerd's importer finds no image (\"unrecognized image format\")", true
	}
	return "", false
}

// importerReads says whether containerd's importer, as the loader runs it,
// reads the archive: a shape it knows, compressed as it decompresses
// (archiveCompression); where it does not, the verdict says why.
func importerReads(f facts, v *Verdict) bool {
	if no, ok := importerRefuses(f, v); ok {
		v.refuse(no)
		return false
	}
	if no, ok := compressedRefusal(f, v.Consumer); ok {
		v.refuse(no)
		return false
	}
	return true
}

// dockerClassicLayout: docker's classic image store reads an archive with
// docker's manifest.json, or (before 29) the pre-1.10 shape.
func dockerClassicLayout(f facts, v *Verdict, version int) {
	noManifest := "no manifest.json: the classic image store reads docker's manifest.json, not an OCI index (it fails with \"open .../blobs/json: no such file or directory\"); retar convert it to an oci-archive, which carries one"
	if version >= 29 {
		noManifest = "no manifest.json: the classic image store reads docker's manifest.json, not an OCI index (\"invalid archive: does not contain a manifest.json\"); retar convert it to an oci-archive, which carries one"
	}
	switch {
	case !f.archive:
		v.refuse("a directory: docker load reads an archive; tar it, or retar convert it to a docker-archive")
	case f.dirLayout:
		v.refuse("a dir: layout, which docker load does not read")
	case f.legacyOnly && version >= 29:
		v.Message = noManifestJSON
		v.refuse("the pre-1.10 shape (repositories, no manifest.json): docker 29 dropped it (\"invalid archive: does not contain a manifest.json\"); retar convert rebuilds the image")
	case !f.dockerEntries && !f.legacyOnly:
		v.refuse(noManifest)
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
