package imagetest

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Images are several images in one archive (a bundle), in the layouts that
// hold more than one: blobs they share are stored once.
type Images []Image

// DockerLayerPath is where DockerArchive and Legacy store layer i of the
// (first) image: <v1 id>/layer.tar.
func (img Image) DockerLayerPath(i int) string { return v1ID(0, i) + "/layer.tar" }

// DockerConfigPath is where DockerArchive stores the config: <hex>.json.
func (img Image) DockerConfigPath() string { return digest.FromBytes(img.Config).Encoded() + ".json" }

// DockerArchive lays the image out as docker save (≤ 24) does.
func (img Image) DockerArchive(t testing.TB) Members {
	t.Helper()
	return Images{img}.DockerArchive(t)
}

// Legacy lays the image out as docker save did before 1.10.
func (img Image) Legacy(t testing.TB) Members {
	t.Helper()
	return Images{img}.Legacy(t)
}

// OCIArchive lays the image out as an oci-archive (skopeo's shape).
func (img Image) OCIArchive(t testing.TB) Members {
	t.Helper()
	return Images{img}.OCIArchive(t)
}

// OCILayout is the image's OCI layout directory: OCIArchive's members,
// which Members.WriteDir writes as files.
func (img Image) OCILayout(t testing.TB) Members {
	t.Helper()
	return Images{img}.OCILayout(t)
}

// Hybrid lays the image out as docker save (≥ 25) does: an oci-archive
// with a docker manifest.json pointing into its blobs.
func (img Image) Hybrid(t testing.TB) Members {
	t.Helper()
	return Images{img}.Hybrid(t)
}

// Dir lays the image out as containers/image's dir: layout (skopeo copy
// dir:): version, manifest.json, and blobs named by their bare hex; a
// multi-platform image (skopeo copy --all) has its index as manifest.json
// and each platform's manifest as <hex>.manifest.json. It holds no names.
func (img Image) Dir(t testing.TB) Members {
	t.Helper()
	ms := Members{
		{Name: "version", Body: []byte("Directory Transport Version: 1.1\n")},
		{Name: "manifest.json", Body: img.Manifest(t)},
	}
	seen := map[string]bool{}
	for _, b := range img.blobs(t) {
		name := digest.FromBytes(b.data).Encoded()
		if b.manifest {
			name += ".manifest.json"
		}
		if !seen[name] {
			seen[name] = true
			ms = append(ms, Member{Name: name, Body: b.data})
		}
	}
	return ms
}

// DockerArchive lays the images out as docker save (≤ 24) does: for each
// layer a v1 directory (VERSION, json, layer.tar), "<config hex>.json",
// manifest.json (an entry per image, its Names as RepoTags) and, when the
// images have names, repositories. Layers are stored as LayerBlob gives
// them. A docker-archive holds one platform: a multi-platform image fails
// the test (take one of its Platforms).
func (imgs Images) DockerArchive(t testing.TB) Members {
	t.Helper()
	ms := imgs.v1Dirs(t, false)
	var manifest []map[string]any
	seen := map[string]bool{}
	var configs Members
	for k, img := range imgs {
		var layers []string
		for i := range img.Layers {
			layers = append(layers, v1ID(k, i)+"/layer.tar")
		}
		manifest = append(manifest, map[string]any{"Config": img.DockerConfigPath(), "RepoTags": img.Names, "Layers": layers})
		if !seen[img.DockerConfigPath()] {
			seen[img.DockerConfigPath()] = true
			configs = append(configs, Member{Name: img.DockerConfigPath(), Body: img.Config})
		}
	}
	ms = append(ms, configs...)
	ms = append(ms, Member{Name: "manifest.json", Body: JSON(t, manifest)})
	return append(ms, imgs.repositories(t)...)
}

// Legacy lays the images out as docker save did before 1.10: v1 directories
// whose top layer's json holds the config (less rootfs and history), chained
// by parent, and repositories naming each image's top layer; no config file
// and no manifest.json. Layers must be uncompressed for docker (and retar)
// to know their diff_ids.
func (imgs Images) Legacy(t testing.TB) Members {
	t.Helper()
	return append(imgs.v1Dirs(t, true), imgs.repositories(t)...)
}

// v1Dirs are the legacy layer directories of docker save; with config,
// each top layer's json carries its image's config, as before docker 1.10.
func (imgs Images) v1Dirs(t testing.TB, config bool) Members {
	t.Helper()
	var ms Members
	for k, img := range imgs {
		if img.IsIndex() {
			t.Fatal("imagetest: a docker-archive holds one platform of a multi-platform image: take one of its Platforms")
		}
		parent := ""
		for i := range img.Layers {
			id := v1ID(k, i)
			v1 := map[string]any{"id": id}
			if config && i == len(img.Layers)-1 {
				if err := json.Unmarshal(img.Config, &v1); err != nil {
					t.Fatalf("imagetest: a legacy archive's config: %v", err)
				}
				delete(v1, "rootfs")
				delete(v1, "history")
				v1["id"] = id
			}
			if parent != "" {
				v1["parent"] = parent
			}
			ms = append(ms,
				Member{Name: id + "/", Type: tar.TypeDir},
				Member{Name: id + "/VERSION", Body: []byte("1.0")},
				Member{Name: id + "/json", Body: JSON(t, v1)},
				Member{Name: id + "/layer.tar", Body: img.LayerBlob(t, i)})
			parent = id
		}
	}
	return ms
}

