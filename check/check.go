// Package check says, from an archive's shape alone, what each loader makes
// of it: docker in each of its stores, containerd's ctr, podman, skopeo and
// k3s. Each rule is a fact measured on those loaders (interop/CHECK.md holds
// the rules to them); it reads the model convert.Open builds and hashes
// nothing.
package check

import (
	"fmt"
	"sort"
	"strings"

	"github.com/distribution/reference"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/retar-dev/retar/convert"
)

// A Verdict says what one consumer does with an archive: whether the images
// end up in its store, under which names, with which command, and why not.
type Verdict struct {
	Consumer string   `json:"consumer"` // an id --for takes: docker-24, ctr-2.0, podman...
	Title    string   `json:"title"`
	Loads    bool     `json:"loads"` // the images end up in its store (ctr with no name: they do not)
	Names    []string `json:"names"` // as it registers them
	Command  string   `json:"command,omitempty"`
	Problems []string `json:"problems"` // why it will not load, or what to mind when it does
}

// Report is retar check's answer for one source.
type Report struct {
	Source    string                   `json:"source"`
	Layout    convert.Layout           `json:"layout"`
	Images    []convert.InspectedImage `json:"images"`
	Consumers []Verdict                `json:"consumers"`
}

// groups are the names --for takes for several loaders at once.
var groups = map[string][]string{
	"docker":     {"docker-24", "docker-25", "docker-containerd"},
	"containerd": {"ctr-1.6", "ctr-2.0", "ctr-2.1", "k3s"},
	"ctr":        {"ctr-1.6", "ctr-2.0", "ctr-2.1"},
}

// facts are what the rules read off a source, once.
type facts struct {
	a             *convert.Archive
	path          string
	compressed    string // the file's own compression, "" for a plain tar
	archive       bool   // a tar; not a directory layout
	dockerEntries bool   // a docker manifest.json lists images
	legacyOnly    bool   // the pre-1.10 shape: repositories and v1 dirs only
	ociIndex      bool   // index.json lists images
	dirLayout     bool   // containers/image dir:
	images        int
	indexEntries  int
	zstd          bool
	absent        []string // index entries without their manifests
	foreignAbsent []string // foreign layers without their bytes
	unnamed       bool     // some image has no name at all
	tagOnly       []string // images named by a bare tag only
	noHost        []string // images with no manifest for the host platform
	shortDocker   []string // RepoTags without a registry (podman prefixes localhost/)
}

// Archive predicts what docker, containerd, podman, skopeo and k3s make of
// an opened source. Each rule is a fact measured on those consumers
// (FORMATS.md); the real-consumer suite holds the rules to them.
func Archive(a *convert.Archive, host ocispec.Platform) *Report {
	f := factsOf(a, host)
	r := &Report{Source: a.Source, Layout: a.Layout}
	for _, img := range a.Images {
		r.Images = append(r.Images, img.Describe())
	}
	r.Consumers = []Verdict{
		dockerClassic(f, "docker-24", "docker ≤ 24", false),
		dockerClassic(f, "docker-25", "docker 25–28 (classic image store)", true),
		dockerContainerd(f),
		ctr(f, "ctr-1.6", "containerd 1.6/1.7: ctr images import"),
		ctr(f, "ctr-2.0", "containerd 2.0: ctr images import"),
		ctr(f, "ctr-2.1", "containerd 2.1+: ctr images import"),
		podman(f),
		skopeo(f),
		k3s(f),
	}
	return r
}

