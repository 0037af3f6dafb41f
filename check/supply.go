// What vouches for an image (signatures, attestations, SBOMs as index.json
// entries beside it) and the layers that break loaders (zstd:chunked's
// sentinel variant, mislabelled layers, Docker v2s2 with zstd). Each rule is
// what make interop measured on the loader (interop/supply.sh,
// interop/LOADERS.md), where the loader's verdict is a measured one; the
// rest say they come from the loader's code.

package check

import (
	"fmt"
	"sort"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/retar-dev/retar/convert"
)

// supplyFacts are read off the images once.
type supplyFacts struct {
	// refNamed: referrer entries of index.json that carry a name containerd's
	// importer reads (io.containerd.image.name, else ref.name: cosign's
	// sha256-<hex>.sig tags), as written; only where the importer reads
	// index.json.
	refNamed []string
	// refUnnamed: referrer entries without one (OCI 1.1 referrers, marked
	// with io.containerd.manifest.subject as containerd 2.2+ saves them).
	refUnnamed int
	// chunked: zstd:chunked variant manifests, by platform; chunkedFirst:
	// one comes before the image of its platform.
	chunked      []*ocispec.Platform
	chunkedFirst bool
	mislabelled  []convert.Mislabelled
	dockerZstd   bool
}

// add reads one image: its referrers (fromIndex: containerd's importer
// reads index.json) and its summary.
func (sf *supplyFacts) add(img *convert.Image, sum convert.Summary, fromIndex bool) {
	if fromIndex {
		for _, r := range img.Referrers {
			n := r.Desc.Annotations["io.containerd.image.name"]
			if n == "" {
				n = r.Desc.Annotations[ocispec.AnnotationRefName]
			}
			if n != "" {
				sf.refNamed = append(sf.refNamed, n)
			} else {
				sf.refUnnamed++
			}
		}
	}
	sf.chunked = append(sf.chunked, sum.ChunkedVariants...)
	sf.chunkedFirst = sf.chunkedFirst || sum.ChunkedFirst
	sf.mislabelled = append(sf.mislabelled, sum.Mislabelled...)
	sf.dockerZstd = sf.dockerZstd || sum.DockerZstd
}

// brokenLayers are the mislabelled layers containerd cannot unpack, on the
// platforms it unpacks: compressed bytes under a plain tar type (gzip
// labelled tar: measured); a compressed type it looks past (zstd labelled
// gzip: containerd sniffs the bytes, measured).
func (f facts) brokenLayers(all bool) []string {
	var out []string
	for _, m := range f.supply.mislabelled {
		if m.Label == convert.Uncompressed && f.matches(m.Platform, all) {
			out = append(out, fmt.Sprintf("%s (%s, %s labelled %s)", m.Layer, convert.PlatformString(m.Platform), m.Is, m.MediaType))
		}
	}
	return out
}

// chunkedOn lists the sentinel variants of the platforms a loader unpacks.
func (f facts) chunkedOn(all bool) []string {
	var out []string
	for _, p := range f.supply.chunked {
		if f.matches(p, all) {
			out = append(out, convert.PlatformString(p))
		}
	}
	return out
}

const (
	chunkedMessage = "number of layers and diffIDs don't match"
	brokenMessage  = "failed to extract layer"
	cosignProblem  = "index.json entries that refer to an image carry a name (%s): containerd's importer registers each as an image"
)

// A supplyLoader is a loader's verdict as the supply rules see it: the
// kind of loader, and whether what it prints was measured.
type supplyLoader struct {
	v        *Verdict
	id       string
	measured bool
	ctr2     bool // ctr 2.x
	dockerC  bool // docker on containerd's importer, which then unpacks
	unpacker bool // it unpacks what containerd's importer imports
}

func newSupplyLoader(v *Verdict, measured bool) supplyLoader {
	id := v.Consumer
	ctr2 := id == "ctr-2.0" || id == "ctr-2.1" || id == "ctr-2.3" || id == "ctr-2.4"
	dockerC := id == "docker-containerd" || id == "docker-29-containerd"
	unpacker := ctr2 || id == "ctr-1.6" || id == "kind" || id == "nerdctl" || dockerC
	return supplyLoader{v: v, id: id, measured: measured, ctr2: ctr2, dockerC: dockerC, unpacker: unpacker}
}

// quote sets the message the loader prints, where it was measured.
func (l supplyLoader) quote(msg string) {
	if l.measured {
		l.v.Message = msg
	}
}

