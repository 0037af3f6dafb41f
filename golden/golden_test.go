// Package golden_test converts real image archives, written by other tools,
// into every layout and compares each plan with a readable golden file.
package golden_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
)

var update = flag.Bool("update", false, "rewrite the golden files that differ (inputs are never touched)")

// host is pinned so goldens do not depend on the machine running the tests.
var host = ocispec.Platform{OS: "linux", Architecture: "amd64"}

var layouts = []convert.Layout{convert.DockerArchive, convert.OCIArchive, convert.OCI, convert.Dir}

const goldenDir = "testdata/golden"

// input is one source the goldens are made from. path is relative to the
// third-party archives (testdata/thirdparty) or, for real, to testdata/real.
type input struct {
	name   string // golden file stem
	path   string
	real   bool
	supply bool // in testdata/supply, made by testdata/mksupply
	// folder is where under testdata a real input is: "real" (the default),
	// or "real-docker29" (docker 29's own saves, both stores).
	folder string
}

// realFolders are the folders of real inputs, each entry of which is an input.
var realFolders = []string{"real", "real-docker29"}

func (in input) realFolder() string {
	if in.folder != "" {
		return in.folder
	}
	return "real"
}

// fixturesDir holds the third-party interop corpus (see its PROVENANCE.md).
var fixturesDir = filepath.Join("testdata", "thirdparty")

// curated are third-party fixtures, one or two per shape an archive comes in.
var curated = []input{
	// legacy docker save: v1 dirs + repositories + manifest.json
	{name: "dive-docker-save", path: "wagoodman__dive/.data/test-docker-image.tar"},
	{name: "jib-docker-save", path: "GoogleContainerTools__jib/jib-core/src/test/resources/core/extraction/docker-save.tar"},
	// ggcr tarball.Write (kaniko): config "sha256:<hex>", gzip layers
	{name: "dive-kaniko", path: "wagoodman__dive/.data/test-kaniko-image.tar"},
	// Jib: lowercase manifest.json keys, config.json
	{name: "jib-image", path: "GoogleContainerTools__jib/jib-core/src/test/resources/core/extraction/jib-image.tar"},
	// hybrids: OCI layout + docker manifest.json
	{name: "ggcr-hello-world-v25", path: "google__go-containerregistry/pkg/v1/tarball/testdata/hello-world-v25.tar"},
	{name: "oras-hello-world", path: "oras-project__oras-go/content/oci/testdata/hello-world.tar"},
	{name: "oras-hello-world-prefixed", path: "oras-project__oras-go/content/oci/testdata/hello-world-prefixed-path.tar"},
	{name: "common-buildkit-docker", path: "containers__common/libimage/testdata/buildkit-docker.tar"},
	// pre-1.10: repositories, no manifest.json
	{name: "ggcr-no-manifest", path: "google__go-containerregistry/pkg/v1/tarball/testdata/no_manifest.tar"},
	{name: "moby-empty-layer", path: "moby__moby/integration-cli/testdata/emptyLayer.tar"},
	// several images in one docker-archive
	{name: "ggcr-test-bundle", path: "google__go-containerregistry/pkg/v1/tarball/testdata/test_bundle.tar"},
	{name: "ggcr-test-link", path: "google__go-containerregistry/pkg/v1/tarball/testdata/test_link.tar"},
	// a config whose file name claims another digest (hand-edited): a notice
	{name: "ggcr-config-name-mismatch", path: "google__go-containerregistry/pkg/v1/mutate/testdata/source_image_with_empty_layer_history.tar"},
	// foreign layers, present and absent
	{name: "ggcr-foreign", path: "google__go-containerregistry/pkg/v1/tarball/testdata/foreign.tar"},
	{name: "ggcr-sparse-foreign", path: "google__go-containerregistry/pkg/v1/tarball/testdata/sparse_foreign.tar"},
	// gzip-compressed whole archives
	{name: "ggcr-test-image-1-gz", path: "google__go-containerregistry/pkg/v1/tarball/testdata/test_image_1.tar.gz"},
	{name: "podman-oci-non-docker-name-gz", path: "containers__podman/test/e2e/testdata/oci-non-docker-name.tar.gz"},
	// OCI layout directories
	{name: "ggcr-layout-one-image", path: "google__go-containerregistry/pkg/v1/layout/testdata/test_index_one_image"},
	{name: "ggcr-layout-index", path: "google__go-containerregistry/pkg/v1/layout/testdata/test_index"},
	{name: "stereoscope-multiplatform", path: "anchore__stereoscope/pkg/image/oci/testdata/multiplatform_oci_dir"},
	{name: "regclient-testrepo", path: "regclient__regclient/testdata/testrepo"},
	// Docker schema 1 in dir: layouts (signed; an old one with <hex>.tar blobs)
	{name: "skopeo-schema1-uncompressed", path: "containers__skopeo/integration/fixtures/uncompressed-image-s1"},
	{name: "skopeo-schema1-busybox", path: "containers__skopeo/integration/images/busybox-latest"},
	// BuildKit oci-archives: gzip, zstd, uncompressed layers
	{name: "dive-oci-gzip", path: "wagoodman__dive/.data/test-oci-gzip-image.tar"},
	{name: "dive-oci-zstd", path: "wagoodman__dive/.data/test-oci-zstd-image.tar"},
	{name: "dive-oci-uncompressed", path: "wagoodman__dive/.data/test-oci-uncompressed-image.tar"},
	// containers/image dir: layouts
	{name: "common-scratch-dir", path: "containers__common/libimage/testdata/scratch-dir-5pec!@L"},
	{name: "skopeo-uncompressed-s2", path: "containers__skopeo/integration/fixtures/uncompressed-image-s2"},
}

