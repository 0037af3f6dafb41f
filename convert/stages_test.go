package convert

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Each stage of a conversion on its own, on archives the real tools wrote
// (golden/testdata/real): the conversion is run up to the stage, the stage
// runs, and what it did is checked.

var amd64 = ocispec.Platform{OS: "linux", Architecture: "amd64"}

func realSource(t *testing.T, name string) *Archive {
	t.Helper()
	p := filepath.Join("..", "golden", "testdata", "real", name)
	if strings.HasPrefix(name, "thirdparty/") {
		p = filepath.Join("..", "golden", "testdata", name)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	in := Input{Name: name}
	if fi.IsDir() {
		in.Dir = os.DirFS(p)
	} else {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		in.Archive, in.Size = f, fi.Size()
	}
	a, err := Open(in)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// upTo makes a conversion and runs its stages before stage, in order.
func upTo(t *testing.T, sources []Source, opts Options, stage string) (*conversion, error) {
	t.Helper()
	if opts.Host.OS == "" {
		opts.Host = amd64
	}
	if opts.Spill == nil {
		opts.Spill = MemorySpill
	}
	c, err := newConversion(sources, opts)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	for _, s := range stages() {
		if s.name == stage {
			return c, nil
		}
		if err := s.run(c, ctx); err != nil {
			t.Fatalf("stage %s, before %s: %v", s.name, stage, err)
		}
	}
	t.Fatalf("no stage %q", stage)
	return nil, nil
}

// runStage runs the stage called name, as stages lists it, on c alone.
func runStage(c *conversion, name string) error {
	for _, s := range stages() {
		if s.name == name {
			return s.run(c, context.Background())
		}
	}
	return errors.New("no stage " + name)
}

// stageTests are the tests of each stage, by its name in stages.
var stageTests = map[string]func(*testing.T){
	"select":   TestStageSelect,
	"resolve":  TestStageResolve,
	"name":     TestStageName,
	"pick":     TestStagePickPlatforms,
	"merge":    TestStageMerge,
	"reencode": TestStageReencodeAndRewrite,
	"rewrite":  TestStageReencodeAndRewrite,
	"verify":   TestStageVerify,
	"write":    TestStageWrite,
}

// A stage added to Bundle needs a test of its own here.
func TestEveryStageTested(t *testing.T) {
	names := map[string]bool{}
	for _, s := range stages() {
		names[s.name] = true
		if stageTests[s.name] == nil {
			t.Errorf("stage %q has no test in stageTests", s.name)
		}
	}
	for name := range stageTests {
		if !names[name] {
			t.Errorf("stageTests lists %q, which is no stage", name)
		}
	}
}

func src(t *testing.T, name, pick string) []Source {
	return []Source{{Archive: realSource(t, name), Pick: pick}}
}

func TestStageSelect(t *testing.T) {
	for _, c := range []struct {
		name    string
		sources func(t *testing.T) []Source
		to      Layout
		names   []string
		images  int
		errIs   error
	}{
		{"all images of a source", func(t *testing.T) []Source { return src(t, "docker-save-two-images.tar", "") }, OCIArchive, nil, 2, nil},
		{"one by name", func(t *testing.T) []Source { return src(t, "docker-save-two-images.tar", "retar-test:2") }, OCIArchive, nil, 1, nil},
		{"one by index", func(t *testing.T) []Source { return src(t, "docker-save-two-images.tar", "@1") }, OCIArchive, nil, 1, nil},
		{"no such name", func(t *testing.T) []Source { return src(t, "docker-save-two-images.tar", "nope:1") }, OCIArchive, nil, 0, ErrNoSuchImage},
		{"no such index", func(t *testing.T) []Source { return src(t, "docker-save-two-images.tar", "@7") }, OCIArchive, nil, 0, ErrNoSuchImage},
		{"a name for two images", func(t *testing.T) []Source { return src(t, "docker-save-two-images.tar", "") }, OCIArchive, []string{"x:1"}, 0, ErrUsage},
		{"dir: holds one", func(t *testing.T) []Source { return src(t, "docker-save-two-images.tar", "") }, Dir, nil, 0, ErrUsage},
		{"two sources", func(t *testing.T) []Source {
			return append(src(t, "skopeo-oci-archive-named.tar", ""), src(t, "docker-save-single.tar", "")...)
		}, OCIArchive, nil, 2, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			conv, err := upTo(t, c.sources(t), Options{To: c.to, Names: c.names}, "select")
			if err != nil {
				t.Fatal(err)
			}
			err = conv.selectImages(context.Background())
			if c.errIs != nil {
				if !errors.Is(err, c.errIs) {
					t.Fatalf("err %v, want %v", err, c.errIs)
				}
				return
			}
			if err != nil || len(conv.out) != c.images {
				t.Fatalf("%d images, %v; want %d", len(conv.out), err, c.images)
			}
		})
	}
}

func TestStageResolve(t *testing.T) {
	for _, c := range []struct {
		name, source string
		recompress   bool
		derived      bool
	}{
		{"a docker-archive gets a manifest", "skopeo-docker-archive-unnamed.tar", false, true},
		{"its layers re-encoded first, read once", "skopeo-docker-archive-unnamed.tar", true, true},
		{"an OCI layout has its own", "skopeo-oci-archive-named.tar", false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := Options{To: OCIArchive}
			if c.recompress {
				opts.Recompress, opts.Compress = true, Gzip
			}
			conv, err := upTo(t, src(t, c.source, ""), opts, "resolve")
			if err != nil {
				t.Fatal(err)
			}
			if err := runStage(conv, "resolve"); err != nil {
				t.Fatal(err)
			}
			img := conv.out[0].img
			if img.root == nil || img.derived != c.derived {
				t.Fatalf("root %v, derived %v; want derived %v", img.root != nil, img.derived, c.derived)
			}
			if c.recompress && len(conv.reencoded) != len(img.root.layers()) {
				t.Errorf("%d layers re-encoded in resolve, want every one of %d", len(conv.reencoded), len(img.root.layers()))
			}
		})
	}
}

