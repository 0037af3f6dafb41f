// Package check says, from an archive's shape alone, what each loader makes
// of it: docker in each of its stores and versions, containerd's ctr, kind's
// and k3s's imports, nerdctl, podman and skopeo. Most rules are facts
// measured on those loaders (make interop compares each such verdict with
// what the loader did: interop/CHECK.md, interop/LOADERS.md); the others are
// read from the loader's code and say so. It reads the model convert.Open
// builds and hashes nothing.
package check

import (
	"fmt"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/retar-dev/retar/convert"
)

// A Verdict says what one consumer does with an archive: whether the images
// end up in its store, under which names, with which command, and why not.
type Verdict struct {
	Consumer string   `json:"consumer"` // an id --for takes: docker-24, ctr-2.0, kind...
	Title    string   `json:"title"`
	Loads    bool     `json:"loads"` // the images end up in its store (ctr with no name: they do not)
	Names    []string `json:"names"` // as it registers them (kind's and nerdctl's digest references left out)
	Command  string   `json:"command,omitempty"`
	// Message is what the loader prints (part of it; "..." stands for what
	// varies: digests, paths), where that was measured.
	Message  string   `json:"message,omitempty"`
	Problems []string `json:"problems"` // why it will not load, or what to mind when it does
	// Measured: make interop compares this verdict with the loader itself
	// (interop/CHECK.md). Otherwise the rules come from the loader's code.
	Measured bool `json:"measured"`
	// Basis says which: the loader and version measured, or "from the
	// loader's code, not measured".
	Basis string `json:"basis"`
}

// refuse says the loader will not load the archive, and why.
func (v *Verdict) refuse(problem string) {
	v.Loads = false
	v.Problems = append(v.Problems, problem)
}

// NotMeasured is the Basis of a verdict read from the loader's code.
const NotMeasured = "from the loader's code, not measured"

// Report is retar check's answer for one source.
type Report struct {
	Source    string                   `json:"source"`
	Layout    convert.Layout           `json:"layout"`
	Images    []convert.InspectedImage `json:"images"`
	Consumers []Verdict                `json:"consumers"`
}

// Archive predicts what each loader makes of an opened source, host being
// the platform the images are to run on. Each rule is a fact measured on the
// loader, or read from its code (Verdict.Basis says which).
func Archive(a *convert.Archive, host ocispec.Platform) *Report {
	f := factsOf(a, host)
	r := &Report{Source: a.Source, Layout: a.Layout}
	for _, img := range a.Images {
		r.Images = append(r.Images, img.Describe())
	}
	for _, l := range loaders {
		v := l.rules(f, Verdict{Consumer: l.id, Title: l.title, Loads: true, Basis: NotMeasured})
		v = supplyRules(f, v, l.measured != "")
		if l.measured != "" {
			v.Measured, v.Basis = true, "measured: "+l.measured
		}
		r.Consumers = append(r.Consumers, v)
	}
	return r
}

// summarize lists at most five items, for one-line messages.
func summarize(items []string) string {
	if len(items) <= 5 {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:5], ", ") + fmt.Sprintf(" and %d more", len(items)-5)
}

// dockerClassic is docker's classic image store, which reads docker's
// manifest.json: docker ≤ 24 (version 20), 25–28 (25) and 29+ (29).
func dockerClassic(f facts, v Verdict, version int) Verdict {
	v.Command = "docker load -i " + f.path
	noManifest := "no manifest.json: the classic image store reads docker's manifest.json, not an OCI index (it fails with \"open .../blobs/json: no such file or directory\"); retar convert it to an oci-archive, which carries one"
	if version >= 29 {
		noManifest = "no manifest.json: the classic image store reads docker's manifest.json, not an OCI index (\"invalid archive: does not contain a manifest.json\"); retar convert it to an oci-archive, which carries one"
	}
	switch {
	case !f.archive:
		v.Loads, v.Problems = false, append(v.Problems, "a directory: docker load reads an archive; tar it, or retar convert it to a docker-archive")
	case f.dirLayout:
		v.Loads, v.Problems = false, append(v.Problems, "a dir: layout, which docker load does not read")
	case f.legacyOnly && version >= 29:
		v.Loads, v.Message = false, "invalid archive: does not contain a manifest.json"
		v.Problems = append(v.Problems, "the pre-1.10 shape (repositories, no manifest.json): docker 29 dropped it (\"invalid archive: does not contain a manifest.json\"); retar convert rebuilds the image")
	case !f.dockerEntries && !f.legacyOnly:
		v.Loads = false
		v.Problems = append(v.Problems, noManifest)
		if version >= 29 {
			v.Message = "invalid archive: does not contain a manifest.json"
		}
	}
	zstdLayers(f, &v)
	if no, ok := compressedRefusal(f, v.Consumer); ok {
		v.refuse(no)
	}
	dockerLoadNeedsBytes(f, &v, version)
	if v.Loads {
		dockerClassicNames(f, &v, version)
	}
	hostNote(&v, f)
	return v
}

