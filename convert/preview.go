package convert

import "slices"

// Preview says, without reading a blob, what a conversion with given
// options makes of its sources' images where the stages decide it: the
// names an image carries and what becomes of a zstd layer. check and --for
// ask it rather than restate the stages' rules.
type Preview struct {
	o    Options
	hold holding
}

// NewPreview previews a conversion with options o (o.To its destination)
// of sources of the layouts from.
func NewPreview(o Options, from ...Layout) Preview {
	return Preview{o: o, hold: unitOf(o.To).holds(o, from)}
}

// Names are the names img carries in the output, as the naming stage gives
// them: a name given for the destination (DST:NAME) replaces the image's,
// -t adds, each read as the destination reads names (an OCI layout's
// ref.names as typed, docker references elsewhere).
func (p Preview) Names(img *Image) []Name {
	return outputNames(img.Names, img.Names, p.o, p.hold)
}

// Keeps reports whether the output holds the name n where loaders read
// names: a docker-archive holds name:tag only (a RepoTag).
func (p Preview) Keeps(n Name) bool {
	return !p.hold.tagsOnly || n.RepoTag() != ""
}

// Zstd is what the output makes of a zstd layer: what --compress asks, or
// gzip where docker load is the output's main reader and --compress keep
// was not said, or zstd.
func (p Preview) Zstd() Compression {
	switch {
	case p.o.Recompress:
		return p.o.Compress
	case p.hold.dockerLoads && !p.o.KeepZstd:
		return Gzip
	}
	return Zstd
}

// DockerLoads reports whether docker load is the output's main reader: a
// docker-archive, or an oci-archive whose images came from one (its docker
// manifest.json is what docker loads). Elsewhere containerd's importers and
// podman are.
func (p Preview) DockerLoads() bool { return p.hold.dockerLoads }

// OneImage reports whether the destination holds a single image (a dir:
// layout), so a source of several needs one picked.
func (p Preview) OneImage() bool { return p.hold.oneImage }

// OneManifest reports whether the destination takes one manifest per
// image, narrowing an index to one platform unless --all-platforms keeps
// every one.
func (p Preview) OneManifest() bool { return p.hold.oneManifest }

// outputNames are an image's names in the output: own (its names, or what
// the stages picked so far), less all of them when the destination names it
// (DST:NAME), plus the names given; ctx are the image's source names, which
// a bare tag given for an OCI layout takes its repository from.
func outputNames(own, ctx []Name, o Options, hold holding) []Name {
	names := slices.Clone(own)
	if len(o.Names) > 0 {
		names = nil
	}
	for _, s := range append(slices.Clone(o.Names), o.Tags...) {
		if n, err := hold.parseGiven(s, ctx); err == nil { // Validate refused the others
			names = append(names, n)
		}
	}
	return uniqueNames(names)
}
