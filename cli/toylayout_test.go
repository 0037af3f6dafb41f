package cli_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retar-dev/retar/check"
	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/internal/imagetest"
)

// A fifth layout is one unit and one registration line: toy, a directory
// of blobs by digest and toy.json naming each image's manifest or index,
// defined here, outside package convert, and registered by this one line.
// Every command of the CLI then takes it as it takes retar's own four; had
// the CLI a list of those anywhere, a command here would miss toy.
var toy = convert.RegisterLayout("toy", toyUnit{})

// toyUnit reads and writes the toy layout:
//
//	toy.json             {"images": [{"root": DESCRIPTOR, "names": [NAME...]}]}
//	blobs/ALG-HEX        every manifest, index, config and layer
type toyUnit struct{}

// toyFile is toy.json.
type toyFile struct {
	Images []toyImage `json:"images"`
}

type toyImage struct {
	Root  ocispec.Descriptor `json:"root"`
	Names []toyName          `json:"names,omitempty"`
}

// toyName is a convert.Name as it is: a docker reference, or a raw name,
// and the ref.name it went by.
type toyName struct {
	Ref     string `json:"ref,omitempty"`
	Raw     string `json:"raw,omitempty"`
	RefName string `json:"refName,omitempty"`
}

func (toyUnit) Holds() convert.Holding { return convert.Holding{Named: true} }

func (toyUnit) Detects(src *convert.LayoutSource) bool { return src.Exists("toy.json") }

func (toyUnit) BlobPath(d digest.Digest) string {
	return "blobs/" + d.Algorithm().String() + "-" + d.Encoded()
}

func (toyUnit) Read(src *convert.LayoutSource) error {
	data, err := src.ReadFile("toy.json")
	if err != nil {
		return err
	}
	var f toyFile
	if err := json.Unmarshal(data, &f); err != nil {
		return err
	}
	if len(f.Images) == 0 {
		return errors.New("toy.json names no image")
	}
	for _, img := range f.Images {
		var names []convert.Name
		for _, n := range img.Names {
			name := convert.Name{Raw: n.Raw, RefName: n.RefName}
			if n.Ref != "" {
				parsed, err := convert.ParseName(n.Ref)
				if err != nil {
					return err
				}
				name.Ref = parsed.Ref
			}
			names = append(names, name)
		}
		if err := src.AddImage(img.Root, names); err != nil {
			return err
		}
	}
	return nil
}

func (u toyUnit) Write(w *convert.LayoutWrite) error {
	var f toyFile
	for _, img := range w.Images() {
		ti := toyImage{Root: img.Root}
		for _, n := range img.Names {
			tn := toyName{Raw: n.Raw, RefName: n.RefName}
			if n.Ref != nil {
				tn.Ref = n.Ref.String()
			}
			ti.Names = append(ti.Names, tn)
		}
		f.Images = append(f.Images, ti)
	}
	data, err := json.Marshal(f)
	if err != nil {
		return err
	}
	w.AddFile("toy.json", data)
	w.AddDir("blobs")
	for _, b := range w.Blobs() {
		w.AddBlob(u.BlobPath(b.Digest), b)
	}
	return nil
}

var toyBlob = regexp.MustCompile(`^blobs/[a-z0-9]+-[a-f0-9]+$`)

func (toyUnit) Owns(rel string, isDir bool) bool {
	if isDir {
		return rel == "blobs"
	}
	return rel == "toy.json" || toyBlob.MatchString(rel)
}

// toySource writes an oci-archive of two images, one of two platforms and
// two names, and gives its path.
func toySource(t *testing.T, dir string) string {
	t.Helper()
	multi := imagetest.New(t, imagetest.Platforms("linux/amd64", "linux/arm64/v8"), imagetest.Layers(2),
		imagetest.Names("example.com/toy/multi:1", "example.com/toy/multi:latest"))
	single := imagetest.New(t, imagetest.Names("example.com/toy/single:2"), imagetest.Env("PATH=/usr/bin"))
	src := filepath.Join(dir, "src.tar")
	imagetest.Images{multi, single}.OCIArchive(t).WriteFile(t, src)
	return src
}

