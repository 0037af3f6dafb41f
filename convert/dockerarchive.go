package convert

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/retar-dev/retar/tarfs"
)

// dockerArchive is docker's archive: docker save and load, and skopeo's and
// podman's docker-archive. manifest.json lists each image's config file,
// RepoTags and layer files; repositories and v1 directories (VERSION, json,
// layer.tar) serve loaders before docker 1.10, and the pre-1.10 shape has
// nothing else. It stores no manifest: reading derives a Docker v2s2 one
// from the config and the layers once they are hashed.
type dockerArchive struct{}

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
	h := holding{oneManifest: len(from) == 1, named: true, holder: dockerHolder, loadersName: true, dockerLoads: true}
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

// dockerHolder is what a docker-archive is called where it takes one
// manifest per image.
const dockerHolder = "a docker-archive"

// dockerPick is how docker takes one manifest of an image, as a
// docker-archive holds it: the image Inspect describes, as skopeo inspect
// does.
func dockerPick(platforms []ocispec.Platform, host ocispec.Platform) manifestPick {
	return manifestPick{platforms: platforms, host: host, holder: dockerHolder}
}

func (u dockerArchive) write(w layoutWrite) error {
	if !w.hold.dockerManifest {
		return writeDockerArchive(w.plan, w.images)
	}
	w.plan.Warnings = append(w.plan.Warnings, w.hold.hybridNotice)
	return writeOCI(w)
}

// dockerEntry is one image of a docker manifest.json. encoding/json matches
// keys case-insensitively, as docker does, so Jib's lowercase keys read too.
type dockerEntry struct {
	Config       string
	RepoTags     []string
	Layers       []string
	Parent       string                               `json:",omitempty"`
	LayerSources map[digest.Digest]ocispec.Descriptor `json:",omitempty"`
}

// readManifestJSON reads manifest.json. In a hybrid (an OCI layout with a
// docker manifest.json beside it) the OCI graph is already read: entries add
// their RepoTags to the OCI image with the same config and become images of
// their own only when none matches.
func (dockerArchive) readManifestJSON(a *Archive, hybrid bool) error {
	b, err := a.file("manifest.json")
	if err != nil {
		return err
	}
	data, err := a.readMeta(b, maxListSize)
	if err != nil {
		return err
	}
	var entries []dockerEntry
	if err := a.jsonDecode("manifest.json", data, &entries); err != nil {
		return err
	}
	if entries == nil && !hybrid {
		return a.errorf("manifest.json", "is null: it lists no image")
	}
	byConfig := indexByConfig(a.Images)
	for i, e := range entries {
		what := fmt.Sprintf("entry %d", i)
		cb, cdata, err := a.entryConfig(e, what)
		if err != nil {
			return err
		}
		names, raw := a.readRepoTags(e, what)
		if hybrid {
			if img := byConfig.find(cb.Digest, e.Layers); img != nil {
				img.InDockerManifest = true
				img.RawTags = append(img.RawTags, raw...)
				img.Names = append(img.Names, names...)
				img.RepoTags = append(img.RepoTags, names...)
				continue
			}
		}
		di, err := a.entryImage(e, what, cb, cdata)
		if err != nil {
			return err
		}
		a.Images = append(a.Images, &Image{Names: names, RepoTags: names, RawTags: raw, docker: di, InDockerManifest: true})
	}
	return nil
}

// entryConfig reads a manifest.json entry's config file, with a notice when
// its name claims another digest.
func (a *Archive) entryConfig(e dockerEntry, what string) (*Blob, []byte, error) {
	cfgPath, ok := tarfs.Clean(e.Config)
	if !ok || cfgPath == "." {
		return nil, nil, a.errorf("manifest.json", "%s: Config path %q is not a file inside the archive", what, e.Config)
	}
	cb, err := a.file(cfgPath)
	if err != nil {
		return nil, nil, err
	}
	if cb == nil {
		return nil, nil, a.errorf(cfgPath, "config of %s is not in the archive", what)
	}
	cdata, err := a.readMeta(cb, maxConfigSize)
	if err != nil {
		return nil, nil, err
	}
	if implied := impliedDigest(cfgPath); implied != "" && implied != cb.Digest {
		// docker load takes the image ID from the content, so such archives
		// (hand-edited configs) load; verify still fails on them.
		a.mismatch(&DigestError{Source: a.Source, Blob: cfgPath, Want: implied, Got: cb.Digest})
	}
	return cb, cdata, nil
}

