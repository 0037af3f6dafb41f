package convert

import (
	"archive/tar"
	"encoding/json"
	"io"
	"slices"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// Docker's layout before 1.10: a repositories file and a v1 directory per layer
// (VERSION, json, layer.tar), chained by parent. Read as a docker-archive of
// that age; written beside every docker manifest.json for the loaders that
// still read only it.

// A layer's json is read for a few fields of a free-form object whose keys
// are data: only an exact duplicate is one.
func (v1JSON) shape() string     { return "an object" }
func (v1JSON) keysAreData() bool { return true }

// repositoriesFile is docker's repositories: tags by repository, each
// naming its top layer's id.
type repositoriesFile map[string]map[string]string

func (repositoriesFile) shape() string     { return "an object of repositories" }
func (repositoriesFile) keysAreData() bool { return true }

// readLegacy reads the pre-1.10 shape: repositories and v1 layer directories
// chained by "parent", with no manifest.json. The image config is rebuilt from
// the top layer's json when its layers have been hashed.
func (dockerArchive) readLegacy(a *Archive) error {
	_, data, err := a.readFile("repositories", maxListSize)
	if err != nil {
		return err
	}
	var repos repositoriesFile
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
		jb, data, err := a.readFile(id+"/json", maxConfigSize)
		if err != nil {
			return nil, err
		}
		if jb == nil {
			return nil, a.errorf(id+"/json", "not in the archive")
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