func factsOf(a *convert.Archive, host ocispec.Platform) facts {
	shape := a.Shape()
	f := facts{a: a, path: a.Source, archive: shape.Tar, images: len(a.Images), dirLayout: a.Layout == convert.Dir,
		compressed: a.Compression, indexEntries: shape.IndexEntries}
	f.ociIndex = shape.IndexJSON && a.Layout != convert.Dir
	f.legacyOnly = !shape.ManifestJSON && !f.ociIndex && shape.Repositories
	for i, img := range a.Images {
		if img.InDockerManifest {
			f.dockerEntries = true
		}
		label := fmt.Sprintf("@%d", i)
		if len(img.Names) > 0 {
			label = img.Names[0].String()
		}
		if len(img.Names) == 0 {
			f.unnamed = true
		} else if allRaw(img.Names) {
			f.tagOnly = append(f.tagOnly, img.Names[0].Raw)
		}
		for _, t := range img.RawTags {
			if podmanName(t) != normalized(t) {
				f.shortDocker = append(f.shortDocker, t)
			}
		}
		s := img.Summarize()
		f.zstd = f.zstd || s.Zstd
		f.absent = append(f.absent, s.Absent...)
		for _, d := range s.AbsentForeign {
			f.foreignAbsent = append(f.foreignAbsent, d.String())
		}
		hostFound := false
		for _, p := range s.Platforms {
			hostFound = hostFound || convert.MatchPlatform(p, host)
		}
		switch {
		case s.Docker && len(s.Platforms) == 1 && !hostFound:
			f.noHost = append(f.noHost, label+" is "+convert.PlatformString(s.Platforms[0]))
		case !s.Docker && len(s.Platforms) > 0 && !hostFound:
			f.noHost = append(f.noHost, label)
		}
	}
	return f
}

// summarize lists at most five items, for one-line messages.
func summarize(items []string) string {
	if len(items) <= 5 {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:5], ", ") + fmt.Sprintf(" and %d more", len(items)-5)
}

func namesOf(a *convert.Archive, get func(*convert.Image) []convert.Name) []string {
	seen := map[string]bool{}
	var out []string
	for _, img := range a.Images {
		for _, n := range get(img) {
			if n.Ref != nil && !seen[n.String()] {
				seen[n.String()] = true
				out = append(out, n.String())
			}
		}
	}
	sort.Strings(out)
	return out
}

// podmanName is what podman 4.3 registers for a RepoTag as written: a name
// without a registry goes under localhost/ (measured), not docker.io.
func podmanName(t string) string {
	first, _, hasSlash := strings.Cut(t, "/")
	if !hasSlash || !strings.ContainsAny(first, ".:") && first != "localhost" {
		n := "localhost/" + t
		if r, err := reference.ParseNormalizedNamed(n); err == nil {
			return reference.TagNameOnly(r).String()
		}
		return n
	}
	return normalized(t)
}

func normalized(t string) string {
	if n, err := convert.ParseName(t); err == nil {
		return n.String()
	}
	return t
}

func dockerClassic(f facts, id, title string, zstdOK bool) Verdict {
	v := Verdict{Consumer: id, Title: title, Loads: true, Command: "docker load -i " + f.path}
	switch {
	case !f.archive:
		v.Loads, v.Problems = false, append(v.Problems, "a directory: docker load reads an archive; tar it, or retar convert it to a docker-archive")
	case f.dirLayout:
		v.Loads, v.Problems = false, append(v.Problems, "a dir: layout, which docker load does not read")
	case !f.dockerEntries && !f.legacyOnly:
		v.Loads = false
		v.Problems = append(v.Problems, "no manifest.json: the classic image store reads docker's manifest.json, not an OCI index (it fails with \"open .../blobs/json: no such file or directory\"); retar convert it to an oci-archive, which carries one")
	}
	if f.zstd && !zstdOK {
		v.Loads = false
		v.Problems = append(v.Problems, "zstd layers: docker reads them from 23.0 on; 20.10 fails with \"unexpected EOF\"; retar convert to a docker-archive re-encodes them to gzip (the image ID stays)")
	}
	if f.compressed == "zstd" && !zstdOK {
		v.Loads = false
		v.Problems = append(v.Problems, "a zstd-compressed archive: docker reads zstd from 23.0 on; decompress it, or retar convert it")
	}
	if len(f.foreignAbsent) > 0 {
		v.Loads = false
		v.Problems = append(v.Problems, "foreign layers without their bytes: "+strings.Join(f.foreignAbsent, ", "))
	}
	if v.Loads {
		v.Names = namesOf(f.a, func(i *convert.Image) []convert.Name { return i.RepoTags })
		if len(v.Names) == 0 {
			v.Problems = append(v.Problems, "no RepoTags: the images load untagged, known by ID only")
		}
	}
	hostNote(&v, f)
	return v
}