// refuse: the loader will not load the archive; it registers no name.
func (l supplyLoader) refuse(msg string, p Problem) {
	l.v.Names, l.v.Message = nil, ""
	l.quote(msg)
	l.v.fail(p)
}

func (l supplyLoader) note(p Problem) { l.v.note(p) }

// supplyRuleOrder are the supply rules in the order they apply; each
// applies to a verdict that still loads.
var supplyRuleOrder = []func(f facts, l supplyLoader){
	namedReferrers, unnamedReferrers, chunkedVariants, mislabelledLayers, dockerZstd,
}

// supplyRules adds to a loader's verdict what the archive's referrers and
// layers do to it. A verdict that already does not load stays as it is;
// what the loader prints is quoted only where it was measured.
func supplyRules(f facts, v Verdict, measured bool) Verdict {
	l := newSupplyLoader(&v, measured)
	for _, rule := range supplyRuleOrder {
		if !v.Loads {
			break
		}
		rule(f, l)
	}
	return v
}

// namedReferrers: index.json entries that refer to an image and carry a
// name (cosign's tags) are registered as images by containerd's importer.
func namedReferrers(f facts, l supplyLoader) {
	s, v := f.supply, l.v
	if len(s.refNamed) == 0 {
		return
	}
	named := summarize(s.refNamed)
	switch {
	case l.id == "ctr-1.6":
		l.refuse(noMediaProcessor, Problem{Fact: FactNamedReferrers, Text: fmt.Sprintf(cosignProblem, named) +
			"; ctr 1.6 then unpacks each as an image and fails (\"failed to get stream processor for ...: no processor for media-type\")",
			Does: "will register each as an image and fail unpacking it", Fix: fixUnnameReferrers()})
	case l.ctr2 || l.id == "kind":
		for _, n := range s.refNamed {
			v.Names = append(v.Names, importName(n))
		}
		l.note(Problem{Fact: FactNamedReferrers, Text: fmt.Sprintf(cosignProblem, named) + ", under import-YYYY-MM-DD:TAG", Fix: fixUnnameReferrers()})
	case l.id == "k3s":
		v.Names = append(v.Names, s.refNamed...)
		v.Message = k3sRetagFails + s.refNamed[0]
		l.note(Problem{Fact: FactNamedReferrers, Text: fmt.Sprintf(cosignProblem, named) + ", under the bare tag, and fails to retag them (\"failed to retag images: failed to parse tag for image ...\")", Fix: fixUnnameReferrers()})
	case l.id == "docker-29-containerd":
		l.note(Problem{Fact: FactNamedReferrers, Text: fmt.Sprintf(cosignProblem, named) + ": docker 29 keeps them in containerd under the bare tag (it prints \"Loaded image: TAG:latest\"), which docker images does not list nor docker rmi remove", Fix: fixUnnameReferrers()})
	case l.id == "docker-containerd" || l.id == "nerdctl":
		l.note(Problem{Fact: FactNamedReferrers, Text: fmt.Sprintf(cosignProblem, named), Fix: fixUnnameReferrers()})
	}
	sort.Strings(v.Names)
}

// unnamedReferrers: OCI 1.1 referrers in index.json, without a name.
func unnamedReferrers(f facts, l supplyLoader) {
	n := f.supply.refUnnamed
	if n == 0 {
		return
	}
	switch {
	case l.id == "kind":
		l.note(Problem{Fact: FactReferrers, Text: fmt.Sprintf("%d referrers in index.json: kind imports with --digests, which gives each an image record import-DATE@sha256:DIGEST (containerd's transfer service looks past io.containerd.manifest.subject)", n)})
	case l.ctr2:
		l.note(Problem{Fact: FactReferrers, Text: fmt.Sprintf("%d referrers in index.json: ctr stores their blobs and registers no image for them, and links them to none either: the next garbage collection removes them", n)})
	case l.id == "docker-29-containerd":
		l.note(Problem{Fact: FactReferrers, Text: fmt.Sprintf("%d referrers in index.json (io.containerd.manifest.subject): docker 29 keeps them as referrers of their image, and docker save writes them back", n)})
	}
}