// Into toy and out of it again: an oci-archive made through toy is the one
// made straight from the source, byte for byte, and a docker-archive keeps
// every digest.
func TestToyLayoutRoundTrip(t *testing.T) {
	dir := t.TempDir()
	src := toySource(t, dir)
	layout := filepath.Join(dir, "layout")
	code, _, stderr := run(t, "convert", src, "toy:"+layout)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "wrote")
	assert.FileExists(t, filepath.Join(layout, "toy.json"))

	direct, back := filepath.Join(dir, "direct.tar"), filepath.Join(dir, "back.tar")
	mustRun(t, "convert", "-q", src, "oci-archive:"+direct)
	mustRun(t, "convert", "-q", "toy:"+layout, "oci-archive:"+back)
	assert.Equal(t, sha(t, direct), sha(t, back), "an oci-archive through toy differs from one made straight")

	// A bare toy directory is detected as toy, by its files.
	bare := filepath.Join(dir, "bare.tar")
	mustRun(t, "convert", "-q", layout, "oci-archive:"+bare)
	assert.Equal(t, sha(t, direct), sha(t, bare))

	// Converting toy into toy changes nothing.
	again := filepath.Join(dir, "again")
	mustRun(t, "convert", "-q", "toy:"+layout, "toy:"+again)
	assert.Equal(t, treeOf(t, layout), treeOf(t, again))

	// A docker-archive through toy keeps its manifest, config and layers.
	docker := filepath.Join(dir, "docker.tar")
	dockerArchive(t, docker)
	viaToy, dockerBack := filepath.Join(dir, "docker-layout"), filepath.Join(dir, "docker-back.tar")
	mustRun(t, "convert", "-q", docker, "toy:"+viaToy)
	mustRun(t, "convert", "-q", "toy:"+viaToy, "docker-archive:"+dockerBack)
	want, got := inspectJSON(t, docker), inspectJSON(t, "docker-archive:"+dockerBack)
	for _, k := range []string{"Name", "Digest", "Layers"} {
		assert.Equal(t, want[k], got[k], k)
	}
	assert.Equal(t, want["Digest"], inspectJSON(t, "toy:"+viaToy)["Digest"])
}

// inspect, verify, check and manifest-digest read a toy layout; verify
// fails on a blob that is not what its name says.
func TestToyLayoutCommands(t *testing.T) {
	dir := t.TempDir()
	src := toySource(t, dir)
	layout := filepath.Join(dir, "layout")
	mustRun(t, "convert", "-q", src, "toy:"+layout)

	for _, pick := range []string{"example.com/toy/multi:1", "@1"} {
		want, got := inspectJSON(t, src+":"+pick), inspectJSON(t, "toy:"+layout+":"+pick)
		for _, k := range []string{"Name", "RepoTags", "Digest", "Layers"} {
			assert.Equal(t, want[k], got[k], "inspect %s: %s", pick, k)
		}
	}
	raw := mustRun(t, "inspect", "--raw", "toy:"+layout+":example.com/toy/single:2")
	var m ocispec.Manifest
	require.NoError(t, json.Unmarshal([]byte(raw), &m))
	assert.Len(t, m.Layers, 1)

	assert.Contains(t, mustRun(t, "verify", "toy:"+layout), "ok")

	// No loader reads toy: check says so of each, and is asked nothing of
	// OCI layouts or dir: layouts, which toy is not.
	code, out, stderr := run(t, "check", "--json", "toy:"+layout)
	require.Equal(t, 0, code, stderr)
	var report check.Report
	require.NoError(t, json.Unmarshal([]byte(out), &report))
	assert.Equal(t, toy, report.Layout)
	assert.Len(t, report.Images, 2)
	require.NotEmpty(t, report.Consumers)
	for _, v := range report.Consumers {
		if v.Loads || len(v.Problems) != 1 || !strings.Contains(v.Problems[0], "a toy layout, which no loader reads") {
			t.Errorf("check: %s: loads %v, %q", v.Consumer, v.Loads, v.Problems)
		}
	}
	code, _, stderr = run(t, "check", "--for", "skopeo", "toy:"+layout)
	oneLineFailure(t, code, stderr, 1, "skopeo")

	var f toyFile
	require.NoError(t, json.Unmarshal(readFile(t, filepath.Join(layout, "toy.json")), &f))
	root := f.Images[0].Root.Digest
	rootFile := filepath.Join(layout, "blobs", "sha256-"+root.Encoded())
	assert.Equal(t, root.String(), strings.TrimSpace(mustRun(t, "manifest-digest", rootFile)))

	// A layer changed in place: verify names it and fails.
	layer := m.Layers[0].Digest
	p := filepath.Join(layout, "blobs", "sha256-"+layer.Encoded())
	b := readFile(t, p)
	b[len(b)/2] ^= 0xff
	require.NoError(t, os.WriteFile(p, b, 0o644))
	code, _, stderr = run(t, "verify", "toy:"+layout)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, layer.Encoded())
}

