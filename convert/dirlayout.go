package convert

import (
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// DirVersion is the version file containers/image writes in a dir: layout.
const DirVersion = "Directory Transport Version: 1.1\n"

// dirPaths names a blob in a dir: layout: by bare hex (before 2018, "<hex>.tar");
// the manifests of a list as "<hex>.manifest.json".
func dirPaths(d digest.Digest, manifest bool) []string {
	if manifest {
		return []string{d.Encoded() + ".manifest.json", d.Encoded()}
	}
	return []string{d.Encoded(), d.Encoded() + ".tar"}
}

// readDir reads a dir: layout: one image, no names.
func (a *Archive) readDir() error {
	b, err := a.file("manifest.json")
	if err != nil {
		return err
	}
	data, err := a.readMeta(b, MaxManifestSize)
	if err != nil {
		return err
	}
	if v, err := a.file("version"); err != nil {
		return err
	} else if v != nil {
		vd, err := a.readMeta(v, 1024)
		if err != nil {
			return err
		}
		if string(vd) != DirVersion && string(vd) != "Directory Transport Version: 1.0\n" {
			a.warnf("version: unknown dir layout version %q", string(vd))
		}
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
	a.Images = append(a.Images, &Image{Root: n})
	return nil
}
