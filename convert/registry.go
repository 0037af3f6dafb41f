package convert

// The layouts retar reads and writes: adding one is a unit (a file like
// dockerarchive.go) and a line here.

// DefaultDestination is the layout of a destination given as a bare path:
// an oci-archive, which retar writes with docker's manifest.json beside the
// OCI index (the hybrid), so docker, containerd and podman all load it.
const DefaultDestination = OCIArchive

// Layouts lists the layouts retar reads and writes, in the order messages
// name them (docker-archive, oci-archive, oci, dir). The slice is the
// caller's.
func Layouts() []Layout {
	var out []Layout
	for _, r := range registry {
		out = append(out, r.layout)
	}
	return out
}

// registry lists the layouts. A source is of the one layout whose unit
// detects it, among those of its kind (an archive, or a directory).
var registry = []layoutRow{
	{DockerArchive, true, dockerArchive{}},
	{OCIArchive, true, ociLayout{archive: true}},
	{OCI, false, ociLayout{}},
	{Dir, false, dirLayout{}},
}

// layoutRow is one layout of the registry: its name, whether it is one tar
// file (else a directory), and its unit.
type layoutRow struct {
	layout  Layout
	archive bool
	unit    layoutUnit
}

// rowOf finds a layout's row; ok is false for a name that is none.
func rowOf(l Layout) (r layoutRow, ok bool) {
	for _, r := range registry {
		if r.layout == l {
			return r, true
		}
	}
	return layoutRow{}, false
}
