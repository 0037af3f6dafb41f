package convert

import (
	"fmt"
	"path"
	"sort"
	"strings"

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

// dockerHolder is what a docker-archive is called where it takes one
// manifest per image.
const dockerHolder = "a docker-archive"

// dockerPick is how docker takes one manifest of an image, as a
// docker-archive holds it: the image Inspect describes, as skopeo inspect
// does.
func dockerPick(platforms []ocispec.Platform, host ocispec.Platform) manifestPick {
	return manifestPick{platforms: platforms, host: host, holder: dockerHolder}
}

// manifestEntries is docker's manifest.json: an entry per image.
type manifestEntries []dockerEntry

func (manifestEntries) shape() string     { return "an array of images" }
func (manifestEntries) keysAreData() bool { return false }

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
	_, data, err := a.readFile("manifest.json", maxListSize)
	if err != nil {
		return err
	}
	var entries manifestEntries
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
	cb, cdata, err := a.readFile(cfgPath, maxConfigSize)
	if err != nil {
		return nil, nil, err
	}
	if cb == nil {
		return nil, nil, a.errorf(cfgPath, "config of %s is not in the archive", what)
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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
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