// knownBugs are inputs, by display name, whose conversions hit a core bug.
// Their goldens are left out (and round trips skip the affected check); when
// the bug is fixed, delete the entry, run go test ./golden -update and review.
var knownBugs = map[string]string{}

// inputs is the curated list plus every entry of testdata/real and
// testdata/real-docker29.
func inputs(t *testing.T) []input {
	t.Helper()
	if fi, err := os.Stat(fixturesDir); err != nil || !fi.IsDir() {
		t.Fatalf("third-party fixtures not found at %s (golden/testdata/thirdparty)", fixturesDir)
	}
	list := append([]input(nil), curated...)
	for _, folder := range realFolders {
		ents, err := os.ReadDir(filepath.Join("testdata", folder))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			if e.Name() == "README.md" || strings.HasSuffix(e.Name(), ".xz") {
				continue
			}
			list = append(list, input{name: "real-" + strings.TrimSuffix(e.Name(), ".tar"), path: e.Name(), real: true, folder: folder})
		}
	}
	ents, err := os.ReadDir(supplyDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() != "README.md" {
			list = append(list, input{name: "supply-" + strings.TrimSuffix(e.Name(), ".tar"), path: e.Name(), supply: true})
		}
	}
	return list
}

// supplyDir holds images with attestations, referrers, signatures, chunked
// and mislabelled layers (see its README.md).
var supplyDir = filepath.Join("testdata", "supply")

func (in input) file() string {
	if in.supply {
		return filepath.Join(supplyDir, in.path)
	}
	if in.real {
		return filepath.Join("testdata", in.realFolder(), in.path)
	}
	return filepath.Join(fixturesDir, filepath.FromSlash(in.path))
}