// readRepoTags reads an entry's RepoTags, leaving out (with a notice) what is
// not a name, and keeping each as written for loaders that read it so.
func (a *Archive) readRepoTags(e dockerEntry, what string) (names []Name, raw []string) {
	for _, t := range e.RepoTags {
		n, err := ParseName(t)
		if err != nil {
			a.warnf("%s: RepoTag %q is not a valid name; left out", what, t)
			continue
		}
		names = append(names, n)
		raw = append(raw, t)
	}
	return names, raw
}

// entryImage reads the image a manifest.json entry describes: its config and
// its layer files, and the foreign layers LayerSources describes.
func (a *Archive) entryImage(e dockerEntry, what string, cb *Blob, cdata []byte) (*dockerImage, error) {
	cfg, err := parseConfig(cdata)
	if err != nil {
		return nil, a.errorf(cb.Path, "invalid image config: %v", err)
	}
	for id, d := range e.LayerSources {
		if err := validDigest(id); err != nil {
			return nil, a.errorf("manifest.json", "%s: LayerSources key: %v", what, err)
		}
		if err := validDescriptor(d); err != nil {
			return nil, a.errorf("manifest.json", "%s: LayerSources[%s]: %v", what, id, err)
		}
	}
	ids := cfg.RootFS.DiffIDs
	if len(ids) != len(e.Layers) {
		return nil, a.errorf("manifest.json", "%s lists %d layers, its config %d diff_ids", what, len(e.Layers), len(ids))
	}
	di := &dockerImage{what: what, config: cb, cfg: cfg, foreign: map[int]ocispec.Descriptor{}}
	for j, lp := range e.Layers {
		p, ok := tarfs.Clean(lp)
		if !ok || p == "." {
			return nil, a.errorf("manifest.json", "%s: layer path %q is not a file inside the archive", what, lp)
		}
		lb, err := a.cachedFile(p)
		if err != nil {
			return nil, err
		}
		d, foreign := e.LayerSources[ids[j]]
		foreign = foreign && isForeign(d)
		if foreign {
			di.foreign[j] = d // absent, or checked against the file once it is hashed
		}
		if lb == nil && !foreign {
			return nil, a.errorf(p, "layer %d of %s is not in the archive", j, what)
		}
		if lb != nil {
			lb.diffID = ids[j]
		}
		di.layers = append(di.layers, lb)
	}
	return di, nil
}

// configIndex finds the OCI image a docker manifest.json entry describes,
// by its config: each image is walked once, so a hybrid of many images is
// read in linear time.
type configIndex struct {
	roots, below map[digest.Digest][]manifestOf
}

type manifestOf struct {
	img *Image
	m   *Node
}

func indexByConfig(images []*Image) configIndex {
	ix := configIndex{roots: map[digest.Digest][]manifestOf{}, below: map[digest.Digest][]manifestOf{}}
	for _, img := range images {
		if c := img.root.config(); c != nil {
			ix.roots[c.Desc.Digest] = append(ix.roots[c.Desc.Digest], manifestOf{img, img.root})
			continue
		}
		_ = img.root.walk(func(n *Node) error {
			if c := n.config(); c != nil {
				ix.below[c.Desc.Digest] = append(ix.below[c.Desc.Digest], manifestOf{img, n})
			}
			return nil
		})
	}
	return ix
}

// find returns the image whose manifest has the entry's config and layers,
// preferring an image whose root is that manifest over an index that lists it.
func (ix configIndex) find(cfg digest.Digest, layers []string) *Image {
	matches := func(n *Node) bool {
		if len(n.layers()) != len(layers) {
			return false
		}
		for i, l := range n.layers() {
			if d := impliedDigest(layers[i]); d != "" && d != l.Desc.Digest {
				return false
			}
		}
		return true
	}
	for _, set := range [][]manifestOf{ix.roots[cfg], ix.below[cfg]} {
		for _, c := range set {
			if matches(c.m) {
				return c.img
			}
		}
	}
	return nil
}

