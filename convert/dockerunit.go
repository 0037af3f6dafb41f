// The docker-archive as a layout unit, above its parts: manifest.json read
// in dockerarchive.go, the pre-1.10 shape in dockerlegacy.go, writing in
// dockerwrite.go, and the hybrid docker 25+ writes in ocilayout.go.

package convert

// detects docker's manifest.json or repositories, where no OCI index.json
// makes the archive an OCI layout (a hybrid is read as one).
func (dockerArchive) detects(a *Archive) bool {
	return !a.shape.IndexJSON && (a.shape.ManifestJSON || a.shape.Repositories)
}

func (u dockerArchive) read(a *Archive) error {
	a.lookup = ociPaths
	if a.shape.ManifestJSON {
		return u.readManifestJSON(a, false)
	}
	return u.readLegacy(a)
}

// holds: one manifest per image, or, for several sources or every platform,
// the hybrid docker 25+ writes (an OCI layout with docker's manifest.json).
func (dockerArchive) holds(o Options, from []Layout) holding {
	h := holding{oneManifest: len(from) == 1, named: true, tagsOnly: true, holder: dockerHolder, loadersName: true, dockerLoads: true}
	switch {
	case len(from) > 1:
		h.hybridNotice = "a bundle of several sources is written as docker 25+ writes an archive: an OCI layout with a docker manifest.json entry per image, which docker, containerd and podman all load"
	case o.AllPlatforms:
		h.hybridNotice = "--all-platforms: the docker-archive is written as docker 25+ writes one, an OCI layout with index.json and a docker manifest.json for the host platform"
	default:
		return h
	}
	h.filtersIndex, h.ociFamily, h.storesManifests, h.dockerManifest, h.referrers = true, true, true, true, true
	return h
}

// owns nothing: a docker-archive is one file.
func (dockerArchive) owns(string, bool) bool { return false }

func (u dockerArchive) write(w layoutWrite) error {
	if !w.hold.dockerManifest {
		return writeDockerArchive(w.plan, w.images)
	}
	w.plan.Warnings = append(w.plan.Warnings, w.hold.hybridNotice)
	return writeOCI(w)
}