// display is the source name given to the core, so messages are stable.
func (in input) display() string {
	if in.supply {
		return "supply/" + in.path
	}
	if in.real {
		return in.realFolder() + "/" + in.path
	}
	return "fixtures/" + in.path
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func goldenPath(in input, l convert.Layout) string {
	return filepath.Join(goldenDir, unsafeChars.ReplaceAllString(in.name, "_")+"."+string(l)+".txtar")
}

// open opens an input as the CLI would (imagetest.PathInput), named as
// display says; a gzip-compressed file is decompressed into a temp file.
func open(t *testing.T, in input) (*convert.Archive, error) {
	t.Helper()
	p := in.file()
	if strings.HasSuffix(p, ".gz") {
		p = gunzip(t, p)
	}
	return convert.Open(imagetest.PathInput(t, in.display(), p))
}

// gunzip decompresses the file p into a temp file and returns its path.
func gunzip(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.CreateTemp(t.TempDir(), "gunzip-*.tar")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	return out.Name()
}

// planTar writes a plan as a tar into memory.
func planTar(t *testing.T, p *convert.Plan) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := p.WriteTar(convert.WriterSink{Writer: &buf}); err != nil {
		t.Fatalf("WriteTar: %v", err)
	}
	return buf.Bytes()
}

// reopen materialises a plan as the CLI would (a tar file, or a directory of
// files) and opens it again.
func reopen(t *testing.T, p *convert.Plan, tarBytes []byte, name string) *convert.Archive {
	t.Helper()
	dir := t.TempDir()
	in := convert.Input{Name: name, Layout: p.Layout}
	if p.Layout.IsArchive() {
		fp := filepath.Join(dir, "out.tar")
		if err := os.WriteFile(fp, tarBytes, 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(fp)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		in.Archive, in.Size = f, int64(len(tarBytes))
	} else {
		for i := range p.Entries {
			e := &p.Entries[i]
			fp := filepath.Join(dir, filepath.FromSlash(e.Name))
			switch e.Type {
			case tar.TypeDir:
				if err := os.MkdirAll(fp, 0o755); err != nil {
					t.Fatal(err)
				}
			case tar.TypeReg:
				if err := os.MkdirAll(filepath.Dir(fp), 0o755); err != nil {
					t.Fatal(err)
				}
				f, err := os.Create(fp)
				if err != nil {
					t.Fatal(err)
				}
				err = p.WriteContent(e, convert.WriterSink{Writer: f})
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					t.Fatalf("%s: %v", e.Name, err)
				}
			default:
				t.Fatalf("%s: %s layout with a %q entry", e.Name, p.Layout, e.Type)
			}
		}
		in.Dir = os.DirFS(dir)
	}
	a, err := convert.Open(in)
	if err != nil {
		t.Fatalf("re-open the %s output: %v", p.Layout, err)
	}
	if a.Layout != p.Layout {
		t.Errorf("the %s output reads back as %s", p.Layout, a.Layout)
	}
	return a
}

func opts(to convert.Layout) convert.Options {
	return convert.Options{To: to, Host: host}
}

func TestGolden(t *testing.T) {
	list := inputs(t)
	want := map[string]bool{}
	for _, in := range list {
		if knownBugs[in.display()] != "" {
			continue
		}
		for _, l := range layouts {
			want[filepath.Base(goldenPath(in, l))] = true
		}
	}
	if err := os.MkdirAll(goldenDir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Run("inputs", func(t *testing.T) {
		for _, in := range list {
			t.Run(in.name, func(t *testing.T) {
				if bug := knownBugs[in.display()]; bug != "" {
					t.Skipf("left out: %s", bug)
				}
				t.Parallel()
				for _, l := range layouts {
					t.Run(string(l), func(t *testing.T) { checkConversion(t, in, l) })
				}
			})
		}
	})
	// Goldens no input makes any more are removed on -update, reported otherwise.
	ents, err := os.ReadDir(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".txtar") || want[e.Name()] {
			continue
		}
		p := filepath.Join(goldenDir, e.Name())
		if *update {
			if err := os.Remove(p); err != nil {
				t.Error(err)
			}
			t.Logf("removed stale %s", p)
		} else {
			t.Errorf("%s: stale golden, no input makes it (run go test ./golden -update)", p)
		}
	}
}

