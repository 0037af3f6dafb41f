package convert

import (
	"encoding/json"

	"github.com/opencontainers/go-digest"
)

// Docker schema 1 manifests (application/vnd.docker.distribution.manifest.v1
// +json, signed as +prettyjws) are read from dir: and OCI layouts, as skopeo
// reads them, and become the image a v2 manifest describes: the layers in
// order, base first, those of throwaway history entries (empty layers) left
// out; diff_ids learned by decompressing each layer once as it is hashed; a
// config built from the v1Compatibility history, as for docker's pre-1.10
// shape. Writing schema 1 is not supported: the output has a new manifest,
// so a JWS signature cannot survive and is dropped with a notice.

type schema1Manifest struct {
	SchemaVersion int    `json:"schemaVersion"`
	Name          string `json:"name"`
	Tag           string `json:"tag"`
	FSLayers      []struct {
		BlobSum digest.Digest `json:"blobSum"`
	} `json:"fsLayers"`
	History []struct {
		V1Compatibility string `json:"v1Compatibility"`
	} `json:"history"`
	Signatures json.RawMessage `json:"signatures"`
}

// readSchema1 reads a schema 1 manifest's image: n stands for it until the
// image's manifest is derived.
func (a *Archive) readSchema1(n *Node, data []byte, depth int) error {
	p := n.Blob.Path
	if depth > 0 {
		return a.errorf(p, "a Docker schema 1 manifest inside an index is not supported")
	}
	var m schema1Manifest
	if err := a.jsonDecode(p, data, &m); err != nil {
		return err
	}
	if len(m.FSLayers) == 0 || len(m.FSLayers) != len(m.History) {
		return a.errorf(p, "schema 1 manifest with %d fsLayers and %d history entries", len(m.FSLayers), len(m.History))
	}
	chain, err := a.schema1Chain(p, &m)
	if err != nil {
		return err
	}
	di := &dockerImage{what: "schema 1 manifest " + n.Desc.Digest.String()}
	// fsLayers and history run from the top layer down; the image is base first.
	for i := len(chain) - 1; i >= 0; i-- {
		e := chain[i]
		di.legacy = append(di.legacy, []byte(e.json))
		di.throwaway = append(di.throwaway, e.throwaway)
		if e.throwaway {
			continue
		}
		lb, err := a.blob(e.blobSum, false)
		if err != nil {
			return err
		}
		if lb == nil {
			return &MissingError{Source: a.Source, Digest: e.blobSum, By: "schema 1 manifest " + n.Desc.Digest.String()}
		}
		lb.learnDiff = true
		di.layers = append(di.layers, lb)
	}
	di.cfg, _ = parseConfig(di.legacy[len(di.legacy)-1]) // its platform, until the config is built
	if len(m.Signatures) > 0 && string(m.Signatures) != "null" || n.Desc.MediaType == mediaTypeSchema1Signed {
		a.warnf("%s: a signed Docker schema 1 manifest: the image gets a new manifest, which its JWS signature does not cover, so the signature is dropped", p)
	}
	n.pending = di
	return nil
}

type schema1Entry struct {
	json      string
	blobSum   digest.Digest
	throwaway bool
}

// schema1Chain checks a schema 1 manifest's history, top layer first, as
// containers/image does: valid ids, each entry's parent the next one's id,
// and an id repeated only by consecutive entries, which are one layer (old
// registries wrote such duplicates): the older duplicates are left out.
func (a *Archive) schema1Chain(p string, m *schema1Manifest) ([]schema1Entry, error) {
	var chain []schema1Entry
	var ids, parents []string
	seen := map[string]bool{}
	for i, h := range m.History {
		var v v1JSON
		if err := a.jsonDecode(p, []byte(h.V1Compatibility), &v); err != nil {
			return nil, a.errorf(p, "history %d: v1Compatibility: %v", i, err)
		}
		if !isHex64(v.ID) {
			return nil, a.errorf(p, "history %d: invalid layer id %q", i, v.ID)
		}
		if err := validDigest(m.FSLayers[i].BlobSum); err != nil {
			return nil, a.errorf(p, "fsLayers %d: %v", i, err)
		}
		if len(ids) > 0 && ids[len(ids)-1] == v.ID {
			continue // a duplicate of the entry above
		}
		if seen[v.ID] {
			return nil, a.errorf(p, "history %d: layer id %s repeats, not consecutively", i, v.ID)
		}
		seen[v.ID] = true
		ids, parents = append(ids, v.ID), append(parents, v.Parent)
		chain = append(chain, schema1Entry{json: h.V1Compatibility, blobSum: m.FSLayers[i].BlobSum, throwaway: v.ThrowAway})
	}
	if len(chain) > maxLegacyChain {
		return nil, a.errorf(p, "more than %d layers", maxLegacyChain)
	}
	for i := 0; i+1 < len(ids); i++ {
		if parents[i] != ids[i+1] {
			return nil, a.errorf(p, "history %d: parent %q is not the next entry's id %s", i, parents[i], ids[i+1])
		}
	}
	return chain, nil
}
