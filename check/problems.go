// Problems and fixes: what a verdict says, as data. A problem names the
// fact it is about (the same for every loader it concerns, so lines about
// several loaders group by it) and carries its fix: the retar convert, or
// the file name, that makes it go away. Each fix is a command a test runs
// on a fixture (cli/advice_test.go), and After rewords or drops it when the
// conversion that wrote the archive already did what it says.

package check

import (
	"strings"

	"github.com/retar-dev/retar/convert"
)

// A Fact is what a problem is about, whichever loader it concerns.
type Fact string

// The facts check's rules find.
const (
	FactNoName          Fact = "no-name"          // an image without a name
	FactBareTag         Fact = "bare-tag"         // named by a bare tag alone
	FactShortNames      Fact = "short-names"      // RepoTags without a registry (podman's localhost/)
	FactNoManifestJSON  Fact = "no-manifest-json" // docker's classic store reads manifest.json only
	FactDirectory       Fact = "directory"        // a directory where an archive is read
	FactDirLayout       Fact = "dir-layout"       // a containers/image dir: layout
	FactUnknownLayout   Fact = "unknown-layout"   // a layout registered beside retar's, which no loader reads
	FactPre110          Fact = "pre-1.10"         // repositories and v1 directories only
	FactNoImage         Fact = "no-image"         // index.json without oci-layout, and no manifest.json
	FactCompressed      Fact = "compressed"       // the archive file itself compressed
	FactZstdLayers      Fact = "zstd-layers"      // zstd layers
	FactK3sFileName     Fact = "k3s-file-name"    // a name k3s does not pick up
	FactK3sZstdWindow   Fact = "k3s-zstd-window"  // k3s's bounded zstd window
	FactAbsentManifests Fact = "absent-manifests" // index entries without their manifests
	FactAbsentBytes     Fact = "absent-bytes"     // layers or configs the archive lacks
	FactNoHost          Fact = "no-host-platform" // nothing for the host platform
	FactSeveralImages   Fact = "several-images"   // several images where one is taken
	FactIndexEntries    Fact = "index-entries"    // index.json entries beside the image
	FactNamedReferrers  Fact = "named-referrers"  // referrers with a name (cosign's tags)
	FactReferrers       Fact = "referrers"        // OCI 1.1 referrers in index.json
	FactChunked         Fact = "chunked-variant"  // zstd:chunked's sentinel variant
	FactMislabelled     Fact = "mislabelled"      // compressed layers under another media type
	FactDockerZstd      Fact = "v2s2-zstd"        // a Docker v2s2 manifest with zstd layers
	// FactLoaderOption is about the loader, whatever the archive: ctr
	// 2.0's --all-platforms. check shows it with --verbose only.
	FactLoaderOption Fact = "loader-option"
)

// heads are the facts in a few words, for the lines that name several
// loaders at once.
var heads = map[Fact]string{
	FactNoName:          "no name",
	FactBareTag:         "a bare tag for a name",
	FactShortNames:      "names without a registry",
	FactNoManifestJSON:  "no manifest.json",
	FactDirectory:       "a directory",
	FactDirLayout:       "a dir: layout",
	FactUnknownLayout:   "a layout no loader reads",
	FactPre110:          "the pre-1.10 shape",
	FactNoImage:         "no image containerd finds",
	FactCompressed:      "a compressed archive",
	FactZstdLayers:      "zstd layers",
	FactK3sFileName:     "a file name k3s does not pick up",
	FactK3sZstdWindow:   "a zstd archive",
	FactAbsentManifests: "manifests the index lists are absent",
	FactAbsentBytes:     "layer bytes absent",
	FactNoHost:          "no image for this host's platform",
	FactSeveralImages:   "several images",
	FactIndexEntries:    "index.json entries beside the image",
	FactNamedReferrers:  "named signatures and attestations",
	FactReferrers:       "referrers in index.json",
	FactChunked:         "zstd:chunked's sentinel variant",
	FactMislabelled:     "mislabelled layers",
	FactDockerZstd:      "v2s2 with zstd layers",
	FactLoaderOption:    "a loader's option",
}