// dockerContainerd is docker 25–28 with the containerd image store: its
// importer is containerd's (not measured here; docker 29's is).
func dockerContainerd(f facts, v Verdict) Verdict {
	v = ctr(f, v)
	v.Command = "docker load -i " + f.path
	return v
}

// docker29Containerd is docker 29's default store, measured: containerd's
// importer, then docker names the images; an image without a name loads
// all the same, known by its ID.
func docker29Containerd(f facts, v Verdict) Verdict {
	v.Command = "docker load -i " + f.path
	if no, ok := importerRefuses(f, &v); ok {
		v.Loads, v.Problems = false, append(v.Problems, no)
		return v
	}
	if unresolvedForeign(f, &v, true) {
		return v
	}
	docker29Names(f, &v)
	docker29Unpacks(f, &v)
	hostNote(&v, f)
	return v
}

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

// ctr is `ctr images import` (plain), for each containerd version.
func ctr(f facts, v Verdict) Verdict {
	v.Command = "ctr images import " + f.path
	measured := v.Consumer == "ctr-2.3" || v.Consumer == "ctr-2.4"
	if no, ok := importerRefuses(f, &v); ok {
		v.Loads, v.Problems = false, append(v.Problems, no)
		if !measured {
			v.Message = ""
		}
		return v
	}
	if no, ok := compressedRefusal(f, v.Consumer); ok {
		v.refuse(no)
		return v
	}
	containerdNames(f, &v)
	unpackFails(f, &v, measured)
	ctrAllPlatforms(f, &v)
	hostNote(&v, f)
	return v
}

// kind is `kind load image-archive`: on each node, ctr --namespace=k8s.io
// images import --all-platforms --digests --snapshotter=overlayfs - (kind's
// pkg/cluster/nodeutils) on the containerd its node image ships.
func kind(f facts, v Verdict) Verdict {
	v.Command = "kind load image-archive " + f.path
	if no, ok := importerRefuses(f, &v); ok {
		v.Loads, v.Problems = false, append(v.Problems, no)
		return v
	}
	if no, ok := compressedRefusal(f, v.Consumer); ok {
		v.refuse(no)
		return v
	}
	containerdNames(f, &v)
	if len(f.absent) > 0 {
		v.Names, v.Message = nil, contentNotFound
		v.refuse(absentManifests(f, "kind imports with --all-platforms, which fails with \"content digest ...: not found\"; retar convert leaves them out"))
		return v
	}
	unpackFails(f, &v, true)
	if !v.Loads {
		v.Names = nil
	}
	hostNote(&v, f)
	return v
}

// k3s is what a k3s (or rke2) agent does with a file in agent/images/
// (measured through interop/k3s, which follows its code): containerd's
// client Import with all platforms and skip-missing, no unpack, then a
// NAME@DIGEST reference per tagged name.
func k3s(f facts, v Verdict) Verdict {
	if !f.archive {
		importerRefuses(f, &v)
		v.Loads, v.Problems = false, append(v.Problems, "a directory: k3s imports archive files from agent/images/; retar convert it to an oci-archive")
		return v
	}
	if no, ok := compressedRefusal(f, v.Consumer); ok {
		v.refuse(no)
		return v
	}
	v.Command = "cp " + f.path + " /var/lib/rancher/k3s/agent/images/" + k3sFile(f, &v)
	k3sZstdWindow(f, &v)
	if no, ok := importerRefuses(f, &v); ok {
		v.Loads, v.Problems = false, append(v.Problems, no)
		return v
	}
	if unresolvedForeign(f, &v, true) {
		return v
	}
	containerdNames(f, &v)
	if len(f.absent) > 0 {
		v.Problems = append(v.Problems, absentManifests(f, "k3s skips them (it imports with skip-missing)"))
	}
	k3sNoUnpack(f, &v)
	hostNote(&v, f)
	return v
}

