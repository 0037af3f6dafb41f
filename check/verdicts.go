// Each loader's verdict: the rules it applies, in the order it applies
// them. The rules themselves are in the files of their families: layouts,
// compression, names, platforms, sparse (and supply, applied after these).

package check

import (
	"fmt"

	"github.com/retar-dev/retar/convert"
)

// dockerClassic is docker's classic image store, which reads docker's
// manifest.json: docker ≤ 24 (version 20), 25–28 (25) and 29+ (29).
func dockerClassic(f facts, v Verdict, version int) Verdict {
	v.Command = "docker load -i " + f.arg()
	dockerClassicLayout(f, &v, version)
	zstdLayers(f, &v)
	if no, ok := compressedRefusal(f, v.Consumer); ok {
		v.fail(no)
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
	v.Command = "docker load -i " + f.arg()
	return v
}

// docker29Containerd is docker 29's default store, measured: containerd's
// importer, then docker names the images; an image without a name loads
// all the same, known by its ID.
func docker29Containerd(f facts, v Verdict) Verdict {
	v.Command = "docker load -i " + f.arg()
	if !importerReads(f, &v) {
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

// ctr is `ctr images import` (plain), for each containerd version.
func ctr(f facts, v Verdict) Verdict {
	v.Command = "ctr images import " + f.arg()
	measured := v.Consumer == "ctr-2.3" || v.Consumer == "ctr-2.4"
	if !importerReads(f, &v) {
		if !measured {
			v.Message = ""
		}
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
	v.Command = "kind load image-archive " + f.arg()
	if !importerReads(f, &v) {
		return v
	}
	containerdNames(f, &v)
	if len(f.absent) > 0 {
		v.Names, v.Message = nil, contentNotFound
		v.fail(absentManifests(f, "kind imports with --all-platforms, which fails with \"content digest ...: not found\"", "will fail on them (\"content digest ...: not found\")"))
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
		v.fail(Problem{Fact: FactDirectory, Text: "a directory: k3s imports archive files from agent/images/", Does: "can read archives only", Fix: fixArchive(f, convert.OCIArchive)})
		return v
	}
	if no, ok := compressedRefusal(f, v.Consumer); ok {
		v.fail(no)
		return v
	}
	v.Command = "cp " + f.arg() + " /var/lib/rancher/k3s/agent/images/" + k3sFile(f, &v)
	k3sZstdWindow(f, &v)
	if no, ok := importerRefuses(f, &v); ok {
		v.fail(no)
		return v
	}
	if unresolvedForeign(f, &v, true) {
		return v
	}
	containerdNames(f, &v)
	if len(f.absent) > 0 {
		p := absentManifests(f, "k3s skips them (it imports with skip-missing)", "")
		p.Fix = nil
		v.note(p)
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
	v.Command = "nerdctl load -i " + f.arg()
	if !importerReads(f, &v) {
		v.Message = "" // from its code: nothing quoted
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
	v.Command = "podman load -i " + f.arg()
	if no, ok := compressedRefusal(f, v.Consumer); ok {
		v.fail(no)
		return v
	}
	switch {
	case f.legacyOnly:
		v.fail(Problem{Fact: FactPre110, Text: "the pre-1.10 shape, which podman does not read", Does: "cannot read it", Fix: fixRebuild()})
		return v
	case f.dirLayout:
		v.note(Problem{Fact: FactNoName, Text: "a dir: layout holds no name: the image loads untagged"})
		return v
	case f.ociIndex && f.indexEntries == 1:
		podmanIndexName(f, &v)
	case f.dockerEntries && f.archive:
		podmanDockerNames(f, &v)
	case f.images > 1:
		v.fail(Problem{Fact: FactSeveralImages, Text: "an OCI layout with several images and no docker manifest.json: \"more than one image\"",
			Does: "can take one image only from an OCI layout without docker's manifest.json", Fix: fixHybrid()})
		return v
	case f.ociIndex && f.indexEntries > 1:
		v.Message = moreThanOne
		v.fail(Problem{Fact: FactIndexEntries, Text: fmt.Sprintf("an OCI layout whose index.json has %d entries (signatures, attestations, SBOMs beside the image) and no docker manifest.json: podman takes a one-entry index ("+quoteMsg(moreThanOne)+")", f.indexEntries),
			Does: "can take a one-entry index.json only", Fix: fixHybrid()})
		return v
	}
	if len(v.Names) == 0 {
		v.note(Problem{Fact: FactNoName, Text: "no name podman reads: the image loads untagged", Fix: fixName(f)})
	}
	deltaFromStore(f, &v)
	return v
}

// skopeo is `skopeo copy` from the archive (read from containers/image's
// code, not measured): which transport reads it, and which image of it.
func skopeo(f facts, v Verdict) Verdict {
	switch {
	case f.dirLayout:
		v.Command = "skopeo copy dir:" + f.arg() + " ..."
	case !f.archive:
		v.Command = "skopeo copy oci:" + f.arg() + ":REF ..."
	case f.dockerEntries:
		v.Command = "skopeo copy docker-archive:" + f.arg() + " ..."
		if f.images > 1 {
			v.Command = "skopeo copy docker-archive:" + f.arg() + ":@N ..."
			v.note(Problem{Fact: FactSeveralImages, Text: fmt.Sprintf("%d images: skopeo takes one, picked with :@N or :NAME", f.images)})
		}
	case f.legacyOnly:
		v.fail(Problem{Fact: FactPre110, Text: "the pre-1.10 shape (no manifest.json), which skopeo does not read", Does: "cannot read it", Fix: fixRebuild()})
	default:
		v.Command = "skopeo copy oci-archive:" + f.arg() + " ..."
		switch {
		case f.images > 1:
			v.Command = "skopeo copy oci-archive:" + f.arg() + ":REF ..."
			v.note(Problem{Fact: FactSeveralImages, Text: fmt.Sprintf("%d images: skopeo takes one, picked by its ref name", f.images)})
		case f.indexEntries > 1:
			v.Command = "skopeo copy oci-archive:" + f.arg() + ":REF ..."
			v.note(Problem{Fact: FactIndexEntries, Text: fmt.Sprintf("index.json has %d entries (what refers to the image beside it): skopeo needs the image's ref name ("+quoteMsg(moreThanOne)+" without one)", f.indexEntries)})
		}
		if f.supply.dockerZstd {
			v.fail(Problem{Fact: FactDockerZstd, Text: "a Docker v2s2 manifest with zstd layers, which v2s2 has no type for: skopeo refuses it (" + quoteMsg(v2s2Zstd) + ")",
				Does: "will refuse it (" + quoteMsg(v2s2Zstd) + ")", Fix: fixOCIFamily()})
		}
	}
	if no, ok := compressedRefusal(f, v.Consumer); ok {
		v.fail(no)
	}
	zstdLayers(f, &v)
	return v
}