// impliedDigest is the digest a file's name claims: "<hex>.json" (docker save),
// "sha256:<hex>" (ggcr), "blobs/sha256/<hex>" (hybrids); "" when it claims none.
func impliedDigest(p string) digest.Digest {
	base := path.Base(p)
	var hex string
	switch {
	case path.Dir(p) == "blobs/sha256":
		hex = base
	case strings.HasPrefix(base, "sha256:"):
		hex = strings.TrimPrefix(base, "sha256:")
	case strings.HasSuffix(base, ".json"):
		hex = strings.TrimSuffix(base, ".json")
	}
	d := digest.NewDigestFromEncoded(digest.SHA256, hex)
	if d.Validate() != nil {
		return ""
	}
	return d
}

// v1JSON is what retar reads of a legacy layer's json.
type v1JSON struct {
	ID              string `json:"id"`
	Parent          string `json:"parent"`
	Created         string `json:"created"`
	Author          string `json:"author"`
	Comment         string `json:"comment"`
	ThrowAway       bool   `json:"throwaway"`
	ContainerConfig struct {
		Cmd []string
	} `json:"container_config"`
}

// maxLegacyChain bounds a v1 parent chain; docker's own limit on layers is 127.
const maxLegacyChain = 1000

// readLegacy reads the pre-1.10 shape: repositories and v1 layer directories
// chained by "parent", with no manifest.json. The image config is rebuilt from
// the top layer's json when its layers have been hashed.
func (dockerArchive) readLegacy(a *Archive) error {
	b, err := a.file("repositories")
	if err != nil {
		return err
	}
	data, err := a.readMeta(b, maxListSize)
	if err != nil {
		return err
	}
	var repos map[string]map[string]string
	if err := a.jsonDecode("repositories", data, &repos); err != nil {
		return err
	}
	byID := map[string]*Image{}
	for _, repo := range sortedKeys(repos) {
		for _, tag := range sortedKeys(repos[repo]) {
			id := repos[repo][tag]
			img := byID[id]
			if img == nil {
				var err error
				if img, err = a.legacyImage(id); err != nil {
					return err
				}
				byID[id] = img
				a.Images = append(a.Images, img)
			}
			if n, err := ParseName(repo + ":" + tag); err == nil {
				img.Names = append(img.Names, n)
				img.RepoTags = append(img.RepoTags, n)
			} else {
				a.warnf("repositories: %s:%s is not a valid name; left out", repo, tag)
			}
		}
	}
	return nil
}

func (a *Archive) legacyImage(top string) (*Image, error) {
	di := &dockerImage{what: "repositories image " + top}
	seen := map[string]bool{}
	for id := top; id != ""; {
		if !isHex64(id) {
			return nil, a.errorf("repositories", "invalid layer id %q", id)
		}
		if seen[id] || len(seen) >= maxLegacyChain {
			return nil, a.errorf(id+"/json", "parent chain loops or is longer than %d", maxLegacyChain)
		}
		seen[id] = true
		jb, err := a.file(id + "/json")
		if err != nil {
			return nil, err
		}
		if jb == nil {
			return nil, a.errorf(id+"/json", "not in the archive")
		}
		data, err := a.readMeta(jb, maxConfigSize)
		if err != nil {
			return nil, err
		}
		var v v1JSON
		if err := a.jsonDecode(jb.Path, data, &v); err != nil {
			return nil, err
		}
		lb, err := a.cachedFile(id + "/layer.tar")
		if err != nil {
			return nil, err
		}
		if lb == nil {
			return nil, a.errorf(id+"/layer.tar", "not in the archive")
		}
		lb.learnDiff = true // an uncompressed layer is its own diff; else it is decompressed
		di.legacy = append(di.legacy, data)
		di.throwaway = append(di.throwaway, false)
		di.layers = append(di.layers, lb)
		id = v.Parent
	}
	// The chain was read from the top layer down; the image is base first.
	slices.Reverse(di.legacy)
	slices.Reverse(di.layers)
	di.cfg, _ = parseConfig(di.legacy[len(di.legacy)-1]) // its platform, until the config is built
	return &Image{docker: di}, nil
}

