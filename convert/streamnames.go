package convert

// What a stream's entries are: held in memory or passed on, the digest a
// blob's name claims, and the name it goes out under.

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// metadataLimit is the limit on a top-level file retar reads whole, as
// the readers of each layout hold it; 0 for any other name.
func metadataLimit(name string) int64 {
	switch name {
	case "index.json", "oci-layout":
		return MaxManifestSize
	case "manifest.json", "repositories":
		return maxListSize
	}
	return 0
}

// holdEntry says whether an entry is metadata to hold in memory until the
// stream's end, by its name and its first bytes: the files every layout
// reads whole, JSON documents up to the config limit (manifests, indexes,
// configs, v1 json), and tiny entries that do not start as a layer does.
func holdEntry(name string, size int64, head []byte) bool {
	if size == 0 || metadataLimit(name) > 0 {
		return true
	}
	if t := bytes.TrimLeft(head, " \t\r\n"); len(t) > 0 && (t[0] == '{' || t[0] == '[') && size <= maxConfigSize {
		return true
	}
	return size <= tinyEntry && !startsAsLayer(head)
}

// startsAsLayer reports bytes that begin as a layer does: compressed, or
// a tar header.
func startsAsLayer(head []byte) bool {
	if detectCompression(head) != Uncompressed {
		return true
	}
	if len(head) < 512 {
		return false
	}
	_, err := tar.NewReader(bytes.NewReader(head)).Next()
	return err == nil
}

// keep holds an entry in memory.
func (r *streamReader) keep(off, size int64, name string, head []byte) error {
	if err := r.hold(size, "its JSON and small files"); err != nil {
		return err
	}
	data := make([]byte, size)
	copy(data, head)
	if _, err := io.ReadFull(r.tr, data[len(head):]); err != nil {
		return r.truncated(name, err)
	}
	r.file.addData(off, data)
	return nil
}

// claimOf is the digest an entry's name gives: blobs/<alg>/<encoded> (an
// OCI layout), sha256:<hex> (go-containerregistry), <hex>.tar, .tar.gz,
// .tar.zst (docker-archives from skopeo, podman, Jib, retar); "" for none.
func claimOf(name string) digest.Digest {
	if dir, enc := path.Split(name); strings.HasPrefix(dir, "blobs/") && strings.Count(dir, "/") == 2 {
		d := digest.NewDigestFromEncoded(digest.Algorithm(strings.TrimSuffix(dir[len("blobs/"):], "/")), enc)
		if d.Validate() == nil {
			return d
		}
		return ""
	}
	base := name
	if strings.Contains(name, "/") {
		return ""
	}
	hex, ok := strings.CutPrefix(base, "sha256:")
	if !ok {
		for _, ext := range []string{".tar", ".tar.gz", ".tar.zst"} {
			if h, ok := strings.CutSuffix(base, ext); ok {
				hex = h
				break
			}
		}
	}
	if d := digest.NewDigestFromEncoded(digest.SHA256, hex); d.Validate() == nil {
		return d
	}
	return ""
}

// outName is the output entry an entry's bytes go to, decided as they
// arrive; "" and why, when they cannot go at once.
func (r *streamReader) outName(name string, claim digest.Digest, c Compression) (string, string) {
	if r.static != "" {
		return "", r.static
	}
	if claim == "" {
		return "", fmt.Sprintf("%s names no digest, which the output names it by and only its bytes show (docker before 25 saves each layer as <id>/layer.tar)", printable(name))
	}
	h := unitOf(r.opts.To).holds(r.opts, []Layout{r.sourceLayout()})
	if c == Zstd && h.dockerLoads && !r.opts.KeepZstd {
		return "", fmt.Sprintf("layer %s is zstd, which is re-encoded to gzip for docker before 23 (--compress keep keeps it): that needs its bytes again", printable(name))
	}
	if c == Zstd && r.in.GzipIfZstd {
		r.static = fmt.Sprintf("layer %s is zstd, so every layer not gzip is re-encoded to gzip for docker before 23 (--for docker-24)", printable(name))
		return "", r.static
	}
	if h.dockerManifest || h.storesManifests {
		return blobPath(claim), ""
	}
	if r.oci {
		return "", fmt.Sprintf("%s holds one platform of each image, and which blobs that takes only the index at the stream's end says (--all-platforms keeps them all)", r.opts.To.Article())
	}
	return dockerFileName(&Node{Desc: ocispec.Descriptor{Digest: claim, MediaType: layerMediaType(c, true)}}, false), ""
}

// sourceLayout is the layout the source will be read as, by what the
// stream showed so far: an OCI layout once an entry under blobs/ passed
// (index.json comes at the end), docker's manifest.json before.
func (r *streamReader) sourceLayout() Layout {
	_, l, err := detect(&Archive{shape: Shape{Tar: true, IndexJSON: r.oci, ManifestJSON: true}}, r.in.Layout)
	if err != nil {
		return r.in.Layout
	}
	return l
}
