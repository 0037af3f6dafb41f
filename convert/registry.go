package convert

// The layouts retar reads and writes: adding one is a unit (a file like
// dockerarchive.go) and a line here.

// registry lists the layouts. A source is of the one layout whose unit
// detects it, among those of its kind (an archive, or a directory).
var registry = []struct {
	layout  Layout
	archive bool
	unit    layoutUnit
}{
	{DockerArchive, true, dockerArchive{}},
	{OCIArchive, true, ociLayout{archive: true}},
	{OCI, false, ociLayout{}},
	{Dir, false, dirLayout{}},
}