func isHex64(s string) bool {
	return digest.NewDigestFromEncoded(digest.SHA256, s).Validate() == nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

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

// dockerManifest is a docker manifest.json being built: an entry per image,
// an image two index entries list loaded once with the names of both.
type dockerManifest struct {
	list  []dockerEntry
	byKey map[string]int          // config and layers -> entry
	tags  map[int]map[string]bool // tags each entry has
}

func (d *dockerManifest) add(e dockerEntry) {
	if d.byKey == nil {
		d.byKey, d.tags = map[string]int{}, map[int]map[string]bool{}
	}
	key := e.Config + "\n" + strings.Join(e.Layers, "\n")
	i, ok := d.byKey[key]
	if !ok {
		i = len(d.list)
		d.byKey[key] = i
		d.tags[i] = map[string]bool{}
		d.list = append(d.list, dockerEntry{Config: e.Config, RepoTags: []string{}, Layers: e.Layers, LayerSources: e.LayerSources})
	}
	for _, t := range e.RepoTags {
		if !d.tags[i][t] {
			d.tags[i][t] = true
			d.list[i].RepoTags = append(d.list[i].RepoTags, t)
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

// legacyDirs are what loaders before docker 1.10 read: a v1 directory per
// layer (VERSION, json, layer.tar linking to the layer file) and a
// repositories file naming each image's top layer.
type legacyDirs struct {
	repos map[string]map[string]string
	dirs  map[string]v1dir
}

type v1dir struct{ json, layer string }

func newLegacyDirs() *legacyDirs {
	return &legacyDirs{repos: map[string]map[string]string{}, dirs: map[string]v1dir{}}
}

// add records an image manifest's layers, whose files in the archive are
// layerFiles, and its tagged names.
func (l *legacyDirs) add(m *Node, names []Name, layerFiles []string) {
	cfg := m.config()
	parent := ""
	layers := m.layers()
	for j := range layers {
		top := j == len(layers)-1
		id := v1ID(parent, cfg.Config.RootFS.DiffIDs[j], cfg.Desc.Digest, top)
		l.dirs[id] = v1dir{json: string(v1LayerJSON(id, parent, cfg.Blob, top)), layer: layerFiles[j]}
		parent = id
	}
	for _, n := range names {
		if t, ok := n.Ref.(reference.NamedTagged); ok && n.RepoTag() != "" && parent != "" {
			if l.repos[t.Name()] == nil {
				l.repos[t.Name()] = map[string]string{}
			}
			l.repos[t.Name()][t.Tag()] = parent
		}
	}
}

func (l *legacyDirs) addRepositories(p *Plan) {
	if len(l.repos) > 0 {
		p.addData("repositories", marshal(l.repos))
	}
}

func (l *legacyDirs) addDirs(p *Plan) {
	for _, id := range sortedKeys(l.dirs) {
		d := l.dirs[id]
		p.addDir(id)
		p.addData(id+"/VERSION", []byte("1.0"))
		p.addData(id+"/json", []byte(d.json))
		p.Entries = append(p.Entries, Entry{Name: id + "/layer.tar", Type: tar.TypeSymlink, Linkname: "../" + d.layer})
	}
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

// v1ID names a legacy layer directory: a hash of its parent's id and its
// diff_id, and for the top layer the config digest, so ids are stable.
func v1ID(parent string, diffID, config digest.Digest, top bool) string {
	s := parent + " " + diffID.String()
	if top {
		s += " " + config.String()
	}
	return digest.FromString(s).Encoded()
}

// v1LayerJSON is a legacy layer's json: id and parent, and for the top layer
// the image config without rootfs and history, as docker wrote them.
func v1LayerJSON(id, parent string, cfg *Blob, top bool) []byte {
	m := map[string]json.RawMessage{}
	if top && cfg.data != nil {
		_ = json.Unmarshal(cfg.data, &m)
	} else if top {
		if f, err := cfg.open(); err == nil {
			_ = json.NewDecoder(io.LimitReader(f, maxConfigSize)).Decode(&m)
			f.Close()
		}
	}
	delete(m, "rootfs")
	delete(m, "history")
	m["id"] = marshal(id)
	if parent != "" {
		m["parent"] = marshal(parent)
	}
	if _, ok := m["created"]; !ok {
		m["created"] = marshal("1970-01-01T00:00:00Z")
	}
	return marshal(m)
}