// checkConversion converts one input to one layout, compares the plan with its
// golden, and checks the output: it reads back, verifies, converts to itself
// byte for byte, and a second conversion of the input gives the same bytes.
func checkConversion(t *testing.T, in input, to convert.Layout) {
	ctx := context.Background()
	a, err := open(t, in)
	if err != nil {
		compareGolden(t, goldenPath(in, to), render(in, to, nil, nil, fmt.Errorf("open: %w", err)))
		return
	}
	p, err := a.Convert(ctx, opts(to))
	compareGolden(t, goldenPath(in, to), render(in, to, a, p, err))
	if err != nil {
		return
	}
	first := planTar(t, p)
	if n := p.TarSize(); n != int64(len(first)) && !hasLongNames(p) {
		t.Errorf("TarSize says %d bytes, WriteTar wrote %d", n, len(first))
	}

	// Reproducible: a fresh open and conversion writes the same bytes, also
	// when the blobs are verified as they are written (as the CLI does).
	a2, err := open(t, in)
	if err != nil {
		t.Fatalf("second open: %v", err)
	}
	o := opts(to)
	o.VerifyAsWritten = true
	p2, err := a2.Convert(ctx, o)
	if err != nil {
		t.Fatalf("second conversion, verified as written: %v", err)
	}
	if again := planTar(t, p2); !bytes.Equal(first, again) {
		t.Errorf("not reproducible: two conversions to %s differ (%d and %d bytes; the second verified as written)\n%s",
			to, len(first), len(again), lineDiff(listingOf(p), listingOf(p2)))
	}

	// The output is a valid source that verifies.
	out := reopen(t, p, first, "out")
	if _, err := out.Verify(ctx, convert.Hashing{}); err != nil {
		t.Fatalf("verify the %s output: %v", to, err)
	}

	if why, ok := repaired[in.name]; ok && to != convert.DockerArchive { // which stores no manifest
		if !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, why) }) {
			t.Errorf("%s: no notice says the repair (%q)", to, why)
		}
	} else {
		checkKept(t, a, out)
	}

	// Idempotent: converting the output to its own layout changes nothing.
	p3, err := reopen(t, p, first, "out").Convert(ctx, opts(to))
	if err != nil {
		t.Fatalf("convert the %s output to %s: %v", to, to, err)
	}
	if again := planTar(t, p3); !bytes.Equal(first, again) {
		t.Errorf("not idempotent: converting the %s output to %s again changes it (%d -> %d bytes)\n%s",
			to, to, len(first), len(again), lineDiff(listingOf(p), listingOf(p3)))
	}
}

func ifSet(label, v string) string {
	if v == "" {
		return ""
	}
	return label + v
}

// repaired are inputs whose manifests retar rewrites with no option asking,
// because they lie about their layers, and the notice that says so.
var repaired = map[string]string{
	"supply-mislabelled":   "but labelled",
	"supply-v2s2-oci-zstd": "which has no type for zstd layers",
}

// checkKept checks that an output other than a docker-archive (which stores no
// manifest) holds the source's own manifests and indexes byte for byte: with
// no option asking for a change, nothing is re-encoded. Sources whose images
// retar had to describe itself (docker manifest.json) are not concerned.
func checkKept(t *testing.T, a, out *convert.Archive) {
	t.Helper()
	if out.Layout == convert.DockerArchive {
		return
	}
	src := map[string]bool{}
	sparse := false // an index lists what the source lacks: it is rewritten without (README's *Repairs*)
	for _, img := range a.Images {
		if !img.Stored() {
			return
		}
		walkNodes(rootOf(t, img), func(n *convert.Node) {
			if n.Blob != nil {
				src[n.Desc.Digest.String()] = true
			} else {
				sparse = true
			}
		})
	}
	for _, img := range out.Images {
		walkNodes(rootOf(t, img), func(n *convert.Node) {
			if n.Index != nil && sparse {
				return
			}
			if (n.Manifest != nil || n.Index != nil) && !src[n.Desc.Digest.String()] {
				t.Errorf("%s output: %s %s is not the source's: it was re-encoded", out.Layout, n.Desc.MediaType, n.Desc.Digest)
			}
		})
	}
}

// walkNodes calls fn for n and every node below it, each once.
// rootOf is an image's manifest or index (derived, for a docker-archive).
func rootOf(t testing.TB, img *convert.Image) *convert.Node {
	t.Helper()
	root, err := img.Root(context.Background())
	if err != nil {
		t.Fatalf("root of %v: %v", img.Names, err)
	}
	return root
}

