package golden_test

// Golden outputs of the transformations (--format, --compress, --platform,
// --all-platforms, picks) on real archives, round trips through them, their
// reproducibility, and bad input on their paths.

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
)

const transformDir = "testdata/transform"

// Inputs of the transformation goldens.
var (
	inDockerSave   = input{name: "docker-save-single", path: "docker-save-single.tar", real: true}
	inDockerTwo    = input{name: "docker-save-two-images", path: "docker-save-two-images.tar", real: true}
	inDirV2S2      = input{name: "skopeo-dir-v2s2", path: "skopeo-dir-v2s2", real: true}
	inUmoci        = input{name: "umoci-layout", path: "umoci-layout", real: true}
	inPodmanOCI    = input{name: "podman-save-oci-archive", path: "podman-save-oci-archive.tar", real: true}
	inSkopeoZstd   = input{name: "skopeo-oci-zstd", path: "skopeo-oci-zstd", real: true}
	inMulti        = input{name: "stereoscope-multiplatform", path: "anchore__stereoscope/pkg/image/oci/testdata/multiplatform_oci_dir"}
	inForeign      = input{name: "ggcr-foreign", path: "google__go-containerregistry/pkg/v1/tarball/testdata/foreign.tar"}
	inSparse       = input{name: "ggcr-sparse-foreign", path: "google__go-containerregistry/pkg/v1/tarball/testdata/sparse_foreign.tar"}
	inRegclient    = input{name: "regclient-testrepo", path: "regclient__regclient/testdata/testrepo"}
	inGzipArchive  = input{name: "ggcr-test-image-1-gz", path: "google__go-containerregistry/pkg/v1/tarball/testdata/test_image_1.tar.gz"}
	inDiveOCIZstd  = input{name: "dive-oci-zstd", path: "wagoodman__dive/.data/test-oci-zstd-image.tar"}
	inDiveOCIPlain = input{name: "dive-oci-uncompressed", path: "wagoodman__dive/.data/test-oci-uncompressed-image.tar"}
	inBuildKit     = input{name: "supply-buildkit-attestations", path: "buildkit-attestations.tar", supply: true}
	inSigned       = input{name: "supply-signed", path: "signed.tar", supply: true}
	inChunked      = input{name: "supply-zstd-chunked", path: "zstd-chunked.tar", supply: true}
	inSentinel     = input{name: "supply-zstd-chunked-sentinel", path: "zstd-chunked-sentinel.tar", supply: true}
	inMislabelled  = input{name: "supply-mislabelled", path: "mislabelled.tar", supply: true}
	inNerdctlZstd  = input{name: "supply-v2s2-oci-zstd", path: "v2s2-oci-zstd.tar", supply: true}
)

// tcase is one option set applied to one input, written to each layout.
type tcase struct {
	name      string // golden stem
	in        input
	pick      string // source :REF or :@N, without the colon
	format    string
	compress  string // "" keeps
	level     int
	platforms []string
	all       bool
	atts      string           // --attestations
	layouts   []convert.Layout // nil: all four
}

func (c tcase) options(to convert.Layout) (convert.Options, error) {
	o := opts(to)
	o.Pick, o.AllPlatforms, o.CompressLevel, o.Spill = c.pick, c.all, c.level, convert.MemorySpill
	var err error
	if o.Format, err = convert.ParseFormat(c.format); err != nil {
		return o, err
	}
	var keep bool
	if o.Compress, keep, err = convert.ParseCompression(c.compress); err != nil {
		return o, err
	}
	o.Recompress = !keep
	if o.Attestations, err = convert.ParseAttestations(c.atts); err != nil {
		return o, err
	}
	for _, s := range c.platforms {
		p, err := convert.ParsePlatform(s)
		if err != nil {
			return o, err
		}
		o.Platforms = append(o.Platforms, p)
	}
	return o, nil
}

// flags spells the case as retar convert's command line does.
func (c tcase) flags() string {
	var f []string
	if c.format != "" {
		f = append(f, "--format "+c.format)
	}
	if c.compress != "" {
		f = append(f, "--compress "+c.compress)
	}
	if c.level != 0 {
		f = append(f, fmt.Sprintf("--compress-level %d", c.level))
	}
	for _, p := range c.platforms {
		f = append(f, "--platform "+p)
	}
	if c.all {
		f = append(f, "--all-platforms")
	}
	if c.atts != "" {
		f = append(f, "--attestations "+c.atts)
	}
	if c.pick != "" {
		f = append(f, "SRC:"+c.pick)
	}
	return strings.Join(f, " ")
}

func (c tcase) layoutList() []convert.Layout {
	if c.layouts != nil {
		return c.layouts
	}
	return layouts
}

func (c tcase) golden(l convert.Layout) string {
	return filepath.Join(transformDir, unsafeChars.ReplaceAllString(c.name, "_")+"."+string(l)+".txtar")
}

