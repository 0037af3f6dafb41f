package convert

import "strings"

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