// v1ID names the legacy directory of layer i of image k; the first image's
// ids do not depend on its content, so tests can name them.
func v1ID(k, i int) string {
	if k == 0 {
		return digest.FromString(fmt.Sprint("v1 layer ", i)).Encoded()
	}
	return digest.FromString(fmt.Sprintf("v1 layer %d of image %d", i, k)).Encoded()
}

// repositories is docker save's repositories member: repository, tag, and
// the id of the image's top layer; none when no image has a tagged name.
func (imgs Images) repositories(t testing.TB) Members {
	t.Helper()
	repos := map[string]map[string]string{}
	for k, img := range imgs {
		if len(img.Layers) == 0 {
			continue
		}
		for _, n := range img.Names {
			repo, tag, ok := splitTag(n)
			if !ok {
				continue
			}
			if repos[repo] == nil {
				repos[repo] = map[string]string{}
			}
			repos[repo][tag] = v1ID(k, len(img.Layers)-1)
		}
	}
	if len(repos) == 0 {
		return nil
	}
	return Members{{Name: "repositories", Body: JSON(t, repos)}}
}

// splitTag splits repo:tag; a name by digest has no tag.
func splitTag(name string) (repo, tag string, ok bool) {
	if strings.Contains(name, "@") {
		return "", "", false
	}
	i := strings.LastIndex(name, ":")
	if i < 0 || strings.Contains(name[i:], "/") {
		return name, "latest", true
	}
	return name[:i], name[i+1:], true
}

// OCIArchive lays the images out as an oci-archive (skopeo's shape):
// oci-layout, index.json (an entry per name of each image, one without a
// name for an unnamed image), the blobs/ directories and the blobs, each
// root first, then the config and layers below it, each blob once.
func (imgs Images) OCIArchive(t testing.TB) Members {
	t.Helper()
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex}
	idx.SchemaVersion = 2
	for _, img := range imgs {
		d := Descriptor(img.MediaType(), img.Manifest(t))
		if len(img.Names) == 0 {
			idx.Manifests = append(idx.Manifests, d)
		}
		for _, n := range img.Names {
			d.Annotations = map[string]string{ocispec.AnnotationRefName: n}
			idx.Manifests = append(idx.Manifests, d)
		}
	}
	ms := Members{
		{Name: "oci-layout", Body: []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{Name: "index.json", Body: JSON(t, idx)},
		{Name: "blobs/", Type: tar.TypeDir},
		{Name: "blobs/sha256/", Type: tar.TypeDir},
	}
	seen := map[string]bool{}
	for _, img := range imgs {
		for _, b := range append([]blob{{data: img.Manifest(t)}}, img.blobs(t)...) {
			if m := Blob(b.data); !seen[m.Name] {
				seen[m.Name] = true
				ms = append(ms, m)
			}
		}
	}
	return ms
}

// OCILayout is the images' OCI layout directory: OCIArchive's members,
// which Members.WriteDir writes as files.
func (imgs Images) OCILayout(t testing.TB) Members {
	t.Helper()
	return imgs.OCIArchive(t)
}

// Hybrid is OCIArchive with a docker manifest.json whose entries (one per
// image, its Names as RepoTags) point into the blobs, as docker save ≥ 25
// writes; of a multi-platform image it lists the first platform, as docker
// lists the host's.
func (imgs Images) Hybrid(t testing.TB) Members {
	t.Helper()
	var manifest []map[string]any
	for _, img := range imgs {
		one := img
		if img.IsIndex() {
			one = img.Platforms[0]
		}
		var layers []string
		for i := range one.Layers {
			layers = append(layers, BlobPath(one.LayerBlob(t, i)))
		}
		manifest = append(manifest, map[string]any{"Config": BlobPath(one.Config), "RepoTags": img.Names, "Layers": layers})
	}
	return imgs.OCIArchive(t).Add(Member{Name: "manifest.json", Body: JSON(t, manifest)})
}

// Index is an index.json listing these manifests (or indexes) under
// their ref.name annotations, in order.
func Index(t testing.TB, entries ...ocispec.Descriptor) []byte {
	t.Helper()
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: slices.Clone(entries)}
	idx.SchemaVersion = 2
	return JSON(t, idx)
}

// Named is d with a ref.name annotation.
func Named(d ocispec.Descriptor, name string) ocispec.Descriptor {
	d.Annotations = maps.Clone(d.Annotations)
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	d.Annotations[ocispec.AnnotationRefName] = name
	return d
}