func dockerContainerd(f facts) Verdict {
	v := ctr(f, "docker-containerd", "docker with the containerd image store (25+, default from 29)")
	v.Command = "docker load -i " + f.path
	if f.legacyOnly {
		v.Loads = false
		v.Problems = []string{"the pre-1.10 shape (repositories, no manifest.json): docker 29 dropped it; retar convert rebuilds the image"}
	}
	return v
}

func ctr(f facts, id, title string) Verdict {
	v := Verdict{Consumer: id, Title: title, Loads: true, Command: "ctr images import " + f.path}
	switch {
	case !f.archive:
		v.Loads, v.Problems = false, append(v.Problems, "a directory: ctr images import reads an archive")
		return v
	case f.dirLayout:
		v.Loads, v.Problems = false, append(v.Problems, "a dir: layout: \"unrecognized image format\"")
		return v
	case f.legacyOnly:
		v.Loads, v.Problems = false, append(v.Problems, "the pre-1.10 shape (no manifest.json, no index.json), which containerd's importer does not read")
		return v
	}
	if f.compressed != "" {
		switch {
		case id == "ctr-1.6":
			v.Loads = false
			v.Problems = append(v.Problems, "a "+f.compressed+"-compressed archive: ctr 1.6 reads plain tars (\"archive/tar: invalid tar header\"); decompress it, or retar convert it")
			return v
		case f.compressed != "gzip" && f.compressed != "zstd":
			v.Loads = false
			v.Problems = append(v.Problems, "a "+f.compressed+"-compressed archive: containerd decompresses gzip and zstd only")
			return v
		}
	}
	v.Names = namesOf(f.a, func(i *convert.Image) []convert.Name {
		return append(append([]convert.Name(nil), i.Annotations...), i.RepoTags...)
	})
	for _, t := range f.tagOnly {
		v.Names = append(v.Names, "import-YYYY-MM-DD:"+t)
		v.Problems = append(v.Problems, fmt.Sprintf("named only by the tag %q: registered as import-YYYY-MM-DD:%s; give a full name with retar convert -t NAME", t, t))
	}
	if f.unnamed {
		v.Problems = append(v.Problems, "an image without a name: ctr registers nothing for it, with exit status 0; give one with retar convert -t NAME")
		if len(v.Names) == 0 {
			v.Loads = false
		}
	}
	if len(f.foreignAbsent) > 0 {
		v.Loads = false
		v.Problems = append(v.Problems, "foreign layers without their bytes: "+strings.Join(f.foreignAbsent, ", "))
	}
	switch id {
	case "ctr-2.0":
		v.Problems = append(v.Problems, "--all-platforms fails on 2.0 with \"no unpack platforms defined\" (any archive): import without it, or with --local")
	case "k3s":
	default:
		if len(f.absent) > 0 {
			v.Problems = append(v.Problems, fmt.Sprintf("the index lists %d manifests the archive lacks (%s): a plain import works, --all-platforms fails with \"content digest ...: not found\"; retar convert leaves them out", len(f.absent), summarize(f.absent)))
		} else {
			v.Command += "   (--all-platforms keeps every platform)"
		}
	}
	hostNote(&v, f)
	return v
}

