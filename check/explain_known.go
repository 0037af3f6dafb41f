// What each loader prints, as check's rules quote it: the message, the fact
// it stands for, and the loaders that print it (those whose verdict quotes
// it as Verdict.Message for a measured loader are compared with the loader
// by make interop; the others are quoted in a rule's text, from the loader's
// code or from a measurement not compared line by line). retar explain
// matches a loader's error against these. The messages are the rules' own
// strings where a rule names one (contentNotFound, noManifestJSON, ...);
// explain_test.go holds every message a rule quotes, in its source and in
// its verdicts on fixtures, to a row here with the same loader and fact.

package check

// Messages the rules quote inside a problem's text only.
const (
	unrecognizedFormat = "unrecognized image format"
	classicNoManifest  = "open .../blobs/json: no such file or directory"
	extractEOF         = "failed to extract layer ...: unexpected EOF"
	resolveNotFound    = "failed to resolve layers: layer ... not found"
	unpackingImage     = "Error unpacking image ..."
	rootfsMismatch     = "Error unpacking image ...: mismatched image rootfs and manifest layers"
	unpackExtract      = "Error unpacking image ...: failed to extract layer ..."
	noMediaProcessor   = "no processor for media-type"
	noProcessor        = "failed to get stream processor for ...: " + noMediaProcessor
	loadedByID         = "Loaded image ID: sha256:..."
	moreThanOne        = "more than one image in oci, choose an image"
	v2s2Zstd           = "unsupported docker v2s2 media type"
	zstdEOF            = "unexpected EOF"
	invalidTarHeader   = "archive/tar: invalid tar header"
	podmanPayload      = "payload does not match any of the supported image formats"
	windowExceeded     = "window size exceeded"
	noUnpackPlatforms  = "no unpack platforms defined"
	nerdctlUnpacking   = "error unpacking image ..."
	classicNoLayer     = "no such file or directory"
)

// The loaders on containerd's importer, as the rows name them.
var (
	ctrIDs      = []string{"ctr-1.6", "ctr-2.0", "ctr-2.1", "ctr-2.3", "ctr-2.4"}
	ctr2IDs     = []string{"ctr-2.0", "ctr-2.1", "ctr-2.3", "ctr-2.4"}
	importerIDs = append([]string{"docker-containerd", "docker-29-containerd", "kind", "k3s", "nerdctl"}, ctrIDs...)
	measuredCtr = []string{"ctr-2.3", "ctr-2.4"}
)

// A messageRow is one message, the fact it stands for, the loaders that
// print it for that fact, and those of them make interop compares it on.
type messageRow struct {
	message  string
	fact     Fact
	loaders  []string
	measured []string
}

func with(ids []string, more ...string) []string {
	return append(append([]string(nil), ids...), more...)
}