// The destination policy asks the toy unit what a toy directory holds: one
// holding toy's files alone is replaced, one holding anything else is
// refused and left as it was; a toy layout is a directory, so never a
// stream or a file.
func TestToyLayoutDestinationPolicy(t *testing.T) {
	dir := t.TempDir()
	src := toySource(t, dir)

	layout := filepath.Join(dir, "layout")
	mustRun(t, "convert", "-q", src, "toy:"+layout)
	mustRun(t, "convert", "-q", src+":@1", "toy:"+layout+":example.com/toy/renamed:3")
	if v := inspectJSON(t, "toy:"+layout); v["Name"] != "example.com/toy/renamed:3" {
		t.Errorf("Name %v after replacing the toy layout", v["Name"])
	}

	hex := strings.Repeat("a", 64)
	for _, c := range []struct{ add, named string }{
		{"notes.txt", "notes.txt"},
		{"blobs/README", "blobs/README"},
		{"blobs/sha256-" + hex + "/x", "blobs/sha256-" + hex}, // a blob's name, as a directory
	} {
		t.Run(c.add, func(t *testing.T) {
			dst := filepath.Join(dir, "foreign-"+strings.ReplaceAll(c.named, "/", "_"))
			mustRun(t, "convert", "-q", src, "toy:"+dst)
			require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dst, c.add)), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(dst, c.add), []byte("mine"), 0o644))
			before := treeOf(t, dst)
			code, _, stderr := run(t, "convert", src, "toy:"+dst)
			oneLineFailure(t, code, stderr, 1, filepath.Join(dst, c.named), "not a toy layout", "--force")
			assert.Equal(t, before, treeOf(t, dst), "the directory changed")
			assert.Empty(t, tmpLeft(t, dir), "left behind")
		})
	}

	code, _, stderr := run(t, "convert", src, "toy:-")
	oneLineFailure(t, code, stderr, 2, "a toy: layout is a directory", "docker-archive:-", "oci-archive:-")
	file := filepath.Join(dir, "a-file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	code, _, stderr = run(t, "convert", src, "toy:"+file)
	oneLineFailure(t, code, stderr, 1, "a toy: layout is a directory")
	// An archive is never written over a directory; the message names the
	// directory layouts, toy among them.
	code, _, stderr = run(t, "convert", src, "oci-archive:"+layout)
	oneLineFailure(t, code, stderr, 1, "toy:"+layout)
}

// Completion, help and usage errors list toy where they list layouts.
func TestToyLayoutNamed(t *testing.T) {
	dir := t.TempDir()
	wd, _ := os.Getwd()
	t.Cleanup(func() { os.Chdir(wd) })
	require.NoError(t, os.Chdir(dir))
	os.WriteFile("toy.tar", nil, 0o644)
	os.Mkdir("toy-layout", 0o755)

	got, _ := complete(t, "convert", "")
	assert.Subset(t, got, []string{"docker-archive:", "oci-archive:", "oci:", "dir:", "toy:"})
	got, d := complete(t, "convert", "to")
	assert.Equal(t, []string{"toy:", "toy-layout/", "toy.tar"}, got)
	assert.Equal(t, noSpace|noFileComp, d)
	got, _ = complete(t, "inspect", "toy:toy")
	assert.Equal(t, []string{"toy:toy-layout/"}, got, "a toy layout is a directory")

	assert.Contains(t, mustRun(t, "--help"), "toy:PATH[:REF|:@N]")
	code, _, stderr := run(t, "convert", "toy.tar", "bogus:x")
	oneLineFailure(t, code, stderr, 2, "toy")
	assert.Equal(t, toy, convert.Layout("toy"))
	assert.Contains(t, convert.Layouts(), toy)
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return bytes.Clone(b)
}