// transformCases covers every option with every destination layout.
var transformCases = []tcase{
	// --format: v2s2 -> OCI, OCI -> v2s2 (with and without a mediaType field),
	// manifest list <-> index.
	{name: "format-oci.skopeo-dir-v2s2", in: inDirV2S2, format: "oci"},
	{name: "format-v2s2.podman-oci-archive", in: inPodmanOCI, format: "v2s2"},
	{name: "format-v2s2.umoci-pick-2", in: inUmoci, pick: "2", format: "v2s2"},
	{name: "format-oci.docker-save", in: inDockerSave, format: "oci"},
	{name: "format-v2s2.docker-save", in: inDockerSave, format: "v2s2"},
	{name: "format-v2s2.multiplatform", in: inMulti, format: "v2s2"},
	{name: "format-v2s2-all.multiplatform", in: inMulti, format: "v2s2", all: true},
	{name: "format-x", in: inDirV2S2, format: "x", layouts: []convert.Layout{convert.OCI}},

	// --compress and --compress-level
	{name: "compress-gzip.docker-save", in: inDockerSave, compress: "gzip"},
	{name: "compress-zstd.docker-save", in: inDockerSave, compress: "zstd"},
	{name: "compress-gzip-1.docker-save", in: inDockerSave, compress: "gzip", level: 1},
	{name: "compress-zstd-19.docker-save", in: inDockerSave, compress: "zstd", level: 19},
	{name: "compress-none.skopeo-dir-v2s2", in: inDirV2S2, compress: "none"},
	{name: "compress-zstd.skopeo-dir-v2s2", in: inDirV2S2, compress: "zstd"},
	{name: "compress-gzip.skopeo-dir-v2s2", in: inDirV2S2, compress: "gzip"}, // already gzip: copied
	{name: "compress-gzip.dive-oci-zstd", in: inDiveOCIZstd, compress: "gzip"},
	{name: "compress-zstd.dive-oci-uncompressed", in: inDiveOCIPlain, compress: "zstd"},
	{name: "compress-gzip-10", in: inDockerSave, compress: "gzip", level: 10, layouts: []convert.Layout{convert.OCIArchive}},
	{name: "compress-lz4", in: inDockerSave, compress: "lz4", layouts: []convert.Layout{convert.OCIArchive}},
	{name: "format-v2s2-compress-zstd.podman-oci-archive", in: inPodmanOCI, format: "v2s2", compress: "zstd"},
	{name: "format-oci-compress-none.skopeo-dir-v2s2", in: inDirV2S2, format: "oci", compress: "none"},

	// --platform and --all-platforms
	{name: "platform-arm64.multiplatform", in: inMulti, platforms: []string{"linux/arm64"}},
	{name: "platform-arm64-v8.multiplatform", in: inMulti, platforms: []string{"linux/arm64/v8"}},
	{name: "platform-two.multiplatform", in: inMulti, platforms: []string{"linux/arm64", "linux/amd64"}},
	{name: "platform-s390x.multiplatform", in: inMulti, platforms: []string{"linux/s390x"}},
	{name: "platform-arm64.docker-save", in: inDockerSave, platforms: []string{"linux/arm64"}},
	{name: "all-platforms.multiplatform", in: inMulti, all: true},
	{name: "all-platforms.docker-save", in: inDockerSave, all: true},
	{name: "platform-arm64-compress-zstd-v2s2.multiplatform", in: inMulti, platforms: []string{"linux/arm64"}, compress: "zstd", format: "v2s2"},
	{name: "platform-invalid", in: inMulti, platforms: []string{"linux"}, layouts: []convert.Layout{convert.OCI}},

	// picks from multi-image archives
	{name: "pick-1.docker-save-two", in: inDockerTwo, pick: "@1", compress: "zstd"},
	{name: "pick-ref.docker-save-two", in: inDockerTwo, pick: "retar-test:1", format: "oci"},
	{name: "pick-9.docker-save-two", in: inDockerTwo, pick: "@9", layouts: []convert.Layout{convert.OCI}},
	{name: "all.docker-save-two", in: inDockerTwo, compress: "gzip"},

	// foreign layers: present (foreign.tar) and absent (sparse_foreign.tar)
	{name: "compress-zstd.foreign", in: inForeign, compress: "zstd"},
	{name: "format-oci.foreign", in: inForeign, format: "oci"},
	{name: "compress-none.sparse-foreign", in: inSparse, compress: "none"},
	{name: "format-oci.sparse-foreign", in: inSparse, format: "oci"},

	// artifacts and nested multi-platform indexes
	{name: "platform-amd64.regclient", in: inRegclient, platforms: []string{"linux/amd64"}},
	{name: "compress-zstd.regclient-v1", in: inRegclient, pick: "v1", compress: "zstd"},
	{name: "all-platforms.regclient-v1", in: inRegclient, pick: "v1", all: true},
	{name: "format-v2s2.regclient-a-example", in: inRegclient, pick: "a-example", format: "v2s2"},
	{name: "format-v2s2.regclient-v1", in: inRegclient, pick: "v1", format: "v2s2", layouts: []convert.Layout{convert.OCI}},
	{name: "platform-arm64.regclient-v1", in: inRegclient, pick: "v1", platforms: []string{"linux/arm64"}},

	// a gzip-compressed archive as input
	{name: "compress-zstd.gzip-archive", in: inGzipArchive, compress: "zstd"},
	// already in the compression asked for: copied, digests kept
	{name: "compress-zstd.skopeo-oci-zstd", in: inSkopeoZstd, compress: "zstd"},

	// attestations, referrers and signatures (testdata/supply)
	{name: "attestations-strip.buildkit", in: inBuildKit, atts: "strip"},
	{name: "attestations-referrers.buildkit", in: inBuildKit, atts: "referrers"},
	{name: "attestations-referrers-v2s2.buildkit", in: inBuildKit, atts: "referrers", format: "v2s2", layouts: []convert.Layout{convert.OCI}},
	{name: "attestations-docker.signed", in: inSigned, atts: "docker"},
	{name: "attestations-strip.signed", in: inSigned, atts: "strip"},
	{name: "platform-arm64.buildkit", in: inBuildKit, platforms: []string{"linux/arm64"}},
	{name: "compress-zstd.signed", in: inSigned, compress: "zstd"},
	{name: "format-v2s2.signed", in: inSigned, format: "v2s2", layouts: []convert.Layout{convert.OCI, convert.OCIArchive}},
	{name: "pick-ref.signed", in: inSigned, pick: "1"},
	// chunked layers: annotations kept as they are, dropped re-encoded
	{name: "compress-gzip.zstd-chunked", in: inChunked, compress: "gzip"},
	{name: "platform-amd64.sentinel", in: inSentinel, platforms: []string{"linux/amd64"}},
	{name: "compress-gzip.sentinel", in: inSentinel, compress: "gzip", layouts: []convert.Layout{convert.OCI}},
	// mislabelled layers, v2s2 carrying zstd
	{name: "all-platforms.mislabelled", in: inMislabelled, all: true},
	{name: "format-v2s2.v2s2-oci-zstd", in: inNerdctlZstd, format: "v2s2", layouts: []convert.Layout{convert.OCI, convert.Dir}},
}

