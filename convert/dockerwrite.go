package convert

import (
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Docker's manifest.json as retar writes it: the whole of a docker-archive, or
// beside an OCI layout (the hybrid docker 25+ writes) pointing into its blobs.

// warnZstd says which loaders cannot read zstd layers (docker gained them in
// 23.0, moby #41759; docker 20.10 fails with "unexpected EOF", measured here).
func (p *Plan) warnZstd(m *Node) {
	for _, l := range m.layers() {
		if c, ok := compressionOf(l.Desc.MediaType); ok && c == Zstd {
			p.warnf("image %s has zstd layers: docker load before 23.0 cannot read them (containerd 1.5+ and podman can)", m.config().Desc.Digest)
			return
		}
	}
}

func (p *Plan) warnRepoTags(names []Name) {
	for _, n := range names {
		if n.RepoTag() == "" {
			p.warnf("%q cannot be a docker RepoTag (a tagged docker reference): docker's manifest.json leaves it out", n.String())
		}
	}
}

// dockerManifestEntry is a manifest.json entry for an image manifest whose
// config and layers the archive holds at the paths name gives.
func dockerManifestEntry(m *Node, names []Name, name func(n *Node, config bool) string) dockerEntry {
	e := dockerEntry{Config: name(m.config(), true), RepoTags: repoTags(names), Layers: []string{}}
	for _, l := range m.layers() {
		e.Layers = append(e.Layers, name(l, false))
	}
	return e
}

// dockerFileName names a node where a docker-archive keeps it: the config
// "<hex>.json", a layer "<hex>.tar" with its compression's extension.
func dockerFileName(n *Node, config bool) string {
	if config {
		return n.Desc.Digest.Encoded() + ".json"
	}
	return n.Desc.Digest.Encoded() + layerExt(n)
}

func repoTags(names []Name) []string {
	tags := []string{}
	for _, n := range names {
		if t := n.RepoTag(); t != "" {
			tags = append(tags, t)
		}
	}
	return tags
}

// writeDockerArchive lays out a docker-archive as skopeo and docker ≤ 24 do:
// config "<hex>.json", layers as they are ("<digest hex>.tar", ".tar.gz",
// ".tar.zst"), manifest.json, and for old loaders "repositories" and v1 layer
// directories whose layer.tar links to the layer file.
func writeDockerArchive(p *Plan, out []outImage) error {
	var entries dockerManifest
	legacy := newLegacyDirs()
	files := map[string]*Blob{}
	for _, o := range out {
		m := o.root
		cfg := m.config()
		p.warnZstd(m)
		e := dockerManifestEntry(m, o.names, dockerFileName)
		p.warnRepoTags(o.names)
		files[e.Config] = cfg.Blob
		for j, l := range m.layers() {
			if isForeign(l.Desc) {
				// docker keys LayerSources by diff_id; the file may be absent.
				if e.LayerSources == nil {
					e.LayerSources = map[digest.Digest]ocispec.Descriptor{}
				}
				e.LayerSources[cfg.Config.RootFS.DiffIDs[j]] = l.Desc
			}
			if l.Blob != nil {
				files[e.Layers[j]] = l.Blob
			}
		}
		legacy.add(m, o.names, e.Layers)
		entries.add(e)
	}
	p.addData("manifest.json", marshal(entries.list))
	legacy.addRepositories(p)
	for _, name := range sortedKeys(files) {
		p.addBlob(name, files[name])
	}
	legacy.addDirs(p)
	return nil
}

func layerExt(l *Node) string {
	c, _ := compressionOf(l.Desc.MediaType)
	if l.Blob != nil {
		// the bytes name it; a blob still to be hashed as it is written
		// (Options.VerifyAsWritten) has only its first bytes read so far
		if sniffed, err := l.Blob.sniff(); err == nil {
			c = sniffed
		}
	}
	switch c {
	case Gzip:
		return ".tar.gz"
	case Zstd:
		return ".tar.zst"
	}
	return ".tar"
}

// dockerManifestOf adds the hybrid's docker manifest.json (and repositories),
// an entry per image docker can load: the manifest docker's manifest.json
// takes from each image, its config and layers all present.
func dockerManifestOf(w layoutWrite, legacy *legacyDirs) {
	p := w.plan
	var entries dockerManifest
	for _, o := range w.images {
		var ws []string
		m, err := o.src.pickManifest(o.root, w.pick, &ws)
		if err != nil || !complete(m) {
			reason := "its config or layers are not in the source"
			if err != nil {
				reason = err.Error()
			}
			p.warnf("%s: no docker manifest.json entry (%s): docker load will not see it", o.root.Desc.Digest, reason)
			continue
		}
		p.Warnings = append(p.Warnings, ws...)
		p.warnZstd(m)
		p.warnRepoTags(o.names)
		e := dockerManifestEntry(m, o.names, func(n *Node, _ bool) string { return blobPath(n.Desc.Digest) })
		legacy.add(m, o.names, e.Layers)
		entries.add(e)
	}
	if len(entries.list) > 0 {
		p.addData("manifest.json", marshal(entries.list))
	}
	legacy.addRepositories(p)
}

// complete reports whether a manifest's config and layers are all present.
func complete(m *Node) bool {
	for _, c := range m.Children {
		if c.Blob == nil {
			return false
		}
	}
	return true
}