// chunkedVariants: zstd:chunked's variant manifest, whose first layer is
// the non-tar sentinel, fails whoever unpacks it.
func chunkedVariants(f facts, l supplyLoader) {
	if len(f.supply.chunked) == 0 {
		return
	}
	host, every := f.chunkedOn(false), f.chunkedOn(true)
	problem := "zstd:chunked's variant manifest (%s), whose first layer is the non-tar sentinel: "
	switch {
	case (l.ctr2 || l.id == "nerdctl") && len(host) > 0, l.id == "kind":
		l.refuse(chunkedMessage, Problem{Fact: FactChunked, Text: fmt.Sprintf(problem, strings.Join(every, ", ")) +
			"containerd 2 unpacks every manifest of the platforms it imports, this one too, and fails (\"number of layers and diffIDs don't match: 1 != 2\")",
			Does: "will unpack it too, and fail", Fix: fixImageAlone()})
	case l.ctr2:
		l.note(Problem{Fact: FactChunked, Text: fmt.Sprintf(problem, strings.Join(every, ", ")) +
			"--all-platforms fails, unpacking it (\"number of layers and diffIDs don't match: 1 != 2\")", Fix: fixImageAlone()})
	case l.id == "ctr-1.6" && len(host) > 0 && f.supply.chunkedFirst:
		l.refuse("", Problem{Fact: FactChunked, Text: fmt.Sprintf(problem, strings.Join(host, ", ")) +
			"it comes before the image of its platform, and ctr 1.6 unpacks the first match, which fails (from its code, not measured)",
			Does: "will unpack it first, and fail", Fix: fixImageAlone()})
	case l.id == "ctr-1.6":
		l.note(Problem{Fact: FactChunked, Text: fmt.Sprintf(problem, strings.Join(every, ", ")) +
			"ctr 1.6 unpacks the first manifest of the host platform, the image beside it, and imports the variant without unpacking it"})
	case l.dockerC && len(host) > 0:
		l.quote(strings.TrimPrefix(rootfsMismatch, "Error unpacking image ...: "))
		l.note(Problem{Fact: FactChunked, Text: fmt.Sprintf(problem, strings.Join(host, ", ")) +
			"docker loads the image, then fails to unpack the variant (" + quoteMsg(rootfsMismatch) + ")", Fix: fixImageAlone()})
	case l.id == "k3s":
		l.note(Problem{Fact: FactChunked, Text: fmt.Sprintf(problem, strings.Join(every, ", ")) +
			"k3s imports it without unpacking; containerd fails on it when it unpacks the image for a pod", Fix: fixImageAlone()})
	}
}

// mislabelledLayers: containerd goes by a plain tar label and fails to
// unpack the compressed layer under it.
func mislabelledLayers(f facts, l supplyLoader) {
	host, all := f.brokenLayers(false), f.brokenLayers(true)
	switch {
	case !l.unpacker:
	case l.dockerC && len(host) > 0:
		l.quote(brokenMessage)
		l.note(Problem{Fact: FactMislabelled, Text: "compressed layers labelled plain tar: " + summarize(host) +
			": docker loads the image, then goes by the label and fails to unpack it (" + quoteMsg(unpackExtract) + "), so docker run fails", Fix: fixMediaTypes()})
	case l.id == "kind" && len(all) > 0, !l.dockerC && l.id != "kind" && len(host) > 0:
		lays := host
		if l.id == "kind" {
			lays = all
		}
		l.refuse(brokenMessage, Problem{Fact: FactMislabelled, Text: "compressed layers labelled plain tar: " + summarize(lays) +
			": containerd goes by the label and fails to unpack them (" + quoteMsg(extractEOF) + ")",
			Does: "will go by the label and fail to unpack them", Fix: fixMediaTypes()})
	case l.ctr2 && len(all) > 0:
		l.note(Problem{Fact: FactMislabelled, Text: "compressed layers labelled plain tar on other platforms: " + summarize(all) +
			": --all-platforms fails, unpacking them (\"failed to extract layer\")", Fix: fixMediaTypes()})
	}
	if len(all) > 0 && l.id == "k3s" {
		l.note(Problem{Fact: FactMislabelled, Text: "compressed layers labelled plain tar (" + summarize(all) + "): k3s imports them without unpacking; containerd fails on them when it unpacks the image for a pod", Fix: fixMediaTypes()})
	}
}

// dockerZstd: a Docker v2s2 manifest with zstd layers, which podman's OCI
// path refuses (skopeo's verdict says the same of its own).
func dockerZstd(f facts, l supplyLoader) {
	if f.supply.dockerZstd && l.id == "podman" && f.ociIndex && f.indexEntries == 1 {
		l.refuse(v2s2Zstd, Problem{Fact: FactDockerZstd, Text: "a Docker v2s2 manifest with zstd layers, which v2s2 has no type for: podman refuses it (\"unsupported docker v2s2 media type: \\\"application/vnd.oci.image.layer.v1.tar+zstd\\\"\")",
			Does: "will refuse it (" + quoteMsg(v2s2Zstd) + ")", Fix: fixOCIFamily()})
	}
}