func TestTransformGolden(t *testing.T) {
	inputs(t) // fails clearly when the third-party fixtures are missing
	if err := os.MkdirAll(transformDir, 0o755); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, c := range transformCases {
		for _, l := range c.layoutList() {
			if want[filepath.Base(c.golden(l))] {
				t.Fatalf("two cases write %s", c.golden(l))
			}
			want[filepath.Base(c.golden(l))] = true
		}
	}
	t.Run("cases", func(t *testing.T) {
		for _, c := range transformCases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				for _, l := range c.layoutList() {
					t.Run(string(l), func(t *testing.T) { checkTransform(t, c, l) })
				}
			})
		}
	})
	ents, err := os.ReadDir(transformDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".txtar") || want[e.Name()] {
			continue
		}
		p := filepath.Join(transformDir, e.Name())
		if *update {
			if err := os.Remove(p); err != nil {
				t.Error(err)
			}
			t.Logf("removed stale %s", p)
		} else {
			t.Errorf("%s: stale golden, no case makes it (run go test ./golden -update)", p)
		}
	}
}

// renderTransform is render's golden text with the options in its first line.
func renderTransform(c tcase, to convert.Layout, a *convert.Archive, p *convert.Plan, err error) []byte {
	b := render(c.in, to, a, p, err)
	_, rest, _ := bytes.Cut(b, []byte("\n"))
	head := fmt.Sprintf("retar transform golden: %s %s -> %s\n", c.in.display(), c.flags(), to)
	return append([]byte(head), rest...)
}

// checkTransform converts with the case's options, compares with the golden,
// and checks the output: it reads back and verifies, a second run writes the
// same bytes, and converting the output again with the same options (no pick)
// changes nothing: re-encoded layers are already as asked, filtered indexes
// already filtered, converted manifests already in the family.
func checkTransform(t *testing.T, c tcase, to convert.Layout) {
	ctx := context.Background()
	o, oerr := c.options(to)
	a, err := open(t, c.in)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if oerr != nil {
		compareGolden(t, c.golden(to), renderTransform(c, to, nil, nil, oerr))
		return
	}
	p, err := a.Convert(ctx, o)
	compareGolden(t, c.golden(to), renderTransform(c, to, a, p, err))
	if err != nil {
		if !errors.Is(err, convert.ErrUsage) && !errors.Is(err, convert.ErrLayout) {
			t.Logf("error is neither ErrUsage nor ErrLayout: %v", err)
		}
		return
	}
	first := planTar(t, p)

	a2, err := open(t, c.in)
	if err != nil {
		t.Fatal(err)
	}
	o2 := o // the second verifies blobs as it writes them, as the CLI does
	o2.VerifyAsWritten = true
	p2, err := a2.Convert(ctx, o2)
	if err != nil {
		t.Fatalf("second conversion, verified as written: %v", err)
	}
	if again := planTar(t, p2); !bytes.Equal(first, again) {
		t.Errorf("not reproducible: two conversions differ (the second verified as written)\n%s", lineDiff(listingOf(p), listingOf(p2)))
	}

	out := reopen(t, p, first, "out")
	if _, err := out.Verify(ctx, convert.Hashing{}); err != nil {
		t.Fatalf("verify the %s output: %v", to, err)
	}

	o.Pick = ""
	p3, err := reopen(t, p, first, "out").Convert(ctx, o)
	if err != nil {
		t.Fatalf("convert the output again with %s: %v", c.flags(), err)
	}
	if again := planTar(t, p3); !bytes.Equal(first, again) {
		t.Errorf("not idempotent: converting the %s output again with %q changes it\n%s", to, c.flags(), lineDiff(listingOf(p), listingOf(p3)))
	}
}

// files reads every regular entry of a plan.
func files(t *testing.T, p *convert.Plan) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	for i := range p.Entries {
		e := &p.Entries[i]
		if e.Type != tar.TypeReg {
			continue
		}
		var b bytes.Buffer
		if err := p.WriteContent(e, convert.WriterSink{Writer: &b}); err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		m[e.Name] = b.Bytes()
	}
	return m
}

// convertPlan converts a with o and returns the plan and its tar.
func convertPlan(t *testing.T, a *convert.Archive, o convert.Options) (*convert.Plan, []byte) {
	t.Helper()
	p, err := a.Convert(context.Background(), o)
	if err != nil {
		t.Fatalf("convert %s to %s: %v", a.Source, o.To, err)
	}
	return p, planTar(t, p)
}

// hopWith converts a with o, writes the output and opens it again.
func hopWith(t *testing.T, a *convert.Archive, o convert.Options) *convert.Archive {
	t.Helper()
	p, b := convertPlan(t, a, o)
	return reopen(t, p, b, a.Source+" -> "+string(o.To))
}

func tOpts(to convert.Layout, format convert.Format) convert.Options {
	o := opts(to)
	o.Format, o.Spill = format, convert.MemorySpill
	return o
}

func compressOpts(to convert.Layout, c convert.Compression, level int) convert.Options {
	o := opts(to)
	o.Recompress, o.Compress, o.CompressLevel, o.Spill = true, c, level, convert.MemorySpill
	return o
}

func rawManifest(t *testing.T, a *convert.Archive) []byte {
	t.Helper()
	in, err := a.Inspect(context.Background(), convert.InspectOptions{Host: host})
	if err != nil {
		t.Fatalf("inspect %s: %v", a.Source, err)
	}
	return in.RawManifest
}

func mustOpen(t *testing.T, in input) *convert.Archive {
	t.Helper()
	a, err := open(t, in)
	if err != nil {
		t.Fatalf("open %s: %v", in.display(), err)
	}
	return a
}

