// Command mksupply writes the supply-chain inputs of the golden tests into
// golden/testdata/supply: images that travel with what vouches for them, in
// the shapes the tools write (see README.md there). It is deterministic: run
// it again and nothing changes.
//
//	go run ./golden/testdata/mksupply golden/testdata/supply
package main

import (
	"archive/tar"
	"bytes"
	_ "crypto/sha256"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// layout is an OCI image layout being built: blobs by digest, index.json
// entries in order, and an optional docker manifest.json.
type layout struct {
	blobs   map[digest.Digest][]byte
	entries []ocispec.Descriptor
	docker  []map[string]any
}

func newLayout() *layout { return &layout{blobs: map[digest.Digest][]byte{}} }

func (l *layout) add(mt string, b []byte) ocispec.Descriptor {
	d := digest.FromBytes(b)
	l.blobs[d] = b
	return ocispec.Descriptor{MediaType: mt, Digest: d, Size: int64(len(b))}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		log.Fatal(err)
	}
	return b
}

// layerTar is a one-file layer tar.
func layerTar(name, body string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), ModTime: time.Unix(1704067200, 0), Typeflag: tar.TypeReg})
	tw.Write([]byte(body))
	tw.Close()
	return buf.Bytes()
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, 9)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func zst(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// image adds an image manifest of one layer (stored as blob, labelled mt)
// for a platform, and returns its descriptor with the platform.
func (l *layout) image(arch, content string, layerMT string, blob func([]byte) []byte, docker bool, ann map[string]string) ocispec.Descriptor {
	tarb := layerTar("etc/"+arch+".txt", content)
	cfg := mustJSON(map[string]any{"architecture": arch, "os": "linux", "created": "2024-01-01T00:00:00Z",
		"config": map[string]any{"Cmd": []string{"/bin/true"}}, "rootfs": map[string]any{"type": "layers", "diff_ids": []digest.Digest{digest.FromBytes(tarb)}}})
	cfgMT, mt := ocispec.MediaTypeImageConfig, ocispec.MediaTypeImageManifest
	if docker {
		cfgMT, mt = "application/vnd.docker.container.image.v1+json", "application/vnd.docker.distribution.manifest.v2+json"
	}
	layer := l.add(layerMT, blob(tarb))
	layer.Annotations = ann
	m := ocispec.Manifest{MediaType: mt, Config: l.add(cfgMT, cfg), Layers: []ocispec.Descriptor{layer}}
	m.SchemaVersion = 2
	d := l.add(mt, mustJSON(m))
	d.Platform = &ocispec.Platform{OS: "linux", Architecture: arch}
	return d
}

// attestation adds a BuildKit attestation manifest for the image manifest
// subject: in-toto statements (provenance, SPDX SBOM) as layers.
func (l *layout) attestation(subject ocispec.Descriptor) ocispec.Descriptor {
	cfg := l.add(ocispec.MediaTypeImageConfig, mustJSON(map[string]any{"architecture": "unknown", "os": "unknown", "config": map[string]any{},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{}}}))
	var layers []ocispec.Descriptor
	for _, p := range []struct{ pred, body string }{
		{"https://slsa.dev/provenance/v0.2", `{"builder":{"id":"retar-test"}}`},
		{"https://spdx.dev/Document", `{"spdxVersion":"SPDX-2.3","name":"retar-test"}`},
	} {
		stmt := mustJSON(map[string]any{"_type": "https://in-toto.io/Statement/v0.1", "predicateType": p.pred,
			"subject":   []map[string]any{{"name": "pkg:docker/app", "digest": map[string]string{"sha256": subject.Digest.Encoded()}}},
			"predicate": json.RawMessage(p.body)})
		d := l.add("application/vnd.in-toto+json", stmt)
		d.Annotations = map[string]string{"in-toto.io/predicate-type": p.pred}
		layers = append(layers, d)
	}
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Config: cfg, Layers: layers}
	m.SchemaVersion = 2
	d := l.add(ocispec.MediaTypeImageManifest, mustJSON(m))
	d.Platform = &ocispec.Platform{OS: "unknown", Architecture: "unknown"}
	d.Annotations = map[string]string{"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": subject.Digest.String()}
	return d
}

// cosign adds a tag-scheme artifact for subject as cosign writes it: an
// image-config-typed config listing its layer's digest, one layer of mt.
func (l *layout) cosign(subject ocispec.Descriptor, suffix, mt, payload string) ocispec.Descriptor {
	layer := l.add(mt, []byte(payload))
	if suffix == "sig" {
		layer.Annotations = map[string]string{"dev.cosignproject.cosign/signature": "MEUCIQDretarTestSignatureNotReal="}
	}
	cfg := l.add(ocispec.MediaTypeImageConfig, mustJSON(map[string]any{"architecture": "", "os": "", "config": map[string]any{},
		"created": "0001-01-01T00:00:00Z", "rootfs": map[string]any{"type": "layers", "diff_ids": []digest.Digest{layer.Digest}}}))
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Config: cfg, Layers: []ocispec.Descriptor{layer}}
	m.SchemaVersion = 2
	d := l.add(ocispec.MediaTypeImageManifest, mustJSON(m))
	d.Annotations = map[string]string{ocispec.AnnotationRefName: subject.Digest.Algorithm().String() + "-" + subject.Digest.Encoded() + "." + suffix}
	return d
}

