package convert

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The images whose manifest retar derives: a docker-archive's
// (its manifest.json stores none) and those a chain of v1 layer json
// describes (docker's pre-1.10 shape, Docker schema 1). Their layers are
// hashed once, then the manifest that describes them is built. (Image
// itself stands beside Archive, in archive.go: each holds the other.)

// Root is the image's manifest or index. An image of a docker-archive has
// no manifest of its own: the first call derives one (Docker v2s2), hashing
// its layers once, as their digests and compression are part of it.
func (img *Image) Root(ctx context.Context) (*Node, error) {
	if img.root == nil {
		if err := img.src.resolve(ctx, []*Image{img}, img.src.hashing, false); err != nil {
			return nil, err
		}
	}
	return img.root, nil
}

// resolve gives every image read from a docker manifest.json its manifest,
// hashing their layers (once, in parallel) on the way. With claim, a layer
// whose digest the archive already says (its file name, or for a plain tar
// the config's diff_id) is not hashed here: the manifest is derived from
// the claim, which the hashing as the plan is written then checks.
func (a *Archive) resolve(ctx context.Context, images []*Image, h Hashing, claim bool) error {
	var layers []*Blob
	for _, img := range images {
		if img.docker != nil && img.root == nil {
			layers = append(layers, img.docker.layers...)
		}
	}
	if claim {
		layers = slices.DeleteFunc(layers, claimDigest)
	}
	if err := a.hashBlobs(ctx, layers, h); err != nil {
		return err
	}
	for _, img := range images {
		if err := a.derive(img); err != nil {
			return err
		}
	}
	return nil
}

// claimDigest takes a docker-archive layer's digest and compression without
// hashing it, where the archive says them: its first bytes give the
// compression, its name or the config's diff_id (a plain tar's digest) the
// digest. It reports whether it could.
func claimDigest(b *Blob) bool {
	if b == nil || b.verified || b.learnDiff {
		return false
	}
	c, err := b.sniff()
	if err != nil {
		return false // hashing it reports why
	}
	switch {
	case b.Digest != "":
	case c == Uncompressed && b.diffID != "":
		b.Digest, b.claimedDiff = b.diffID, true
	default:
		return false
	}
	b.sniffed(c)
	return true
}

// derive gives an image read from a docker archive the v2s2 manifest that
// describes it, once its layers are hashed (their digests and compression
// known). Uncompressed layers are checked against the config's diff_ids here.
func (a *Archive) derive(img *Image) error {
	di := img.docker
	if di == nil || img.root != nil {
		return nil
	}
	if di.legacy != nil {
		if err := a.legacyConfig(di); err != nil {
			return err
		}
	}
	m := ocispec.Manifest{
		MediaType: MediaTypeDockerManifest,
		Config:    ocispec.Descriptor{MediaType: MediaTypeDockerConfig, Digest: di.config.Digest, Size: di.config.Size},
		Layers:    []ocispec.Descriptor{},
	}
	m.SchemaVersion = 2
	children := []*Node{{Desc: m.Config, Blob: di.config, Config: di.cfg}}
	for j, lb := range di.layers {
		if lb == nil {
			d := di.foreign[j]
			m.Layers = append(m.Layers, d)
			children = append(children, &Node{Desc: d})
			continue
		}
		if !lb.verified && lb.Digest == "" {
			return fmt.Errorf("internal: layer %s resolved before it was hashed", lb.Path)
		}
		if lb.compression == Uncompressed && lb.Digest.Algorithm() == lb.diffID.Algorithm() && lb.Digest != lb.diffID {
			return &DigestError{Source: a.Source, Blob: lb.Path, What: "diff_id", Want: lb.diffID, Got: lb.Digest}
		}
		d := ocispec.Descriptor{MediaType: layerMediaType(lb.compression, true), Digest: lb.Digest, Size: lb.Size}
		if fd, ok := di.foreign[j]; ok {
			if fd.Digest == lb.Digest && fd.Size == lb.Size {
				d = fd // a foreign layer: keep its media type and URLs
			} else {
				a.warnf("%s: LayerSources describes layer %d as foreign %s, but the archive holds other bytes (%s); kept as an ordinary layer", di.what, j, fd.Digest, lb.Digest)
			}
		}
		m.Layers = append(m.Layers, d)
		children = append(children, &Node{Desc: d, Blob: lb})
	}
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	img.root = newNode(MediaTypeDockerManifest, data, di.cfg.Platform())
	img.root.Manifest, img.root.Children, img.root.raw = &m, children, data
	img.derived = true
	return nil
}

// legacyConfig builds the config of an image read from a v1 chain, as
// docker's loader and containers/image do: the top layer's json, less the
// v1 fields, plus rootfs (the layers' diff_ids, learned as they were hashed)
// and a history entry per v1 layer (throwaway ones as empty layers).
func (a *Archive) legacyConfig(di *dockerImage) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(di.legacy[len(di.legacy)-1], &top); err != nil {
		return a.errorf("", "%s: %v", di.what, err)
	}
	for _, k := range []string{"id", "parent", "Size", "parent_id", "layer_id", "throwaway"} {
		delete(top, k)
	}
	type history struct {
		Created    string `json:"created,omitempty"`
		Author     string `json:"author,omitempty"`
		CreatedBy  string `json:"created_by,omitempty"`
		Comment    string `json:"comment,omitempty"`
		EmptyLayer bool   `json:"empty_layer,omitempty"`
	}
	var hist []history
	for j, raw := range di.legacy {
		var v v1JSON
		_ = json.Unmarshal(raw, &v) // parsed once already as it was read
		hist = append(hist, history{Created: v.Created, Author: v.Author, CreatedBy: strings.Join(v.ContainerConfig.Cmd, " "), Comment: v.Comment, EmptyLayer: di.throwaway[j]})
	}
	ids := []digest.Digest{}
	for _, lb := range di.layers {
		if lb.diffID == "" {
			return fmt.Errorf("internal: layer %s has no diff_id once hashed", lb.Path)
		}
		ids = append(ids, lb.diffID)
	}
	var err error
	if top["rootfs"], err = json.Marshal(ocispec.RootFS{Type: "layers", DiffIDs: ids}); err != nil {
		return err
	}
	if top["history"], err = json.Marshal(hist); err != nil {
		return err
	}
	data, err := json.Marshal(top)
	if err != nil {
		return err
	}
	if di.cfg, err = parseConfig(data); err != nil {
		return a.errorf("", "%s: rebuilt config: %v", di.what, err)
	}
	di.config = newNode(MediaTypeDockerConfig, data, nil).Blob
	return nil
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

func isHex64(s string) bool {
	return digest.NewDigestFromEncoded(digest.SHA256, s).Validate() == nil
}
