package convert

// The layouts retar reads and writes: adding one is a unit (a file like
// dockerarchive.go) and a line here.

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