func walkNodes(n *convert.Node, fn func(*convert.Node)) {
	seen := map[*convert.Node]bool{}
	var rec func(*convert.Node)
	rec = func(n *convert.Node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		fn(n)
		for _, c := range n.Children {
			rec(c)
		}
	}
	rec(n)
}

// hasLongNames reports entries that need PAX headers, whose size TarSize
// only estimates.
func hasLongNames(p *convert.Plan) bool {
	for _, e := range p.Entries {
		if len(e.Name)+1 >= 100 || len(e.Linkname) >= 100 {
			return true
		}
	}
	return false
}

// render is the golden text of a conversion: its error, or its listing, images,
// warnings and every entry retar wrote itself.
func render(in input, to convert.Layout, a *convert.Archive, p *convert.Plan, cerr error) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "retar golden: %s -> %s\n", in.display(), to)
	b.WriteString("Written by go test ./golden -update: review changes, do not edit.\n")
	if cerr != nil {
		b.WriteString("The conversion fails; the error is part of the golden.\n")
		fmt.Fprintf(&b, "-- (error) --\n%s\n", strings.ReplaceAll(cerr.Error(), "\n", `\n`))
		return b.Bytes()
	}
	b.WriteString("(entries): one line per entry in write order: type mode size sha256 name [-> link].\n")
	b.WriteString("sha256 is of the bytes written (compact JSON); sections after (warnings) show the\n")
	b.WriteString("entries retar writes itself, JSON re-indented with 2 spaces for reading.\n")
	b.WriteString("-- (entries) --\n")
	b.Write(listingOf(p))
	b.WriteString("-- (images) --\n")
	for i, img := range p.Images {
		fmt.Fprintf(&b, "@%d %s %s\n", i, img.Digest, img.MediaType)
		for _, n := range img.Names {
			fmt.Fprintf(&b, "   name %s\n", n)
		}
		for _, r := range img.Referrers {
			fmt.Fprintf(&b, "   %s %s of %s%s\n", r.Kind, r.Digest, r.Subject, ifSet(" tag ", r.Tag))
		}
	}
	b.WriteString("-- (warnings) --\n")
	for _, w := range a.Warnings {
		fmt.Fprintf(&b, "open: %s\n", w)
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(&b, "convert: %s\n", w)
	}
	for i := range p.Entries {
		e := &p.Entries[i]
		data := e.Bytes()
		if data == nil {
			continue
		}
		fmt.Fprintf(&b, "-- %s --\n", e.Name)
		var pretty bytes.Buffer
		if json.Valid(data) && json.Indent(&pretty, data, "", "  ") == nil {
			data = pretty.Bytes()
		}
		b.Write(data)
		if len(data) > 0 && data[len(data)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// listingOf renders the entries. The sha256 of each regular entry is taken from
// what WriteContent writes, so copied blobs are read and their size checked.
func listingOf(p *convert.Plan) []byte {
	var b bytes.Buffer
	for i := range p.Entries {
		e := &p.Entries[i]
		sum, typ := "-", "?"
		switch e.Type {
		case tar.TypeDir:
			typ = "d"
		case tar.TypeSymlink:
			typ = "l"
		case tar.TypeReg:
			typ = "f"
			h := sha256.New()
			c := &counter{w: h}
			if err := p.WriteContent(e, convert.WriterSink{Writer: c}); err != nil {
				sum = "ERROR(" + err.Error() + ")"
			} else if c.n != e.Size {
				sum = fmt.Sprintf("ERROR(wrote %d bytes, entry says %d)", c.n, e.Size)
			} else {
				sum = hex.EncodeToString(h.Sum(nil))
			}
		}
		fmt.Fprintf(&b, "%s %04o %d %s %s", typ, e.Mode(), e.Size, sum, e.Name)
		if e.Type == tar.TypeSymlink {
			fmt.Fprintf(&b, " -> %s", e.Linkname)
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

type counter struct {
	w io.Writer
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// compareGolden compares got with the golden file; with -update it rewrites
// the file, only when it differs.
func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	want, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if err == nil && bytes.Equal(want, got) {
		return
	}
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("updated %s", path)
		return
	}
	if os.IsNotExist(err) {
		t.Errorf("%s: no golden file (run go test ./golden -update, then review git diff)", path)
		return
	}
	t.Errorf("%s differs (-golden +got; go test ./golden -update accepts it):\n%s", path, lineDiff(want, got))
}

// lineDiff is a small line diff: the changed lines with 3 lines of context,
// from a longest common subsequence (or, for very long files, from the first
// difference on).
func lineDiff(a, b []byte) string {
	x := strings.SplitAfter(string(a), "\n")
	y := strings.SplitAfter(string(b), "\n")
	if len(x)*len(y) > 4_000_000 {
		i := 0
		for i < len(x) && i < len(y) && x[i] == y[i] {
			i++
		}
		return fmt.Sprintf("first difference at line %d:\n-%s+%s", i+1, at(x, i), at(y, i))
	}
	// lcs[i][j] is the LCS length of x[i:] and y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type line struct {
		op   byte
		text string
	}
	var ops []line
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			ops = append(ops, line{' ', x[i]})
			i++
			j++
		case j < len(y) && (i == len(x) || lcs[i][j+1] > lcs[i+1][j]):
			ops = append(ops, line{'+', y[j]})
			j++
		default:
			ops = append(ops, line{'-', x[i]})
			i++
		}
	}
	var out strings.Builder
	last := -1
	for k, o := range ops {
		near := slices.ContainsFunc(ops[max(0, k-3):min(len(ops), k+4)], func(l line) bool { return l.op != ' ' })
		if !near {
			continue
		}
		if last >= 0 && k > last+1 {
			out.WriteString("...\n")
		}
		last = k
		out.WriteByte(o.op)
		out.WriteString(strings.TrimSuffix(o.text, "\n"))
		out.WriteByte('\n')
	}
	return out.String()
}

func at(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(end)\n"
}

// summary is what a round trip must keep of an image.
type summary struct {
	root    string // manifest or index digest
	config  string
	diffIDs []string
	names   []string
}

func summarize(t *testing.T, a *convert.Archive) summary {
	t.Helper()
	in, err := a.Inspect(context.Background(), convert.InspectOptions{Host: host})
	if err != nil {
		t.Fatalf("inspect %s: %v", a.Source, err)
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(in.RawConfig, &cfg); err != nil {
		t.Fatalf("%s: config: %v", a.Source, err)
	}
	s := summary{root: in.Digest, config: fmt.Sprintf("sha256:%x", sha256.Sum256(in.RawConfig))}
	for _, d := range cfg.RootFS.DiffIDs {
		s.diffIDs = append(s.diffIDs, d.String())
	}
	if len(in.Images) > 0 {
		s.names = in.Images[0].Names
	}
	return s
}

// hop converts a to a layout, writes the output and opens it again.
func hop(t *testing.T, a *convert.Archive, to convert.Layout, names ...string) *convert.Archive {
	t.Helper()
	o := opts(to)
	o.Names = names
	p, err := a.Convert(context.Background(), o)
	if err != nil {
		t.Fatalf("convert %s to %s: %v", a.Source, to, err)
	}
	return reopen(t, p, planTar(t, p), a.Source+" -> "+string(to))
}

// TestRoundTrip takes an image from each layout through every layout and back:
// the config (the image ID) and the diff_ids always survive; the manifest or
// index digest survives wherever nothing had to be re-encoded; names survive
// wherever the layout in between can hold them (a dir: holds none).
func TestRoundTrip(t *testing.T) {
	inputs(t) // fails clearly when the third-party fixtures are missing
	starts := []struct {
		in    input
		index bool // the root is an index, which single-manifest layouts cannot hold
	}{
		{in: input{name: "skopeo-docker-archive", path: "skopeo-docker-archive-named.tar", real: true}},
		{in: input{name: "jib-docker-save", path: "GoogleContainerTools__jib/jib-core/src/test/resources/core/extraction/docker-save.tar"}},
		{in: input{name: "skopeo-oci-archive", path: "skopeo-oci-archive-named.tar", real: true}},
		{in: input{name: "dive-oci-zstd", path: "wagoodman__dive/.data/test-oci-zstd-image.tar"}},
		{in: input{name: "skopeo-oci-zstd", path: "skopeo-oci-zstd", real: true}},
		{in: input{name: "stereoscope-multiplatform", path: "anchore__stereoscope/pkg/image/oci/testdata/multiplatform_oci_dir"}, index: true},
		{in: input{name: "skopeo-dir-v2s2", path: "skopeo-dir-v2s2", real: true}},
		{in: input{name: "skopeo-dir-oci", path: "skopeo-dir-oci", real: true}},
	}
	for _, st := range starts {
		t.Run(st.in.name, func(t *testing.T) {
			t.Parallel()
			a, err := open(t, st.in)
			if err != nil {
				t.Fatal(err)
			}
			from := a.Layout
			want := summarize(t, a)
			for _, mid := range layouts {
				t.Run(string(mid), func(t *testing.T) {
					a, err := open(t, st.in)
					if err != nil {
						t.Fatal(err)
					}
					back := hop(t, hop(t, a, mid), from)
					got := summarize(t, back)
					path := fmt.Sprintf("%s -> %s -> %s", from, mid, from)
					if got.config != want.config {
						t.Errorf("%s: config %s, was %s", path, got.config, want.config)
					}
					if !slices.Equal(got.diffIDs, want.diffIDs) {
						t.Errorf("%s: diff_ids %v, were %v", path, got.diffIDs, want.diffIDs)
					}
					// docker-archive keeps no manifest: from one, retar writes the
					// same one again; from another layout, one of its own.
					keepsRoot := from == convert.DockerArchive ||
						mid != convert.DockerArchive && !(st.index && mid == convert.Dir)
					bug := knownBugs[st.in.display()]
					if keepsRoot && got.root != want.root && bug == "" {
						t.Errorf("%s: root %s, was %s", path, got.root, want.root)
					}
					if !keepsRoot {
						t.Logf("%s: root %s, was %s (not required to match)", path, got.root, want.root)
					}
					wantNames := want.names
					if mid == convert.Dir {
						wantNames = nil
					}
					if !slices.Equal(got.names, wantNames) {
						t.Errorf("%s: names %q, were %q", path, got.names, wantNames)
					}
					if bug != "" {
						t.Skipf("root digest not checked (%s, was %s): %s", got.root, want.root, bug)
					}
				})
			}
		})
	}
}

// TestRetag gives an image a new name: the image (config, hence the image ID,
// and manifest) is the same, only the name changes.
func TestRetag(t *testing.T) {
	inputs(t)
	for _, in := range []input{
		{name: "skopeo-docker-archive", path: "skopeo-docker-archive-named.tar", real: true},
		{name: "skopeo-oci-archive", path: "skopeo-oci-archive-named.tar", real: true},
		{name: "docker-save-two-tags", path: "docker-save-two-tags.tar", real: true},
	} {
		t.Run(in.name, func(t *testing.T) {
			t.Parallel()
			a, err := open(t, in)
			if err != nil {
				t.Fatal(err)
			}
			want := summarize(t, a)
			got := summarize(t, hop(t, a, a.Layout, "example.com/retag:v2"))
			bug := knownBugs[in.display()]
			if got.config != want.config || !slices.Equal(got.diffIDs, want.diffIDs) || got.root != want.root && bug == "" {
				t.Errorf("retag changed the image: %+v, was %+v", got, want)
			}
			if want := []string{"example.com/retag:v2"}; !slices.Equal(got.names, want) {
				t.Errorf("names %q, want %q", got.names, want)
			}
			if bug != "" {
				t.Skipf("root digest not checked (%s, was %s): %s", got.root, want.root, bug)
			}
		})
	}
}