func TestStageName(t *testing.T) {
	for _, c := range []struct {
		name        string
		names, tags []string
		want        []string
	}{
		{"names carry over", nil, nil, []string{"docker.io/library/retar-test:1"}},
		{"a tag adds", nil, []string{"x:2"}, []string{"docker.io/library/retar-test:1", "docker.io/library/x:2"}},
		{"a name replaces", []string{"quay.io/a/b:3"}, nil, []string{"quay.io/a/b:3"}},
		{"repeats once", []string{"b:1"}, []string{"b:1", "docker.io/library/b:1"}, []string{"docker.io/library/b:1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			conv, err := upTo(t, src(t, "skopeo-oci-archive-named.tar", ""), Options{To: OCIArchive, Names: c.names, Tags: c.tags}, "name")
			if err != nil {
				t.Fatal(err)
			}
			if err := runStage(conv, "name"); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, n := range conv.out[0].names {
				got = append(got, n.String())
			}
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("names %v, want %v", got, c.want)
			}
		})
	}
}

func TestStagePickPlatforms(t *testing.T) {
	multi := "thirdparty/anchore__stereoscope/pkg/image/oci/testdata/multiplatform_oci_dir"
	arm64 := ocispec.Platform{OS: "linux", Architecture: "arm64"}
	for _, c := range []struct {
		name      string
		to        Layout
		platforms []ocispec.Platform
		all       bool
		index     bool // the root stays an index
		platform  string
		errIs     error
	}{
		{"docker-archive takes the host's", DockerArchive, nil, false, false, "linux/amd64", nil},
		{"or the one asked for", Dir, []ocispec.Platform{arm64}, false, false, "linux/arm64", nil},
		{"all platforms keep the index", Dir, nil, true, true, "", nil},
		{"an OCI layout keeps the index", OCIArchive, nil, false, true, "", nil},
		{"a platform it lacks", DockerArchive, []ocispec.Platform{{OS: "linux", Architecture: "s390x"}}, false, false, "", ErrNoPlatform},
	} {
		t.Run(c.name, func(t *testing.T) {
			conv, err := upTo(t, src(t, multi, ""), Options{To: c.to, Platforms: c.platforms, AllPlatforms: c.all}, "pick")
			if err != nil {
				t.Fatal(err)
			}
			err = conv.pickPlatforms(context.Background())
			if c.errIs != nil {
				if !errors.Is(err, c.errIs) {
					t.Fatalf("err %v, want %v", err, c.errIs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			root := conv.out[0].root
			if (root.Index != nil) != c.index {
				t.Fatalf("index %v, want %v", root.Index != nil, c.index)
			}
			if !c.index && PlatformString(platformOf(root)) != c.platform {
				t.Errorf("took %s, want %s", PlatformString(platformOf(root)), c.platform)
			}
		})
	}
}

func TestStageMerge(t *testing.T) {
	twoSources := func(second, pick string) func(t *testing.T) []Source {
		return func(t *testing.T) []Source {
			return []Source{{Archive: realSource(t, "skopeo-oci-archive-named.tar")}, {Archive: realSource(t, second), Pick: pick}}
		}
	}
	for _, c := range []struct {
		name     string
		sources  func(t *testing.T) []Source
		sameName bool // give the second image the first one's names
		images   int
		errIs    error
	}{
		{"one image from two sources is one", twoSources("skopeo-docker-archive-named.tar", ""), false, 1, nil},
		{"two images stay two", twoSources("docker-save-two-images.tar", "retar-test:2"), false, 2, nil},
		{"one name for two images", twoSources("docker-save-two-images.tar", "retar-test:2"), true, 0, ErrUsage},
	} {
		t.Run(c.name, func(t *testing.T) {
			conv, err := upTo(t, c.sources(t), Options{To: OCIArchive}, "merge")
			if err != nil {
				t.Fatal(err)
			}
			if c.sameName {
				conv.out[1].names = conv.out[0].names
			}
			err = runStage(conv, "merge")
			if c.errIs != nil {
				if !errors.Is(err, c.errIs) || !strings.Contains(err.Error(), "names two different images") {
					t.Fatalf("err %v, want %v", err, c.errIs)
				}
				return
			}
			if err != nil || len(conv.out) != c.images {
				t.Errorf("%d images, %v; want %d", len(conv.out), err, c.images)
			}
		})
	}
}

func TestStageReencodeAndRewrite(t *testing.T) {
	for _, c := range []struct {
		name     string
		opts     Options
		layerMT  string
		sameRoot bool // the manifest keeps its bytes
	}{
		{"nothing asked, nothing changes", Options{To: OCIArchive}, ocispec.MediaTypeImageLayerGzip, true},
		{"zstd", Options{To: OCIArchive, Recompress: true, Compress: Zstd}, ocispec.MediaTypeImageLayerZstd, false},
		{"v2s2", Options{To: OCIArchive, Format: FormatV2S2}, MediaTypeDockerLayerGzip, false},
		{"uncompressed, docker family", Options{To: OCIArchive, Format: FormatV2S2, Recompress: true, Compress: Uncompressed}, MediaTypeDockerLayer, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			conv, err := upTo(t, src(t, "skopeo-oci-archive-named.tar", ""), c.opts, "reencode")
			if err != nil {
				t.Fatal(err)
			}
			before := conv.out[0].root.Desc.Digest
			if err := runStage(conv, "reencode"); err != nil {
				t.Fatal(err)
			}
			if err := runStage(conv, "rewrite"); err != nil {
				t.Fatal(err)
			}
			root := conv.out[0].root
			if (root.Desc.Digest == before) != c.sameRoot {
				t.Errorf("manifest %s (was %s): kept %v, want %v", root.Desc.Digest, before, root.Desc.Digest == before, c.sameRoot)
			}
			for _, l := range root.layers() {
				if l.Desc.MediaType != c.layerMT {
					t.Errorf("layer %s: %s, want %s", l.Desc.Digest, l.Desc.MediaType, c.layerMT)
				}
				if l.Blob == nil || l.Blob.Digest != l.Desc.Digest {
					t.Errorf("layer %s: its blob does not match its descriptor", l.Desc.Digest)
				}
			}
		})
	}
}

func TestStageVerify(t *testing.T) {
	conv, err := upTo(t, src(t, "skopeo-oci-archive-named.tar", ""), Options{To: OCIArchive}, "verify")
	if err != nil {
		t.Fatal(err)
	}
	var layer *Blob
	for _, l := range conv.out[0].root.layers() {
		layer = l.Blob
	}
	if layer.verified {
		t.Fatal("a layer is verified before the verify stage")
	}
	if err := runStage(conv, "verify"); err != nil {
		t.Fatal(err)
	}
	if !layer.verified {
		t.Error("the verify stage left a layer unverified")
	}
	// A blob whose bytes are not its digest fails the stage.
	conv, _ = upTo(t, src(t, "skopeo-oci-archive-named.tar", ""), Options{To: OCIArchive}, "verify")
	for _, l := range conv.out[0].root.layers() {
		l.Blob.Digest = digest.FromString("not these bytes")
	}
	if err := runStage(conv, "verify"); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("a wrong digest: %v", err)
	}
}

func TestStageWrite(t *testing.T) {
	for _, c := range []struct {
		to      Layout
		entries []string // some of what the destination's layout holds
		digest  bool     // the planned image names a manifest digest
	}{
		{DockerArchive, []string{"manifest.json", "repositories"}, false},
		{OCIArchive, []string{"oci-layout", "index.json", "manifest.json", "blobs/sha256"}, true},
		{OCI, []string{"oci-layout", "index.json", "blobs/sha256"}, true},
		{Dir, []string{"version", "manifest.json"}, true},
	} {
		t.Run(string(c.to), func(t *testing.T) {
			conv, err := upTo(t, src(t, "skopeo-docker-archive-named.tar", ""), Options{To: c.to}, "write")
			if err != nil {
				t.Fatal(err)
			}
			if err := runStage(conv, "write"); err != nil {
				t.Fatal(err)
			}
			names := map[string]bool{}
			for _, e := range conv.plan.Entries {
				names[e.Name] = true
			}
			for _, n := range c.entries {
				if !names[n] {
					t.Errorf("no %s in the plan", n)
				}
			}
			if got := conv.plan.Images[0].Digest != ""; got != c.digest {
				t.Errorf("planned digest %q", conv.plan.Images[0].Digest)
			}
		})
	}
}