// messageRows are what each loader prints, by fact.
var messageRows = []messageRow{
	{unrecognizedFormat, FactDirLayout, importerIDs, with(measuredCtr, "docker-29-containerd", "kind", "k3s")},
	{unrecognizedFormat, FactPre110, importerIDs, with(measuredCtr, "docker-29-containerd", "kind", "k3s")},
	{unrecognizedFormat, FactNoImage, importerIDs, with(measuredCtr, "docker-29-containerd", "kind", "k3s")},
	{unrecognizedFormat, FactCompressed, []string{"nerdctl"}, nil},
	{noManifestJSON, FactPre110, []string{"docker-29-classic"}, []string{"docker-29-classic"}},
	{noManifestJSON, FactNoManifestJSON, []string{"docker-29-classic"}, []string{"docker-29-classic"}},
	{classicNoManifest, FactNoManifestJSON, []string{"docker-24", "docker-25"}, nil},
	{contentNotFound, FactAbsentManifests, with(ctrIDs, "kind", "nerdctl"), []string{"kind"}},
	{contentNotFound, FactAbsentBytes, measuredCtr, measuredCtr},
	{brokenMessage, FactAbsentBytes, with(ctrIDs, "docker-containerd", "kind", "k3s"), with(measuredCtr, "ctr-1.6", "ctr-2.0", "kind", "k3s")},
	{brokenMessage, FactMislabelled, with(ctrIDs, "docker-containerd", "docker-29-containerd", "kind", "nerdctl"), with(ctrIDs, "docker-29-containerd", "kind")},
	{extractEOF, FactMislabelled, with(ctrIDs, "docker-containerd", "kind", "nerdctl"), nil},
	{resolveNotFound, FactAbsentBytes, with(ctrIDs, "docker-containerd", "docker-29-containerd", "kind", "k3s"), with(measuredCtr, "docker-29-containerd", "kind", "k3s")},
	{classicNoLayer, FactAbsentBytes, []string{"docker-24", "docker-25", "docker-29-classic"}, []string{"docker-24", "docker-29-classic"}},
	{unpackingImage, FactAbsentBytes, []string{"docker-containerd", "docker-29-containerd"}, []string{"docker-29-containerd"}},
	{nerdctlUnpacking, FactAbsentBytes, []string{"nerdctl"}, nil},
	{rootfsMismatch, FactChunked, []string{"docker-containerd", "docker-29-containerd"}, []string{"docker-29-containerd"}},
	{unpackExtract, FactMislabelled, []string{"docker-containerd", "docker-29-containerd"}, []string{"docker-29-containerd"}},
	{chunkedMessage, FactChunked, with(ctr2IDs, "kind", "nerdctl"), with(ctr2IDs[:1], "ctr-2.3", "ctr-2.4", "kind")},
	{noProcessor, FactNamedReferrers, []string{"ctr-1.6"}, nil},
	{noMediaProcessor, FactNamedReferrers, []string{"ctr-1.6"}, []string{"ctr-1.6"}},
	{k3sRetagFails + "...", FactBareTag, []string{"k3s"}, []string{"k3s"}},
	{k3sRetagFails + "...", FactNamedReferrers, []string{"k3s"}, []string{"k3s"}},
	{loadedByID, FactNoName, []string{"docker-29-classic", "docker-29-containerd"}, []string{"docker-29-classic", "docker-29-containerd"}},
	{moreThanOne, FactIndexEntries, []string{"podman", "skopeo"}, []string{"podman"}},
	{"more than one image", FactSeveralImages, []string{"podman"}, nil},
	{v2s2Zstd, FactDockerZstd, []string{"podman", "skopeo"}, []string{"podman"}},
	{zstdEOF, FactZstdLayers, []string{"docker-24"}, nil},
	{invalidTarHeader, FactCompressed, []string{"ctr-1.6"}, nil},
	{podmanPayload, FactCompressed, []string{"podman"}, nil},
	{podmanPayload, FactAbsentBytes, []string{"podman"}, []string{"podman"}},
	{windowExceeded, FactK3sZstdWindow, []string{"k3s"}, nil},
	{noUnpackPlatforms, FactLoaderOption, []string{"ctr-2.0"}, nil},
}

// factFixes are the fix each fact takes, by its advice, where no archive
// says more: "" where no conversion fixes it. Which loader's words: a
// directory is an oci-archive for most, a docker-archive for docker.
var factFixes = map[Fact]string{
	FactNoName: "name", FactBareTag: "full-name", FactShortNames: "full-names",
	FactNoManifestJSON: "manifest-json", FactDirectory: "archive-oci-archive", FactDirLayout: "archive-oci-archive",
	FactPre110: "rebuild", FactNoImage: "archive-oci-archive", FactCompressed: "decompress",
	FactZstdLayers: "gzip-layers", FactK3sFileName: "rename", FactAbsentManifests: "leave-absent",
	FactSeveralImages: "oci-archive", FactIndexEntries: "oci-archive", FactNamedReferrers: "unname-referrers",
	FactChunked: "image-alone", FactMislabelled: "media-types", FactDockerZstd: "oci-family",
}

// quoteMsg is a loader's message as a problem's text quotes it.
func quoteMsg(m string) string { return `"` + m + `"` }