// referrer adds an OCI 1.1 referrer of subject: artifactType, the empty
// config, one layer, and containerd's index annotation naming its subject.
func (l *layout) referrer(subject ocispec.Descriptor, artifactType, body string) ocispec.Descriptor {
	empty := l.add(ocispec.MediaTypeEmptyJSON, []byte("{}"))
	layer := l.add(artifactType, []byte(body))
	s := ocispec.Descriptor{MediaType: subject.MediaType, Digest: subject.Digest, Size: subject.Size}
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, ArtifactType: artifactType, Config: empty, Layers: []ocispec.Descriptor{layer}, Subject: &s}
	m.SchemaVersion = 2
	d := l.add(ocispec.MediaTypeImageManifest, mustJSON(m))
	d.ArtifactType = artifactType
	d.Annotations = map[string]string{"io.containerd.manifest.subject": subject.Digest.String()}
	return d
}

func (l *layout) index(mt string, ms ...ocispec.Descriptor) ocispec.Descriptor {
	idx := ocispec.Index{MediaType: mt, Manifests: ms}
	idx.SchemaVersion = 2
	return l.add(mt, mustJSON(idx))
}

func named(d ocispec.Descriptor, name, tag string) ocispec.Descriptor {
	d.Annotations = map[string]string{"io.containerd.image.name": name, ocispec.AnnotationRefName: tag}
	return d
}

// files is the layout as file names and contents.
func (l *layout) files() map[string][]byte {
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: l.entries}
	idx.SchemaVersion = 2
	fs := map[string][]byte{"oci-layout": []byte(`{"imageLayoutVersion":"1.0.0"}`), "index.json": mustJSON(idx)}
	for d, b := range l.blobs {
		fs["blobs/sha256/"+d.Encoded()] = b
	}
	if l.docker != nil {
		fs["manifest.json"] = mustJSON(l.docker)
	}
	return fs
}

func (l *layout) writeTar(p string) {
	fs := l.files()
	names := make([]string, 0, len(fs))
	for n := range fs {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(fs[n])), ModTime: time.Unix(1704067200, 0), Typeflag: tar.TypeReg, Format: tar.FormatPAX})
		tw.Write(fs[n])
	}
	tw.Close()
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}

