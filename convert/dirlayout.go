package convert

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// dirLayout is containers/image's dir: layout: version, manifest.json (the
// manifest's own bytes) and blobs named by bare hex; a list (skopeo copy
// --all) is manifest.json with its manifests as "<hex>.manifest.json". It
// holds one image and no names.
type dirLayout struct{}

// dirVersion is the version file containers/image writes in a dir: layout.
const dirVersion = "Directory Transport Version: 1.1\n"

func (dirLayout) detects(a *Archive) bool { return !a.shape.IndexJSON && a.shape.ManifestJSON }

// dirPaths names a blob in a dir: layout: by bare hex (before 2018, "<hex>.tar");
// the manifests of a list as "<hex>.manifest.json".
func dirPaths(d digest.Digest, manifest bool) []string {
	if manifest {
		return []string{d.Encoded() + ".manifest.json", d.Encoded()}
	}
	return []string{d.Encoded(), d.Encoded() + ".tar"}
}

func (dirLayout) holds(o Options, _ []Layout) holding {
	return holding{oneManifest: true, oneImage: true, holder: "a dir: layout", filtersIndex: o.AllPlatforms, storesManifests: true}
}

func (dirLayout) write(w layoutWrite) error { return writeDir(w.plan, w.images[0]) }

// dirEntry is a file containers/image keeps in a dir: layout: version,
// manifest.json, signatures, and blobs, list manifests and their signatures
// by bare hex (blobs of before 2018 as "<hex>.tar").
var dirEntry = regexp.MustCompile(`^(version|manifest\.json|signature-[0-9]+|([0-9a-f]{64}|[0-9a-f]{96}|[0-9a-f]{128})(\.tar|\.manifest\.json|\.signature-[0-9]+)?)$`)

// owns the files dirEntry names, at the top; no directory.
func (dirLayout) owns(rel string, isDir bool) bool { return !isDir && dirEntry.MatchString(rel) }

// readDir reads a dir: layout: one image, no names.
func (dirLayout) read(a *Archive) error {
	a.lookup = dirPaths
	b, data, err := a.readFile("manifest.json", MaxManifestSize)
	if err != nil {
		return err
	}
	if b == nil {
		return a.errorf("manifest.json", "not in the layout")
	}
	if v, vd, err := a.readFile("version", 1024); err != nil {
		return err
	} else if v != nil && string(vd) != dirVersion && string(vd) != "Directory Transport Version: 1.0\n" {
		a.warnf("version: unknown dir layout version %q", string(vd))
	}
	var probe manifestProbe
	if err := a.jsonDecode("manifest.json", data, &probe); err != nil {
		return err
	}
	mt := probe.MediaType
	if mt == "" { // OCI manifests may omit it; the config's type tells the family
		mt = ocispec.MediaTypeImageManifest
		if probe.Manifests != nil {
			mt = ocispec.MediaTypeImageIndex
		} else if probe.Config != nil && probe.Config.MediaType == MediaTypeDockerConfig {
			mt = MediaTypeDockerManifest
		}
	}
	a.blobs[b.Digest] = b
	n, err := a.node(ocispec.Descriptor{MediaType: mt, Digest: b.Digest, Size: b.Size}, "manifest.json", 0)
	if err != nil {
		return err
	}
	a.Images = append(a.Images, imageOf(n))
	return nil
}

// dirEntries lays out a containers/image dir: version, manifest.json (the
// manifest's bytes, unchanged where they need not change), blobs by hex. An
// index (--all-platforms) is manifest.json and its manifests are
// "<hex>.manifest.json", as skopeo copy --all writes them.
func writeDir(p *Plan, o outImage) error {
	p.addData("version", []byte(dirVersion))
	p.addBlob("manifest.json", o.root.Blob)
	var manifests []*Node
	if o.root.Index != nil {
		for _, c := range o.root.Children {
			switch {
			case c.Index != nil:
				return fmt.Errorf("%s: a dir: layout holds one level of index, and %s nests %s%.0w", o.src.Source, o.root.Desc.Digest, c.Desc.Digest, ErrUsage)
			case c.Blob == nil:
				p.warnf("%s (%s) is not in the source; the index still lists it", c.Desc.Digest, PlatformString(c.Desc.Platform))
			default:
				manifests = append(manifests, c)
			}
		}
	}
	seen := map[digest.Digest]bool{}
	manifests = slices.DeleteFunc(manifests, func(m *Node) bool { // listed twice, written once
		dup := seen[m.Desc.Digest]
		seen[m.Desc.Digest] = true
		return dup
	})
	for _, m := range manifests {
		if m.Desc.Digest.Algorithm() != digest.SHA256 {
			return fmt.Errorf("%s: a dir: layout names blobs by sha256 only%.0w", m.Desc.Digest, ErrUsage)
		}
		p.addBlob(m.Desc.Digest.Encoded()+".manifest.json", m.Blob)
	}
	var below []*Node
	if o.root.Index == nil {
		below = o.root.Children
	}
	for _, m := range manifests {
		below = append(below, m.Children...)
	}
	for _, b := range collect([]outImage{{root: &Node{Children: below}}}) {
		if b.Digest.Algorithm() != digest.SHA256 {
			return fmt.Errorf("%s: a dir: layout names blobs by sha256 only%.0w", b.Digest, ErrUsage)
		}
		p.addBlob(b.Digest.Encoded(), b)
	}
	return nil
}