// TestFormatRoundTrip: a manifest converted to the other family and back is
// the same bytes, through every layout that stores manifests.
func TestFormatRoundTrip(t *testing.T) {
	inputs(t)
	mids := []convert.Layout{convert.OCI, convert.OCIArchive, convert.Dir}
	cases := []struct {
		in        input
		from, via convert.Format
		wantMT    string // the root's media type in between
	}{
		// v2s2 -> OCI -> v2s2
		{in: inDirV2S2, from: convert.FormatV2S2, via: convert.FormatOCI, wantMT: ocispec.MediaTypeImageManifest},
		// OCI (mediaType field present) -> v2s2 -> OCI
		{in: inPodmanOCI, from: convert.FormatOCI, via: convert.FormatV2S2, wantMT: convert.MediaTypeDockerManifest},
		// index -> manifest list -> index
		{in: inMulti, from: convert.FormatOCI, via: convert.FormatV2S2, wantMT: convert.MediaTypeDockerManifestList},
	}
	for _, c := range cases {
		for _, mid := range mids {
			t.Run(c.in.name+"/"+string(mid), func(t *testing.T) {
				t.Parallel()
				a := mustOpen(t, c.in)
				back := a.Layout
				orig := rawManifest(t, a)
				o := tOpts(mid, c.via)
				o.AllPlatforms = true // a dir: keeps an index only so
				m := hopWith(t, a, o)
				if got := rootOf(t, m.Images[0]).Desc.MediaType; got != c.wantMT {
					t.Errorf("%s: root media type %s, want %s", mid, got, c.wantMT)
				}
				between := rawManifest(t, m)
				if bytes.Equal(between, orig) {
					t.Fatalf("--format %s changed nothing", c.via)
				}
				checkFamily(t, m, c.via)
				o = tOpts(back, c.from)
				o.AllPlatforms = true
				r := hopWith(t, m, o)
				if got := rawManifest(t, r); !bytes.Equal(got, orig) {
					t.Errorf("%s -> %s -> %s: manifest bytes differ\n was %s\n got %s", back, mid, back, orig, got)
				}
				if got, want := summarize(t, r), summarize(t, a); got.config != want.config || !slices.Equal(got.diffIDs, want.diffIDs) {
					t.Errorf("config or diff_ids changed: %+v, was %+v", got, want)
				}
			})
		}
	}
	// A manifest list as the source: list -> index -> list.
	t.Run("manifest-list", func(t *testing.T) {
		t.Parallel()
		list := hopWith(t, mustOpen(t, inMulti), tOpts(convert.OCI, convert.FormatV2S2))
		orig := rawManifest(t, list)
		idx := hopWith(t, list, tOpts(convert.OCIArchive, convert.FormatOCI))
		if mt := rootOf(t, idx.Images[0]).Desc.MediaType; mt != ocispec.MediaTypeImageIndex {
			t.Errorf("root %s, want an OCI index", mt)
		}
		checkFamily(t, idx, convert.FormatOCI)
		back := hopWith(t, idx, tOpts(convert.OCI, convert.FormatV2S2))
		if got := rawManifest(t, back); !bytes.Equal(got, orig) {
			t.Errorf("manifest list -> index -> list: bytes differ\n was %s\n got %s", orig, got)
		}
		if got := rawManifest(t, hopWith(t, back, tOpts(convert.OCI, convert.FormatOCI))); !bytes.Equal(got, rawManifest(t, mustOpen(t, inMulti))) {
			t.Errorf("the index made back from the list is not the original index:\n%s", got)
		}
	})
}

// checkFamily checks every manifest and index below the images is in the
// family asked for, media types of configs and layers included.
func checkFamily(t *testing.T, a *convert.Archive, f convert.Format) {
	t.Helper()
	docker := f == convert.FormatV2S2
	for _, img := range a.Images {
		walkNodes(rootOf(t, img), func(n *convert.Node) {
			if n.Blob == nil {
				return
			}
			switch {
			case n.Index != nil:
				want := ocispec.MediaTypeImageIndex
				if docker {
					want = convert.MediaTypeDockerManifestList
				}
				if n.Index.MediaType != want || n.Desc.MediaType != want {
					t.Errorf("index %s: mediaType %q, descriptor %q, want %s", n.Desc.Digest, n.Index.MediaType, n.Desc.MediaType, want)
				}
			case n.Manifest != nil && len(n.Children) > 0 && n.Children[0].Config != nil:
				want := ocispec.MediaTypeImageManifest
				if docker {
					want = convert.MediaTypeDockerManifest
				}
				if n.Manifest.MediaType != want || n.Desc.MediaType != want {
					t.Errorf("manifest %s: mediaType %q, descriptor %q, want %s", n.Desc.Digest, n.Manifest.MediaType, n.Desc.MediaType, want)
				}
				if docker != (n.Manifest.Config.MediaType == convert.MediaTypeDockerConfig) {
					t.Errorf("manifest %s: config media type %s in a %s manifest", n.Desc.Digest, n.Manifest.Config.MediaType, f)
				}
				for _, l := range n.Manifest.Layers {
					isDocker := strings.HasPrefix(l.MediaType, "application/vnd.docker.")
					if isDocker != docker && !strings.HasSuffix(l.MediaType, "+zstd") {
						t.Errorf("manifest %s: layer media type %s in a %s manifest", n.Desc.Digest, l.MediaType, f)
					}
				}
			}
		})
	}
}

// layerDigests lists the layer digests and media types of an archive's first
// image (the host platform of an index).
func layerDigests(t *testing.T, a *convert.Archive) (digests, types []string) {
	t.Helper()
	in, err := a.Inspect(context.Background(), convert.InspectOptions{Host: host})
	if err != nil {
		t.Fatalf("inspect %s: %v", a.Source, err)
	}
	for _, l := range in.LayersData {
		digests = append(digests, l.Digest)
		types = append(types, l.MIMEType)
	}
	return
}