// podman 4.3 tries an archive as an OCI archive first, then as a docker
// archive (measured): an index.json of one entry is read through the OCI path
// (with several entries, even several names of one image, that path gives up),
// named by io.containerd.image.name, else by ref.name (a bare tag T as
// localhost/T:latest); otherwise docker's manifest.json names it, a RepoTag
// without a registry under localhost/.
func podman(f facts) Verdict {
	v := Verdict{Consumer: "podman", Title: "podman load", Loads: true, Command: "podman load -i " + f.path}
	switch {
	case f.compressed != "":
		v.Loads = false
		v.Problems = append(v.Problems, "a "+f.compressed+"-compressed archive: podman 4.3 reads plain tars (\"payload does not match any of the supported image formats\"); decompress it, or retar convert it")
		return v
	case f.legacyOnly:
		v.Loads = false
		v.Problems = append(v.Problems, "the pre-1.10 shape, which podman does not read")
		return v
	case f.dirLayout:
		v.Problems = append(v.Problems, "a dir: layout loads without a name")
		return v
	case f.ociIndex && f.indexEntries == 1:
		img := f.a.Images[0]
		for _, n := range img.Annotations {
			if n.Ref != nil {
				v.Names = []string{n.String()}
				break
			}
		}
		if v.Names == nil && len(img.Annotations) > 0 {
			t := img.Annotations[0].Raw
			v.Names = []string{"localhost/" + t + ":latest"}
			v.Problems = append(v.Problems, fmt.Sprintf("named only by the tag %q: podman registers localhost/%s:latest", t, t))
		}
	case f.dockerEntries && f.archive:
		seen := map[string]bool{}
		for _, img := range f.a.Images {
			for _, t := range img.RawTags {
				if n := podmanName(t); !seen[n] {
					seen[n] = true
					v.Names = append(v.Names, n)
				}
			}
		}
		sort.Strings(v.Names)
		if len(f.shortDocker) > 0 {
			v.Problems = append(v.Problems, "RepoTags without a registry ("+strings.Join(f.shortDocker, ", ")+") go under localhost/; retar convert writes full names (docker.io/library/...)")
		}
	case f.images > 1:
		v.Loads = false
		v.Problems = append(v.Problems, "an OCI layout with several images and no docker manifest.json: \"more than one image\"; retar convert it to an oci-archive")
		return v
	}
	if len(v.Names) == 0 {
		v.Problems = append(v.Problems, "no name podman reads: the images load untagged")
	}
	return v
}

func skopeo(f facts) Verdict {
	v := Verdict{Consumer: "skopeo", Title: "skopeo copy", Loads: true}
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
		if f.images > 1 {
			v.Command = "skopeo copy oci-archive:" + f.path + ":REF ..."
			v.Problems = append(v.Problems, fmt.Sprintf("%d images: skopeo takes one, picked by its ref name", f.images))
		}
	}
	if f.compressed != "" {
		v.Loads = false
		v.Problems = append(v.Problems, "a "+f.compressed+"-compressed archive: containers/image (skopeo, podman) reads plain tars; decompress it, or retar convert it")
	}
	if f.zstd && v.Loads {
		v.Problems = append(v.Problems, "zstd layers: skopeo copies them, but refuses to write them into a docker-archive")
	}
	return v
}

func k3s(f facts) Verdict {
	v := ctr(f, "k3s", "k3s air-gap import (containerd's importer)")
	v.Command = "cp " + f.path + " /var/lib/rancher/k3s/agent/images/"
	return v
}

func hostNote(v *Verdict, f facts) {
	if len(f.noHost) > 0 && v.Loads {
		v.Problems = append(v.Problems, "no image for the host platform ("+strings.Join(f.noHost, "; ")+"): it loads but does not run here")
	}
}

// Fails reports whether a consumer (an id, or a group of ids) will not
// load the archive; unknown names are an error.
func (r *Report) Fails(name string) (bool, error) {
	ids := groups[name]
	if ids == nil {
		ids = []string{name}
	}
	found := false
	for _, v := range r.Consumers {
		for _, id := range ids {
			if v.Consumer == id {
				found = true
				if !v.Loads {
					return true, nil
				}
			}
		}
	}
	if !found {
		return false, fmt.Errorf("unknown consumer %q: %s%.0w", name, consumerNames(), convert.ErrUsage)
	}
	return false, nil
}

func consumerNames() string {
	names := []string{"docker", "containerd", "ctr", "docker-24", "docker-25", "docker-containerd", "ctr-1.6", "ctr-2.0", "ctr-2.1", "podman", "skopeo", "k3s"}
	return strings.Join(names, ", ")
}

// allRaw reports whether every name is a bare tag, not a docker reference.
func allRaw(names []convert.Name) bool {
	for _, n := range names {
		if n.Ref != nil {
			return false
		}
	}
	return true
}