// Head is the fact in a few words ("no name").
func (f Fact) Head() string {
	if h, ok := heads[f]; ok {
		return h
	}
	return string(f)
}

// A Problem is one thing a verdict says: why the loader will not load the
// archive (Fails), or what to mind when it does; and what fixes it.
type Problem struct {
	Fact  Fact   `json:"fact"`
	Text  string `json:"text"` // as this loader has it, without the fix
	Fails bool   `json:"fails,omitempty"`
	Fix   *Fix   `json:"fix,omitempty"`
	// Does is the problem said of several loaders at once, after their
	// names ("will register nothing"); "" for "will not load it".
	Does string `json:"does,omitempty"`
	// Who, when set, names the loaders it concerns instead of their
	// titles: zstd layers fail docker before 23, not all of docker ≤ 24.
	Who string `json:"who,omitempty"`
	// Page is the problem and its fix in the page's words (say.go).
	Page string `json:"page"`
}

// String is the problem and its fix in one sentence, as Verdict.Problems
// lists them.
func (p Problem) String() string {
	if p.Fix == nil {
		return p.Text
	}
	return p.Text + "; " + p.Fix.Text
}

// An Option is one of convert's options, by the name convert.Options.Set
// takes; NAME stands for a name the user chooses.
type Option struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// A Fix is what makes a problem go away: a retar convert of the archive
// (to a layout, with options), or, for k3s, another file name.
type Fix struct {
	// Advice names the fix, the same wherever it is given: "name",
	// "gzip-layers", ... (Advice lists them).
	Advice string `json:"advice"`
	// Title says what it does, on its own: "name the image".
	Title string `json:"title"`
	// Text says it after the problem, naming the command: "give one with
	// retar convert -t NAME".
	Text string `json:"text"`
	// Again says it right after a conversion, of the options to convert
	// with again: "give one with -t NAME".
	Again string `json:"again"`
	// Page says it on the page, in its fields' terms (say.go).
	Page string `json:"page"`
	// To is the layout to convert to; "" for retar's default
	// destination, the archive every loader reads.
	To      convert.Layout `json:"to,omitempty"`
	Options []Option       `json:"options,omitempty"`
	// Pick is the image of several a conversion takes, after the source
	// (":@N": one image at a time), "" for all of them.
	Pick string `json:"pick,omitempty"`
	// Rename, instead of a conversion: the file name to copy the archive
	// under.
	Rename string `json:"rename,omitempty"`
}

// Placeholder stands, in a fix's options, for a name the user chooses;
// PickPlaceholder, after the source, for the image to take of several.
const (
	Placeholder     = "NAME"
	PickPlaceholder = "@N"
)

// flagOf is an option as the command line spells it.
func flagOf(o Option) string {
	if o.Name == "tag" {
		return "-t " + o.Value
	}
	return "--" + o.Name + " " + o.Value
}

// Command is the fix as a command line, for an archive at src, writing
// out (a path; the fix's layout is put before it).
func (x Fix) Command(src, out string) []string {
	if x.Rename != "" {
		return []string{"cp", src, x.Rename}
	}
	args := []string{"retar", "convert"}
	for _, o := range x.Options {
		args = append(args, strings.Fields(flagOf(o))...)
	}
	if x.Pick != "" {
		src += ":" + x.Pick
	}
	dst := out
	if x.To != "" {
		dst = string(x.To) + ":" + out
	}
	return append(args, src, dst)
}

// The fixes, each made in one place: what it runs; its words are the
// table's (fixWords, say.go).

// fixName gives the images a name: one image at a time where the archive
// holds several, since -t names one.
func fixName(f facts) *Fix {
	x := &Fix{Advice: "name", Options: []Option{{"tag", Placeholder}}}
	return x.worded(oneAtATime(f, x))
}

func fixFullName(f facts) *Fix {
	x := &Fix{Advice: "full-name", Options: []Option{{"tag", Placeholder}}}
	return x.worded(oneAtATime(f, x))
}