// TestCompressionChain: gzip -> zstd -> gzip -> none keeps the config bytes
// (image ID) and diff_ids at each hop, every output verifies (layers
// decompressed against their diff_ids), and none gives back the uncompressed
// layers; converting again with the same --compress copies layers untouched.
func TestCompressionChain(t *testing.T) {
	inputs(t)
	for _, in := range []input{inDirV2S2, inDockerSave, inPodmanOCI} {
		for _, l := range layouts {
			t.Run(in.name+"/"+string(l), func(t *testing.T) {
				t.Parallel()
				a := mustOpen(t, in)
				want := summarize(t, a)
				cur := a
				for _, c := range []convert.Compression{convert.Gzip, convert.Zstd, convert.Gzip, convert.Uncompressed} {
					p, b := convertPlan(t, cur, compressOpts(l, c, 0))
					next := reopen(t, p, b, fmt.Sprintf("%s -> %s %s", cur.Source, l, c))
					if _, err := next.Verify(context.Background(), convert.Hashing{}); err != nil {
						t.Fatalf("%s: verify: %v", c, err)
					}
					got := summarize(t, next)
					if got.config != want.config || !slices.Equal(got.diffIDs, want.diffIDs) {
						t.Fatalf("%s: config %s diff_ids %v, were %s %v", c, got.config, got.diffIDs, want.config, want.diffIDs)
					}
					if l == convert.DockerArchive {
						if id := p.Images[0].ID; id != want.config {
							t.Errorf("%s: image ID %s, was %s", c, id, want.config)
						}
					}
					digests, types := layerDigests(t, next)
					for i, mt := range types {
						if mt != layerType(c, mt) {
							t.Errorf("%s: layer %d has media type %s", c, i, mt)
						}
					}
					if c == convert.Uncompressed && !slices.Equal(digests, want.diffIDs) {
						t.Errorf("none: layer digests %v, want the diff_ids %v", digests, want.diffIDs)
					}
					// Idempotence: the same --compress again copies every layer.
					p2, b2 := convertPlan(t, next, compressOpts(l, c, 0))
					if !bytes.Equal(b, b2) {
						t.Errorf("--compress %s twice: the second pass changes the output\n%s", c, lineDiff(listingOf(p), listingOf(p2)))
					}
					cur = next
				}
			})
		}
	}
}

// layerType is the media type a layer of compression c should have, in the
// family of have.
func layerType(c convert.Compression, have string) string {
	docker := strings.HasPrefix(have, "application/vnd.docker.")
	switch {
	case c == convert.Zstd:
		return "application/vnd.oci.image.layer.v1.tar+zstd"
	case c == convert.Gzip && docker:
		return convert.MediaTypeDockerLayerGzip
	case c == convert.Gzip:
		return ocispec.MediaTypeImageLayerGzip
	case docker:
		return convert.MediaTypeDockerLayer
	}
	return ocispec.MediaTypeImageLayer
}

// genImage writes a docker-archive of n layers of size bytes each, half
// pseudo-random and half text, uncompressed or compressed by c, and returns
// its path.
func genImage(t testing.TB, dir string, n, size int, c convert.Compression, seed int64) string {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	var layers [][]byte
	for i := range n {
		body := make([]byte, size)
		rng.Read(body[:size/2])
		text := []byte(fmt.Sprintf("layer %d line of text for a retar test image, repeated.\n", i))
		for j := size / 2; j < size; j += len(text) {
			copy(body[j:], text)
		}
		layers = append(layers, imagetest.Members{{Name: fmt.Sprintf("data/%d.bin", i), Body: body}}.Tar(t))
	}
	img := imagetest.New(t, imagetest.LayerTars(layers...), imagetest.Compress(stored[c]), imagetest.Names("example.com/retar/gen:1"))
	p := filepath.Join(dir, fmt.Sprintf("gen-%d-%s.tar", seed, c))
	img.DockerArchive(t).WriteFile(t, p)
	return p
}

// stored is how imagetest names each compression.
var stored = map[convert.Compression]imagetest.Compression{convert.Uncompressed: imagetest.None, convert.Gzip: imagetest.Gzip, convert.Zstd: imagetest.Zstd}

// TestRecompressReproducible: two runs with the same options write the same
// bytes, at several levels, whatever the parallelism; levels take effect.
func TestRecompressReproducible(t *testing.T) {
	dir := t.TempDir()
	src := genImage(t, dir, 4, 48<<10, convert.Uncompressed, 1)
	gz := genImage(t, dir, 3, 32<<10, convert.Gzip, 2)
	type run struct {
		c     convert.Compression
		level int
	}
	runs := []run{{convert.Gzip, 0}, {convert.Gzip, 1}, {convert.Gzip, 9}, {convert.Zstd, 0}, {convert.Zstd, 1}, {convert.Zstd, 19}, {convert.Uncompressed, 0}}
	for _, from := range []string{src, gz} {
		for _, r := range runs {
			t.Run(fmt.Sprintf("%s/%s-%d", filepath.Base(from), r.c, r.level), func(t *testing.T) {
				t.Parallel()
				var outs [][]byte
				for _, par := range []int{1, 2, 2} {
					o := compressOpts(convert.OCIArchive, r.c, r.level)
					o.Hashing.Parallel = par
					_, b := convertPlan(t, imagetest.OpenPath(t, from), o)
					outs = append(outs, b)
				}
				if !bytes.Equal(outs[0], outs[1]) || !bytes.Equal(outs[1], outs[2]) {
					t.Errorf("outputs differ: %d, %d, %d bytes (Parallel 1, 2, 2)", len(outs[0]), len(outs[1]), len(outs[2]))
				}
			})
		}
	}
	// Levels are applied: the fastest and the best level differ.
	output := func(c convert.Compression, level int) []byte {
		_, b := convertPlan(t, imagetest.OpenPath(t, src), compressOpts(convert.OCIArchive, c, level))
		return b
	}
	for _, c := range []convert.Compression{convert.Gzip, convert.Zstd} {
		lo, hi := 1, 9
		if c == convert.Zstd {
			hi = 19
		}
		if bytes.Equal(output(c, lo), output(c, hi)) {
			t.Errorf("%s levels %d and %d write the same bytes: the level is not applied", c, lo, hi)
		}
	}
}