func (l *layout) writeDir(dir string) {
	os.RemoveAll(dir)
	for n, b := range l.files() {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: mksupply DIR")
	}
	out := os.Args[1]
	if err := os.MkdirAll(out, 0o755); err != nil {
		log.Fatal(err)
	}
	gzipMT := ocispec.MediaTypeImageLayerGzip

	// BuildKit's docker exporter (docker 25+ save with the containerd store):
	// an index of two platforms, each with its attestation manifest, and a
	// docker manifest.json for the host platform.
	bk := newLayout()
	amd := bk.image("amd64", "amd64 content\n", gzipMT, gz, false, nil)
	arm := bk.image("arm64", "arm64 content\n", gzipMT, gz, false, nil)
	idx := bk.index(ocispec.MediaTypeImageIndex, amd, bk.attestation(amd), arm, bk.attestation(arm))
	bk.entries = []ocispec.Descriptor{named(idx, "docker.io/library/app:1", "1")}
	var amdM ocispec.Manifest
	json.Unmarshal(bk.blobs[amd.Digest], &amdM)
	bk.docker = []map[string]any{{"Config": "blobs/sha256/" + amdM.Config.Digest.Encoded(), "RepoTags": []string{"app:1"},
		"Layers": []string{"blobs/sha256/" + amdM.Layers[0].Digest.Encoded()}}}
	bk.writeTar(filepath.Join(out, "buildkit-attestations.tar"))

	// An image signed with cosign's tag scheme (a signature, an attestation
	// and an SBOM), two OCI 1.1 referrers sharing the empty config, and a
	// signature of the attestation: what cosign save, oras and regctl leave.
	sg := newLayout()
	img := named(sg.image("amd64", "signed content\n", gzipMT, gz, false, nil), "docker.io/library/signed:1", "1")
	img.Platform = nil
	att := sg.cosign(img, "att", "application/vnd.dsse.envelope.v1+json", `{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}`)
	sg.entries = []ocispec.Descriptor{img,
		sg.cosign(img, "sig", "application/vnd.dev.cosign.simplesigning.v1+json", `{"critical":{"identity":{"docker-reference":"signed"},"image":{"docker-manifest-digest":"`+img.Digest.String()+`"},"type":"cosign container image signature"}}`),
		att,
		sg.cosign(img, "sbom", "text/spdx+json", `{"spdxVersion":"SPDX-2.3"}`),
		sg.cosign(att, "sig", "application/vnd.dev.cosign.simplesigning.v1+json", `{"critical":{"image":{"docker-manifest-digest":"`+att.Digest.String()+`"}}}`),
		sg.referrer(img, "application/spdx+json", `{"spdxVersion":"SPDX-2.3","name":"referrer"}`),
		sg.referrer(img, "application/vnd.cyclonedx+json", `{"bomFormat":"CycloneDX"}`),
	}
	sg.writeTar(filepath.Join(out, "signed.tar"))
	sg.writeDir(filepath.Join(out, "signed-layout"))

	// zstd:chunked and eStargz table-of-contents annotations on a layer,
	// beside one that is not a TOC's.
	ch := newLayout()
	chunked := map[string]string{
		"io.github.containers.zstd-chunked.manifest-checksum": "sha256:" + strings.Repeat("a", 64),
		"io.github.containers.zstd-chunked.manifest-position": "1:2:3:1",
		"io.github.containers.zstd-chunked.tarsplit-checksum": "sha256:" + strings.Repeat("b", 64),
		"io.github.containers.zstd-chunked.tarsplit-position": "4:5:6",
		"containerd.io/snapshot/stargz/toc.digest":            "sha256:" + strings.Repeat("c", 64),
		"org.example.kept": "kept",
	}
	ch.entries = []ocispec.Descriptor{named(ch.image("amd64", "chunked content\n", ocispec.MediaTypeImageLayerZstd, zst, false, chunked), "docker.io/library/chunked:1", "1")}
	ch.entries[0].Platform = nil
	ch.writeTar(filepath.Join(out, "zstd-chunked.tar"))

	// Layers whose bytes are not what their descriptor says: zstd labelled
	// gzip, gzip labelled plain tar; and a v2s2 manifest carrying the OCI
	// zstd type (nerdctl commit).
	ml := newLayout()
	a := ml.image("amd64", "zstd as gzip\n", gzipMT, zst, false, nil)
	b := ml.image("arm64", "gzip as tar\n", ocispec.MediaTypeImageLayer, gz, false, nil)
	ml.entries = []ocispec.Descriptor{named(ml.index(ocispec.MediaTypeImageIndex, a, b), "docker.io/library/mislabelled:1", "1")}
	ml.writeTar(filepath.Join(out, "mislabelled.tar"))
	nc := newLayout()
	nc.entries = []ocispec.Descriptor{named(nc.image("amd64", "nerdctl commit\n", ocispec.MediaTypeImageLayerZstd, zst, true, nil), "docker.io/library/nerdctl:1", "1")}
	nc.entries[0].Platform = nil
	nc.writeTar(filepath.Join(out, "v2s2-oci-zstd.tar"))

	// zstd:chunked's sentinel variant: an index with a gzip manifest and a
	// zstd one whose first layer is a non-tar sentinel, for clients that
	// read zstd:chunked only.
	sn := newLayout()
	plain := sn.image("amd64", "sentinel image\n", gzipMT, gz, false, nil)
	var pm ocispec.Manifest
	json.Unmarshal(sn.blobs[plain.Digest], &pm)
	tarb := layerTar("etc/amd64.txt", "sentinel image\n")
	zl := sn.add(ocispec.MediaTypeImageLayerZstd, zst(tarb))
	zl.Annotations = chunked
	sentinel := sn.add("application/vnd.containers.zstd-chunked-sentinel", []byte("zstd:chunked sentinel\x00"))
	var cfg map[string]any
	json.Unmarshal(sn.blobs[pm.Config.Digest], &cfg)
	cfg["rootfs"] = map[string]any{"type": "layers", "diff_ids": []digest.Digest{sentinel.Digest, digest.FromBytes(tarb)}}
	zm := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Config: sn.add(ocispec.MediaTypeImageConfig, mustJSON(cfg)), Layers: []ocispec.Descriptor{sentinel, zl}}
	zm.SchemaVersion = 2
	zd := sn.add(ocispec.MediaTypeImageManifest, mustJSON(zm))
	zd.Platform = &ocispec.Platform{OS: "linux", Architecture: "amd64"}
	zd.Annotations = map[string]string{"io.github.containers.compression.zstd": "true"}
	sn.entries = []ocispec.Descriptor{named(sn.index(ocispec.MediaTypeImageIndex, plain, zd), "docker.io/library/sentinel:1", "1")}
	sn.writeTar(filepath.Join(out, "zstd-chunked-sentinel.tar"))
	fmt.Println("wrote", out)
}