// oneAtATime makes a fix that names an image take one image of several,
// and says which words it takes ("several", or "" for the plain ones).
func oneAtATime(f facts, x *Fix) string {
	if f.images > 1 {
		x.Pick = PickPlaceholder
		return "several"
	}
	return ""
}

// fixManifestJSON: retar's oci-archive carries docker's manifest.json.
func fixManifestJSON() *Fix {
	return (&Fix{Advice: "manifest-json", To: convert.OCIArchive}).worded("")
}

// fixArchive: a directory written as an archive of the layout a loader
// reads; named, where its images have no name (a dir: layout holds none).
func fixArchive(f facts, to convert.Layout) *Fix {
	x := &Fix{Advice: "archive-" + string(to), To: to}
	if !f.unnamed() {
		return x.worded("")
	}
	x.Options = []Option{{"tag", Placeholder}}
	oneAtATime(f, x)
	return x.worded("named")
}

// fixRebuild: a conversion reads the pre-1.10 shape and writes manifest.json.
func fixRebuild() *Fix { return (&Fix{Advice: "rebuild"}).worded("") }

// fixDecompress: retar reads compressed archives and writes plain tars.
func fixDecompress() *Fix { return (&Fix{Advice: "decompress"}).worded("") }

// fixGzipLayers: zstd layers re-encoded to gzip; the image ID stays.
func fixGzipLayers() *Fix {
	return (&Fix{Advice: "gzip-layers", Options: []Option{{"compress", "gzip"}}}).worded("")
}

func fixRename(name string) *Fix { return (&Fix{Advice: "rename", Rename: name}).worded("", name) }

// fixLeaveAbsent: a conversion leaves out index entries without their
// manifests, unless --keep-absent keeps them.
func fixLeaveAbsent() *Fix { return (&Fix{Advice: "leave-absent"}).worded("") }

// fixUnnameReferrers: a conversion writes what refers to an image
// unnamed, as a referrer.
func fixUnnameReferrers() *Fix { return (&Fix{Advice: "unname-referrers"}).worded("") }

// fixImageAlone: a docker-archive holds the image without what stands
// beside it in the index.
func fixImageAlone() *Fix {
	return (&Fix{Advice: "image-alone", To: convert.DockerArchive}).worded("")
}

// fixMediaTypes: a conversion writes each layer under its right type.
func fixMediaTypes() *Fix { return (&Fix{Advice: "media-types"}).worded("") }

// fixOCIFamily: a v2s2 manifest with zstd layers is written as OCI.
func fixOCIFamily() *Fix { return (&Fix{Advice: "oci-family"}).worded("") }

// fixFullNames: a conversion writes RepoTags as full names.
func fixFullNames() *Fix { return (&Fix{Advice: "full-names"}).worded("") }

// fixHybrid: retar's oci-archive, whose docker manifest.json podman reads
// when index.json holds more than one entry.
func fixHybrid() *Fix { return (&Fix{Advice: "oci-archive", To: convert.OCIArchive}).worded("") }

// Advice lists every fix check gives, by its Advice name, with the command
// it suggests: for the test that runs each one.
func Advice() map[string]Fix {
	out := map[string]Fix{}
	var none facts
	for _, f := range []*Fix{fixName(none), fixFullName(none), fixManifestJSON(), fixArchive(none, convert.DockerArchive), fixArchive(none, convert.OCIArchive),
		fixRebuild(), fixDecompress(), fixGzipLayers(), fixRename("app.tar"), fixLeaveAbsent(), fixUnnameReferrers(),
		fixImageAlone(), fixMediaTypes(), fixOCIFamily(), fixFullNames(), fixHybrid()} {
		out[f.Advice] = *f
	}
	return out
}

// note adds a problem that does not stop the loader.
func (v *Verdict) note(p Problem) { v.Facts = append(v.Facts, p) }

// fail adds why the loader will not load the archive.
func (v *Verdict) fail(p Problem) {
	p.Fails = true
	v.Loads = false
	v.Facts = append(v.Facts, p)
}

// Has reports whether a verdict says something of the fact.
func (v Verdict) Has(f Fact) bool {
	for _, p := range v.Facts {
		if p.Fact == f {
			return true
		}
	}
	return false
}