// badLayer is a one-layer image whose config lists the diff_id of layer
// and whose layer file holds stored; a docker-archive names no layer
// digest, so the bytes are taken as they are and only decompressing tells.
func badLayer(t *testing.T, stored, layer []byte) imagetest.Image {
	t.Helper()
	img := imagetest.New(t, imagetest.LayerTars(layer), imagetest.Names("example.com/retar/bad:1"))
	img.Blobs = [][]byte{stored}
	return img
}

// badLayerArchive writes badLayer's docker-archive and returns its path.
func badLayerArchive(t *testing.T, stored, layer []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bad.tar")
	badLayer(t, stored, layer).DockerArchive(t).WriteFile(t, p)
	return p
}

// TestTransformBadInput: corrupt layers fail the re-encoding with an error
// naming the blob, and nothing is planned.
func TestTransformBadInput(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	raw := make([]byte, 64<<10)
	rng.Read(raw[:32<<10])
	copy(raw[32<<10:], bytes.Repeat([]byte("text of a layer "), 2<<10))
	layer := imagetest.Members{{Name: "f.bin", Body: raw}}.Tar(t)
	gz := imagetest.Gzip.Compress(t, layer)
	zs := imagetest.Zstd.Compress(t, layer)

	other := []byte("another layer") // a diff_id no layer here has
	file := badLayer(t, layer, layer).DockerLayerPath(0)

	cases := []struct {
		name    string
		src     string
		to      convert.Compression
		what    string // DigestError.What, or "" for a LayoutError
		message string // part of the message
	}{
		{"corrupt-gzip", badLayerArchive(t, imagetest.Flip(gz), layer), convert.Zstd, "", file},
		{"diff-id-gzip", badLayerArchive(t, gz, other), convert.Zstd, "diff_id", file + ": diff_id mismatch"},
		{"diff-id-uncompressed", badLayerArchive(t, layer, other), convert.Gzip, "diff_id", file + ": diff_id mismatch"},
		{"truncated-zstd", badLayerArchive(t, zs[:len(zs)*2/3], layer), convert.Gzip, "", file},
		{"truncated-gzip", badLayerArchive(t, gz[:len(gz)-9], layer), convert.Uncompressed, "", file},
	}
	for _, c := range cases {
		for _, l := range layouts {
			t.Run(c.name+"/"+string(l), func(t *testing.T) {
				a := imagetest.OpenPath(t, c.src)
				p, err := a.Convert(context.Background(), compressOpts(l, c.to, 0))
				if err == nil {
					t.Fatalf("converted with --compress %s: %d entries", c.to, len(p.Entries))
				}
				t.Logf("%v", err)
				if p != nil {
					t.Errorf("a plan came back with the error %v", err)
				}
				if !strings.Contains(err.Error(), c.message) || strings.Contains(err.Error(), "\n") {
					t.Errorf("error %q, want one line naming %q", err, c.message)
				}
				var de *convert.DigestError
				switch {
				case c.what != "" && (!errors.As(err, &de) || de.What != c.what):
					t.Errorf("error %v (%T), want a %s DigestError", err, err, c.what)
				case c.what == "" && !errors.Is(err, convert.ErrLayout) && !errors.Is(err, convert.ErrDigestMismatch):
					t.Errorf("error %v (%T), want a LayoutError", err, err)
				}
			})
		}
	}
	// The same corruptions in a layout that names layer digests (dir:): the
	// digest is right, so only decompressing tells.
	t.Run("dir-truncated-zstd", func(t *testing.T) {
		d := t.TempDir()
		bad := zs[:len(zs)*2/3]
		img := imagetest.New(t, imagetest.LayerTars(layer), imagetest.Compress(imagetest.Zstd))
		img.Blobs = [][]byte{bad}
		img.Dir(t).WriteDir(t, d)
		a := imagetest.OpenPath(t, d)
		_, err := a.Convert(context.Background(), compressOpts(convert.OCI, convert.Gzip, 0))
		if err == nil || !strings.Contains(err.Error(), digest.FromBytes(bad).Encoded()) {
			t.Errorf("error %v, want one naming the truncated blob", err)
		}
	})
}

// TestPlatformNoMatchListsPlatforms: --platform that matches nothing fails
// with a usage error that says which platforms the source has, whatever the
// destination.
func TestPlatformNoMatchListsPlatforms(t *testing.T) {
	inputs(t)
	for _, l := range layouts {
		t.Run(string(l), func(t *testing.T) {
			o := opts(l)
			o.Platforms = []ocispec.Platform{{OS: "linux", Architecture: "s390x"}}
			_, err := mustOpen(t, inMulti).Convert(context.Background(), o)
			if err == nil || !errors.Is(err, convert.ErrUsage) {
				t.Fatalf("error %v, want a usage error", err)
			}
			if !strings.Contains(err.Error(), "linux/amd64") || !strings.Contains(err.Error(), "linux/arm64") {
				t.Errorf("error %q does not list the platforms present (linux/amd64, linux/arm64)", err)
			}
		})
	}
}

// TestPlatformMismatchRefusedInEveryLayout: an image of one platform asked
// for as another is refused in every layout; OCI layouts refuse it, but a
// docker-archive or dir: writes the linux/amd64 image for --platform linux/arm64.
func TestPlatformMismatchRefusedInEveryLayout(t *testing.T) {
	inputs(t)
	for _, l := range layouts {
		t.Run(string(l), func(t *testing.T) {
			o := opts(l)
			o.Platforms = []ocispec.Platform{{OS: "linux", Architecture: "arm64"}}
			p, err := mustOpen(t, inDockerSave).Convert(context.Background(), o)
			if err == nil {
				t.Fatalf("--platform linux/arm64 of a linux/amd64 image to %s: written (%d entries), want a usage error", l, len(p.Entries))
			}
			if !errors.Is(err, convert.ErrUsage) || !strings.Contains(err.Error(), "linux/amd64") {
				t.Errorf("error %v, want a usage error naming linux/amd64", err)
			}
		})
	}
}

