// What the rules read off a source, once: its shape, its names as each
// importer reads them, what it lacks, and the platforms it holds.

package check

import (
	"fmt"
	"slices"
	"sort"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/retar-dev/retar/convert"
)

// facts are what the rules read off a source, once.
type facts struct {
	a             *convert.Archive
	path          string
	host          ocispec.Platform
	compressed    string // the file's own compression, "" for a plain tar
	archive       bool   // a tar; not a directory layout
	dockerEntries bool   // a docker manifest.json lists images
	legacyOnly    bool   // the pre-1.10 shape: repositories and v1 dirs only
	ociIndex      bool   // index.json lists images
	ociLayout     bool   // an oci-layout file: containerd's importer reads index.json, not manifest.json
	dirLayout     bool   // containers/image dir:
	images        int
	indexEntries  int
	zstd          bool
	absent        []string             // index entries without their manifests, by platform
	foreignAbsent []string             // foreign layers without their bytes
	foreignDocker bool                 // ... some declared in a docker manifest.json (LayerSources)
	absentBlobs   []string             // configs and layers a sparse OCI layout lacks
	delta         *convert.DeltaRecord // what a delta left out by design (delta.go)
	noHost        []string             // images with no manifest for the host platform
	shortDocker   []string             // RepoTags without a registry (podman prefixes localhost/)
	// What containerd's importer (ctr, kind, k3s, nerdctl, docker 29's
	// containerd store) names: index.json's names when oci-layout is
	// there, else manifest.json's RepoTags.
	ctrNames    []string
	ctrTagOnly  []string
	ctrUnnamed  bool
	ctrNoImport bool // it finds no image: neither oci-layout + index.json nor manifest.json
	supply      supplyFacts
}

// factsOf reads the facts off an opened source, for a host platform.
func factsOf(a *convert.Archive, host ocispec.Platform) facts {
	shape := a.Shape()
	f := facts{a: a, path: File(a), host: host, archive: shape.Tar, images: len(a.Images), dirLayout: a.Layout == convert.Dir,
		compressed: a.Compression, indexEntries: shape.IndexEntries}
	f.ociIndex = shape.IndexJSON && a.Layout != convert.Dir
	f.ociLayout = shape.OCILayout && f.ociIndex
	// convert's Shape says the same (legacyOnly), unexported; here a dir:
	// layout's index.json does not count.
	f.legacyOnly = !shape.ManifestJSON && !f.ociIndex && shape.Repositories
	fromIndex := f.ociLayout
	f.ctrNoImport = !fromIndex && !shape.ManifestJSON
	ctrSeen := map[string]bool{}
	for i, img := range a.Images {
		f.dockerEntries = f.dockerEntries || img.InDockerManifest
		f.addNames(img, fromIndex, ctrSeen)
		s := img.Summarize()
		f.supply.add(img, s, fromIndex)
		f.addContent(s)
		label := fmt.Sprintf("@%d", i)
		if len(img.Names) > 0 {
			label = img.Names[0].String()
		}
		f.addHost(label, s)
	}
	sort.Strings(f.ctrNames)
	f.delta, _ = a.Delta() // unreadable: not a delta, its absent blobs only sparse
	return f
}

// StreamSaved is the file the commands check shows name a stream's archive
// as, saved: a loader reads it from a file, and a stream was read once.
const StreamSaved = "image.tar"

// File is the archive as the commands check shows name it: its path, or a
// stream's as saved (StreamSaved).
func File(a *convert.Archive) string {
	if a.Stream {
		return StreamSaved
	}
	return a.Source
}

// arg is the archive's path as one argument of a command line.
func (f facts) arg() string { return quoted([]string{f.path}) }

// addNames reads an image's names as containerd's importer reads them
// (index.json's when fromIndex, else manifest.json's RepoTags; seen: the
// names read so far), and the RepoTags podman puts under localhost/.
func (f *facts) addNames(img *convert.Image, fromIndex bool, seen map[string]bool) {
	ns := img.RepoTags
	if fromIndex {
		ns = img.Annotations
	}
	switch {
	case len(ns) == 0:
		f.ctrUnnamed = true
	case allRaw(ns):
		f.ctrTagOnly = append(f.ctrTagOnly, ns[0].Raw)
	}
	for _, n := range ns {
		if n.Ref != nil && !seen[n.String()] {
			seen[n.String()] = true
			f.ctrNames = append(f.ctrNames, n.String())
		}
	}
	for _, t := range img.RawTags {
		if podmanName(t) != normalized(t) {
			f.shortDocker = append(f.shortDocker, t)
		}
	}
}

// addContent reads an image's summary: zstd layers, and what the source
// lacks of it.
func (f *facts) addContent(s convert.Summary) {
	f.zstd = f.zstd || s.Zstd
	f.absent = append(f.absent, s.Absent...)
	for _, d := range s.AbsentForeign {
		f.foreignAbsent = append(f.foreignAbsent, d.String())
		f.foreignDocker = f.foreignDocker || s.Docker
	}
	f.absentBlobs = append(f.absentBlobs, s.AbsentBlobs...)
}

// addHost notes an image (by its label) with no manifest for the host
// platform: a docker image with the platform it has instead.
func (f *facts) addHost(label string, s convert.Summary) {
	// nil (a manifest whose platform is unknown: its config absent) matches
	hostFound := slices.ContainsFunc(s.Platforms, func(p *ocispec.Platform) bool { return f.matches(p, false) })
	switch {
	case s.Docker && len(s.Platforms) == 1 && !hostFound:
		f.noHost = append(f.noHost, label+" is "+convert.PlatformString(s.Platforms[0]))
	case !s.Docker && len(s.Platforms) > 0 && !hostFound:
		f.noHost = append(f.noHost, label)
	}
}

// unnamed reports whether an image of the source has no name at all.
func (f facts) unnamed() bool {
	if f.a == nil {
		return false
	}
	return slices.ContainsFunc(f.a.Images, func(img *convert.Image) bool { return len(img.Names) == 0 })
}