// nerdctl is `nerdctl load` as nerdctl 2.2's pkg/imgutil/load does it (read
// from its code, not measured): the stream decompressed (gzip, zstd),
// containerd's client Import for the host platform (--all-platforms: every
// one), an unnamed image given a SNAPSHOTTER@DIGEST reference, then each
// image unpacked.
func nerdctl(f facts, v Verdict) Verdict {
	v.Command = "nerdctl load -i " + f.path
	if no, ok := importerRefuses(f, &v); ok {
		v.Loads, v.Problems, v.Message = false, append(v.Problems, no), ""
		return v
	}
	if no, ok := compressedRefusal(f, v.Consumer); ok {
		v.refuse(no)
		return v
	}
	containerdNames(f, &v)
	nerdctlUnpacks(f, &v)
	if !v.Loads {
		v.Names = nil
	}
	return v
}

// podman 4.3 tries an archive as an OCI archive first, then as a docker
// archive (measured): an index.json of one entry is read through the OCI path
// (with several entries, even several names of one image, that path gives up),
// named by io.containerd.image.name, else by ref.name (a bare tag T as
// localhost/T:latest); otherwise docker's manifest.json names it, a RepoTag
// without a registry under localhost/.
func podman(f facts, v Verdict) Verdict {
	v.Command = "podman load -i " + f.path
	if no, ok := compressedRefusal(f, v.Consumer); ok {
		v.refuse(no)
		return v
	}
	switch {
	case f.legacyOnly:
		v.Loads = false
		v.Problems = append(v.Problems, "the pre-1.10 shape, which podman does not read")
		return v
	case f.dirLayout:
		v.Problems = append(v.Problems, "a dir: layout loads without a name")
		return v
	case f.ociIndex && f.indexEntries == 1:
		podmanIndexName(f, &v)
	case f.dockerEntries && f.archive:
		podmanDockerNames(f, &v)
	case f.images > 1:
		v.Loads = false
		v.Problems = append(v.Problems, "an OCI layout with several images and no docker manifest.json: \"more than one image\"; retar convert it to an oci-archive")
		return v
	case f.ociIndex && f.indexEntries > 1:
		v.Loads, v.Message = false, "more than one image in oci, choose an image"
		v.Problems = append(v.Problems, fmt.Sprintf("an OCI layout whose index.json has %d entries (signatures, attestations, SBOMs beside the image) and no docker manifest.json: podman takes a one-entry index (\"more than one image in oci, choose an image\"); retar convert it to an oci-archive", f.indexEntries))
		return v
	}
	if len(v.Names) == 0 {
		v.Problems = append(v.Problems, "no name podman reads: the images load untagged")
	}
	return v
}

func skopeo(f facts, v Verdict) Verdict {
	switch {
	case f.dirLayout:
		v.Command = "skopeo copy dir:" + f.path + " ..."
	case !f.archive:
		v.Command = "skopeo copy oci:" + f.path + ":REF ..."
	case f.dockerEntries:
		v.Command = "skopeo copy docker-archive:" + f.path + " ..."
		if f.images > 1 {
			v.Command = "skopeo copy docker-archive:" + f.path + ":@N ..."
			v.Problems = append(v.Problems, fmt.Sprintf("%d images: skopeo takes one, picked with :@N or :NAME", f.images))
		}
	case f.legacyOnly:
		v.Loads = false
		v.Problems = append(v.Problems, "the pre-1.10 shape (no manifest.json), which skopeo does not read; retar convert rebuilds the image")
	default:
		v.Command = "skopeo copy oci-archive:" + f.path + " ..."
		switch {
		case f.images > 1:
			v.Command = "skopeo copy oci-archive:" + f.path + ":REF ..."
			v.Problems = append(v.Problems, fmt.Sprintf("%d images: skopeo takes one, picked by its ref name", f.images))
		case f.indexEntries > 1:
			v.Command = "skopeo copy oci-archive:" + f.path + ":REF ..."
			v.Problems = append(v.Problems, fmt.Sprintf("index.json has %d entries (what refers to the image beside it): skopeo needs the image's ref name (\"more than one image in oci, choose an image\" without one)", f.indexEntries))
		}
		if f.supply.dockerZstd {
			v.Loads = false
			v.Problems = append(v.Problems, "a Docker v2s2 manifest with zstd layers, which v2s2 has no type for: skopeo refuses it (\"unsupported docker v2s2 media type\"); retar convert writes it as OCI")
		}
	}
	if no, ok := compressedRefusal(f, v.Consumer); ok {
		v.refuse(no)
	}
	zstdLayers(f, &v)
	return v
}

// Fails reports whether a consumer (an id, an alias, or a group of ids)
// will not load the archive; unknown names are an error.
func (r *Report) Fails(name string) (bool, error) {
	ids, err := expand(name)
	if err != nil {
		return false, err
	}
	for _, v := range r.Consumers {
		for _, id := range ids {
			if v.Consumer == id && !v.Loads {
				return true, nil
			}
		}
	}
	return false, nil
}