// TestFormatDockerArchiveNotice: --format has no effect on a docker-archive
// and says so; the output is the one without --format.
func TestFormatDockerArchiveNotice(t *testing.T) {
	inputs(t)
	for _, f := range []convert.Format{convert.FormatOCI, convert.FormatV2S2} {
		a := mustOpen(t, inDirV2S2)
		p, b := convertPlan(t, a, tOpts(convert.DockerArchive, f))
		if !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, "--format has no effect") }) {
			t.Errorf("--format %s to a docker-archive: no notice in %q", f, p.Warnings)
		}
		_, plain := convertPlan(t, mustOpen(t, inDirV2S2), opts(convert.DockerArchive))
		if !bytes.Equal(b, plain) {
			t.Errorf("--format %s changed the docker-archive", f)
		}
	}
}

// TestAllPlatformsNoticeAdvice: with --all-platforms a docker-archive's
// manifest.json takes the host's platform; the notice must not advise
// --platform, which the CLI refuses together with --all-platforms.
func TestAllPlatformsNoticeAdvice(t *testing.T) {
	inputs(t)
	o := opts(convert.DockerArchive)
	o.AllPlatforms = true
	p, err := mustOpen(t, inMulti).Convert(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range p.Warnings {
		if strings.Contains(w, "choose with --platform") {
			t.Errorf("notice %q advises --platform, which --all-platforms excludes", w)
		}
	}
}

// TestCompressAsSourceChangesNothing: --compress naming the compression the
// layers already have copies them, so the output is the one without it.
func TestCompressAsSourceChangesNothing(t *testing.T) {
	inputs(t)
	for _, c := range []struct {
		in input
		c  convert.Compression
	}{{inDirV2S2, convert.Gzip}, {inSkopeoZstd, convert.Zstd}, {inDockerSave, convert.Uncompressed}, {inDiveOCIPlain, convert.Uncompressed}} {
		for _, l := range layouts {
			t.Run(c.in.name+"/"+string(l), func(t *testing.T) {
				t.Parallel()
				keep := opts(l)
				keep.KeepZstd = true // --compress keep: zstd stays zstd even for docker
				_, plain := convertPlan(t, mustOpen(t, c.in), keep)
				level := 9
				if c.c == convert.Uncompressed {
					level = 0 // a level with none is a usage error
				}
				_, got := convertPlan(t, mustOpen(t, c.in), compressOpts(l, c.c, level))
				if !bytes.Equal(plain, got) {
					t.Errorf("--compress %s (what the layers are) changed the output", c.c)
				}
			})
		}
	}
}

// regclientSubset writes an OCI layout holding the regclient testrepo's
// files with an index.json listing only the named entries of the original.
func regclientSubset(t *testing.T, refs ...string) *convert.Archive {
	t.Helper()
	layout := imagetest.ReadDir(t, inRegclient.file())
	var idx ocispec.Index
	if err := json.Unmarshal(layout.Get(t, "index.json"), &idx); err != nil {
		t.Fatal(err)
	}
	var keep []ocispec.Descriptor
	for _, r := range refs {
		for _, m := range idx.Manifests {
			if m.Annotations[ocispec.AnnotationRefName] == r {
				keep = append(keep, m)
			}
		}
	}
	if len(keep) != len(refs) {
		t.Fatalf("found %d of %v", len(keep), refs)
	}
	idx.Manifests = keep
	d := t.TempDir()
	layout.Set(t, "index.json", imagetest.JSON(t, idx)).WriteDir(t, d)
	return imagetest.OpenPath(t, d)
}

// artifactDockerConfig is regclient's "a-docker": an artifact (config "{}",
// one application/vnd.example.build-type+json layer) whose config carries the
// OCI image config media type, as artifacts did before artifactType; the v1
// index lists it and a sibling as BuildKit-style "builder" entries.
const artifactDockerConfig = "sha256:43089316cfeec5c2f7897591f5925167afda21932cf71a1a1264684930e7b40a"

// TestArtifactsLeftOutOfDockerArchive: a docker-archive holds images only;
// artifacts among the images are left out with a notice, whatever media type
// their config claims. Control: an artifact with the empty config type is.
func TestArtifactsLeftOutOfDockerArchive(t *testing.T) {
	inputs(t)
	for _, c := range []struct{ name, artifact string }{
		{"empty-config-type", "a-example"},
		{"image-config-type", "a-docker"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := regclientSubset(t, "v1", c.artifact)
			p, err := a.Convert(context.Background(), opts(convert.DockerArchive))
			if err != nil {
				t.Fatalf("an image and the artifact %s to a docker-archive: %v", c.artifact, err)
			}
			if !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, "not a container image") }) {
				t.Errorf("no notice of the artifact left out: %q", p.Warnings)
			}
			if len(p.Images) != 1 {
				t.Errorf("%d images written, want 1", len(p.Images))
			}
		})
	}
}

// TestPlatformKeepsArtifacts: --platform filters images; an artifact, which
// has no platform, is no reason to fail: neither a manifest of its own nor an
// index of artifacts only (regclient's referrers tag "sha256-7e87ffc9…",
// which lists one artifact and no platform).
func TestPlatformKeepsArtifacts(t *testing.T) {
	inputs(t)
	for _, art := range []string{"a-example", "a-docker", "sha256-7e87ffc91b9ceafa85be2777b16b1be10e4664fd4f3acc86e4295b97da5163ba"} {
		for _, l := range []convert.Layout{convert.OCI, convert.OCIArchive} {
			t.Run(art[:min(len(art), 16)]+"/"+string(l), func(t *testing.T) {
				o := opts(l)
				o.Platforms = []ocispec.Platform{{OS: "linux", Architecture: "amd64"}}
				if _, err := regclientSubset(t, "v1", art).Convert(context.Background(), o); err != nil {
					t.Errorf("--platform linux/amd64 of an image index and the artifact %s: %v", art, err)
				}
			})
		}
	}
}

