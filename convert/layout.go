package convert

import (
	"path"
	"strings"

	"github.com/opencontainers/go-digest"
)

// Layout is one of the ways an image is laid out on disk, named as skopeo
// names its transports. What a layout is and does is its unit's (unit.go);
// which layouts there are, the registry's (registry.go).
type Layout string

const (
	DockerArchive Layout = "docker-archive"
	OCIArchive    Layout = "oci-archive"
	OCI           Layout = "oci"
	Dir           Layout = "dir"
)

// Article is the layout's name with its article, for messages: "an
// oci-archive", "a docker-archive".
func (l Layout) Article() string {
	if l != "" && strings.ContainsRune("aeiou", rune(l[0])) {
		return "an " + string(l)
	}
	return "a " + string(l)
}

// ociPaths finds a blob where an OCI layout keeps it, as docker 25+'s
// docker-archive and a stream's output also do.
func ociPaths(d digest.Digest, _ bool) []string { return []string{blobPath(d)} }

// blobPath is where an OCI layout keeps a digest.
func blobPath(d digest.Digest) string {
	return path.Join("blobs", d.Algorithm().String(), d.Encoded())
}