// TestTransformsKeepArtifactBytes: --compress and --format change image
// manifests only; artifacts keep their bytes (their "layers" are no tar
// layers to re-encode, and no docker media type fits them).
func TestTransformsKeepArtifactBytes(t *testing.T) {
	inputs(t)
	for _, c := range []struct {
		name string
		o    convert.Options
	}{
		{"compress-zstd", compressOpts(convert.OCI, convert.Zstd, 0)},
		{"compress-gzip", compressOpts(convert.OCI, convert.Gzip, 0)},
		{"format-v2s2", tOpts(convert.OCI, convert.FormatV2S2)},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := regclientSubset(t, "v1", "a-docker")
			out := hopWith(t, a, c.o)
			found := map[string]bool{}
			for _, img := range out.Images {
				walkNodes(rootOf(t, img), func(n *convert.Node) { found[n.Desc.Digest.String()] = true })
			}
			if !found[artifactDockerConfig] {
				var got []string
				walkNodes(rootOf(t, out.Images[1]), func(n *convert.Node) {
					if n.Manifest != nil {
						got = append(got, fmt.Sprintf("%s %s layers %v", n.Desc.Digest, n.Manifest.Config.MediaType, n.Manifest.Layers[0].MediaType))
					}
				})
				t.Errorf("the artifact %s was rewritten: %v", artifactDockerConfig, got)
			}
		})
	}
}

// TestReferenceDigestFollowsRewrite: an index entry that refers to another
// by vnd.docker.reference.digest (BuildKit attestations, regclient's builder
// entries) must still name a manifest of the index once --compress or
// --format has given that manifest a new digest.
func TestReferenceDigestFollowsRewrite(t *testing.T) {
	inputs(t)
	for _, c := range []struct {
		name string
		o    convert.Options
	}{
		{"compress-zstd", compressOpts(convert.OCI, convert.Zstd, 0)},
		{"format-v2s2", tOpts(convert.OCI, convert.FormatV2S2)},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := mustOpen(t, inRegclient)
			o := c.o
			o.Pick = "v1"
			out := hopWith(t, a, o)
			root := rootOf(t, out.Images[0])
			if root.Index == nil {
				t.Fatalf("root %s is no index", root.Desc.MediaType)
			}
			listed := map[string]bool{}
			for _, m := range root.Index.Manifests {
				listed[m.Digest.String()] = true
			}
			for _, m := range root.Index.Manifests {
				if ref := m.Annotations["vnd.docker.reference.digest"]; ref != "" && !listed[ref] {
					t.Errorf("entry %s refers to %s, which the index no longer lists", m.Digest, ref)
				}
			}
		})
	}
}

// TestTransformSweep converts every golden input with each transformation to
// each layout (no goldens): where the conversion succeeds, the output
// verifies, keeps the image (config and diff_ids), and converting it again
// with the same options changes nothing.
func TestTransformSweep(t *testing.T) {
	sets := []struct {
		name string
		o    func(convert.Layout) convert.Options
	}{
		{"compress-zstd", func(l convert.Layout) convert.Options { return compressOpts(l, convert.Zstd, 0) }},
		{"format-v2s2-none", func(l convert.Layout) convert.Options {
			o := compressOpts(l, convert.Uncompressed, 0)
			o.Format = convert.FormatV2S2
			return o
		}},
	}
	for _, in := range inputs(t) {
		t.Run(in.name, func(t *testing.T) {
			if n := sizeOf(t, in.file()); raceEnabled && n > 256<<10 {
				t.Skipf("%d KiB: too big for the sweep under -race (make unit runs it without)", n>>10)
			}
			t.Parallel()
			for _, s := range sets {
				for _, l := range layouts {
					t.Run(s.name+"/"+string(l), func(t *testing.T) {
						ctx := context.Background()
						// Every input opens (no golden records an open
						// error): one that stops opening is a regression.
						a, err := open(t, in)
						if err != nil {
							t.Fatalf("open: %v", err)
						}
						p, err := a.Convert(ctx, s.o(l))
						if err != nil {
							// The same conversion without the option must fail too.
							if _, perr := mustOpen(t, in).Convert(ctx, opts(l)); perr == nil {
								t.Fatalf("fails with %s only: %v", s.name, err)
							}
							return
						}
						b := planTar(t, p)
						out := reopen(t, p, b, "out")
						if _, err := out.Verify(ctx, convert.Hashing{}); err != nil {
							t.Fatalf("verify: %v", err)
						}
						if len(a.Images) == 1 && (rootOf(t, a.Images[0]).Index == nil || l == convert.OCI || l == convert.OCIArchive) {
							want, got := summarize(t, mustOpen(t, in)), summarize(t, out)
							if got.config != want.config || !slices.Equal(got.diffIDs, want.diffIDs) {
								t.Errorf("image changed: config %s diff_ids %v, were %s %v", got.config, got.diffIDs, want.config, want.diffIDs)
							}
						}
						p2, err := reopen(t, p, b, "out").Convert(ctx, s.o(l))
						if err != nil {
							t.Fatalf("convert the output again: %v", err)
						}
						if again := planTar(t, p2); !bytes.Equal(b, again) {
							t.Errorf("not idempotent:\n%s", lineDiff(listingOf(p), listingOf(p2)))
						}
					})
				}
			}
		})
	}
}

// sizeOf is a file's size, or the total of a directory's files.
func sizeOf(t *testing.T, p string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(p, func(_ string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if fi, err := d.Info(); err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
