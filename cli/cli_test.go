package cli_test

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retar-dev/retar/cli"
	"github.com/retar-dev/retar/internal/imagetest"
)

// run calls retar in-process, as a user would run it.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cli.Main(args, strings.NewReader(""), &out, &errb)
	validateOutput(t, args, code, out.String(), errb.String())
	return code, out.String(), errb.String()
}

// oneLineFailure checks a refusal: the status, one line that names what it
// must, and nothing more.
func oneLineFailure(t *testing.T, code int, stderr string, wantCode int, names ...string) {
	t.Helper()
	if code != wantCode || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "retar: ") {
		t.Errorf("exit %d (want %d), stderr %q", code, wantCode, stderr)
	}
	for _, n := range names {
		if !strings.Contains(stderr, n) {
			t.Errorf("the error does not name %q: %q", n, stderr)
		}
	}
}

// mustRun runs retar and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := run(t, args...)
	if code != 0 {
		t.Fatalf("retar %s: exit %d\n%s", strings.Join(args, " "), code, errs)
	}
	return out
}

const imageName = "example.com/retar/cli:1"

// testImage is the image the tests convert: two layers, named imageName.
func testImage(t *testing.T) imagetest.Image {
	t.Helper()
	return imagetest.New(t, imagetest.Layers(2), imagetest.Names(imageName))
}

// dockerArchive writes the test image at p as docker save does and returns
// its members, for tests to mutate.
func dockerArchive(t *testing.T, p string) imagetest.Members {
	t.Helper()
	ms := testImage(t).DockerArchive(t)
	ms.WriteFile(t, p)
	return ms
}

// sourceArchive writes the test image's docker-archive as src.tar in a new
// temporary directory, and gives both.
func sourceArchive(t *testing.T) (dir, src string) {
	t.Helper()
	dir = t.TempDir()
	src = filepath.Join(dir, "src.tar")
	dockerArchive(t, src)
	return dir, src
}

func sha(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// tmpLeft lists what a conversion may have left behind in dir.
func tmpLeft(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var left []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") && (strings.Contains(e.Name(), ".retar-") || strings.HasSuffix(e.Name(), ".retar-lock")) {
			left = append(left, e.Name())
		}
	}
	return left
}

var destinations = []string{"docker-archive", "oci-archive", "oci", "dir"}

func dstRef(layout, p string) string { return layout + ":" + p }

func TestUsageErrors(t *testing.T) {
	dir, src := sourceArchive(t)
	out := filepath.Join(dir, "out")
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"convert"},
		{"convert", src},
		{"convert", src, "bogus:" + out},
		{"convert", src, src, "bogus:" + out},
		{"convert", src, "docker-archive:" + out + ":@1"},
		{"convert", src, "oci-archive:" + out + ":@0"},
		{"convert", src, "oci-archive:"},
		{"convert", "dir:", "oci:" + out},
		{"convert", "--platform", "linux", src, "oci:" + out},
		{"convert", "--platform", "linux/amd64/v1/x", src, "oci:" + out},
		{"convert", "--platform", "", src, "oci:" + out},
		{"convert", "--no-such-flag", src, "oci:" + out},
		{"convert", "docker-archive:" + src + ":@7", "oci:" + out},
		{"convert", "docker-archive:" + src + ":nosuch:1", "oci:" + out},
		{"convert", "-t", "Not A Name", src, "oci:" + out},
		{"convert", src, "oci-archive:" + out + ":not a name"},
		{"inspect"},
		{"inspect", src, src},
		{"inspect", "--platform", "linux", src},
		{"verify"},
		{"verify", src, src},
		{"manifest-digest"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, stdout, stderr := run(t, args...)
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout: %q", stdout)
			}
			if strings.TrimSpace(stderr) == "" {
				t.Error("nothing on stderr")
			}
			if _, err := os.Lstat(out); err == nil {
				t.Errorf("%s was created", out)
			}
			assert.Empty(t, tmpLeft(t, dir), "left behind")
		})
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"-h"}, {"help"},
		{"convert", "--help"}, {"convert", "-h"}, {"inspect", "--help"}, {"verify", "--help"}, {"manifest-digest", "--help"},
	} {
		code, stdout, stderr := run(t, args...)
		if code != 0 {
			t.Errorf("%v: exit %d\n%s", args, code, stderr)
		}
		if !strings.Contains(stdout+stderr, "Usage") {
			t.Errorf("%v: no usage shown", args)
		}
	}
}

// badSource is a hostile input and what its one-line error must name.
type badSource struct {
	name  string
	write func(t *testing.T, p string)
	want  string // besides the path
}

// inspect reads metadata only, as skopeo inspect does: it cannot see a
// corrupt layer of an OCI archive.
var inspectSees = func(c badSource) bool { return c.name != "flipped byte in an oci-archive layer" }

func badSources(t *testing.T) []badSource {
	img := testImage(t)
	fromValid := func(mutate func(t *testing.T, ms imagetest.Members) imagetest.Members) func(t *testing.T, p string) {
		return func(t *testing.T, p string) {
			mutate(t, dockerArchive(t, p)).WriteFile(t, p)
		}
	}
	return []badSource{
		{"truncated tar", func(t *testing.T, p string) {
			dockerArchive(t, p)
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)/2+100], 0o644)
		}, ""},
		{"flipped byte in a docker save layer", fromValid(func(t *testing.T, ms imagetest.Members) imagetest.Members {
			return ms.Edit(t, img.DockerLayerPath(1), imagetest.Flip)
		}), "diff_id"},
		{"flipped byte in an oci-archive layer", func(t *testing.T, p string) {
			valid := filepath.Join(filepath.Dir(p), "valid-for-oci.tar")
			dockerArchive(t, valid)
			oci := filepath.Join(filepath.Dir(p), "valid.oci.tar")
			mustRun(t, "convert", "-q", valid, "oci-archive:"+oci)
			ms := imagetest.ReadTarFile(t, oci)
			var biggest imagetest.Member
			for _, m := range ms {
				if strings.HasPrefix(m.Name, "blobs/sha256/") && len(m.Body) > len(biggest.Body) {
					biggest = m
				}
			}
			ms.Edit(t, biggest.Name, imagetest.Flip).WriteFile(t, p)
			os.Remove(valid)
			os.Remove(oci)
		}, "digest mismatch"},
		{"random bytes", func(t *testing.T, p string) {
			b := make([]byte, 8192)
			for i := range b {
				b[i] = byte(i*7919 + i/13)
			}
			os.WriteFile(p, b, 0o644)
		}, ""},
		{"gzip magic then junk", func(t *testing.T, p string) {
			os.WriteFile(p, []byte("\x1f\x8b\x08\x00 this is not gzip data at all"), 0o644)
		}, "gzip"},
		{"empty file", func(t *testing.T, p string) { os.WriteFile(p, nil, 0o644) }, "empty"},
		{"layers pointing to ../../etc/passwd", fromValid(func(t *testing.T, ms imagetest.Members) imagetest.Members {
			return ms.Set(t, "manifest.json", imagetest.JSON(t, []map[string]any{{"Config": img.DockerConfigPath(), "Layers": []string{"../../etc/passwd", "../../etc/passwd"}}}))
		}), "../../etc/passwd"},
		{"tar entry ../x", fromValid(func(t *testing.T, ms imagetest.Members) imagetest.Members {
			return ms.Add(imagetest.Member{Name: "../x", Body: []byte("x")})
		}), "../x"},
		{"missing layer", fromValid(func(t *testing.T, ms imagetest.Members) imagetest.Members {
			return ms.Drop(t, img.DockerLayerPath(0))
		}), img.DockerLayerPath(0)},
		{"broken manifest.json", fromValid(func(t *testing.T, ms imagetest.Members) imagetest.Members {
			return ms.Set(t, "manifest.json", []byte(`[{"Config":`))
		}), "manifest.json"},
		{"manifest.json nested 100 000 deep", fromValid(func(t *testing.T, ms imagetest.Members) imagetest.Members {
			return ms.Set(t, "manifest.json", imagetest.Nested(100000))
		}), "manifest.json"},
		{"symlink loop as a layer", fromValid(func(t *testing.T, ms imagetest.Members) imagetest.Members {
			var m []map[string]any
			json.Unmarshal(ms.Get(t, "manifest.json"), &m)
			m[0]["Layers"] = []string{"a", "a"}
			return ms.Set(t, "manifest.json", imagetest.JSON(t, m)).Add(
				imagetest.Member{Name: "a", Type: tar.TypeSymlink, Link: "b"}, imagetest.Member{Name: "b", Type: tar.TypeSymlink, Link: "a"})
		}), "a"},
		{"hardlink to a missing entry as a layer", fromValid(func(t *testing.T, ms imagetest.Members) imagetest.Members {
			return ms.Drop(t, img.DockerLayerPath(1)).Add(imagetest.Member{Name: img.DockerLayerPath(1), Type: tar.TypeLink, Link: "gone/layer.tar"})
		}), img.DockerLayerPath(1)},
		{"not an image", func(t *testing.T, p string) {
			imagetest.Members{{Name: "hello.txt", Body: []byte("hi")}}.WriteFile(t, p)
		}, ""},
	}
}

// Every hostile input: exit 1, one line on stderr naming the file, nothing at
// the destination or beside it, the input untouched.
func TestBadInputs(t *testing.T) {
	for _, c := range badSources(t) {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, "bad input.tar")
			c.write(t, src)
			before := sha(t, src)
			check := func(t *testing.T, args ...string) {
				t.Helper()
				code, stdout, stderr := run(t, args...)
				if code != 1 {
					t.Errorf("exit %d, want 1; stderr: %q", code, stderr)
				}
				lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
				if len(lines) != 1 || !strings.HasSuffix(stderr, "\n") {
					t.Errorf("stderr is not one line: %q", stderr)
				}
				if !strings.HasPrefix(stderr, "retar: ") || !strings.Contains(stderr, src) || !strings.Contains(stderr, c.want) {
					t.Errorf("stderr %q: want \"retar: \", %q and %q", stderr, src, c.want)
				}
				if stdout != "" {
					t.Errorf("stdout: %q", stdout)
				}
			}
			for _, layout := range destinations {
				t.Run(layout, func(t *testing.T) {
					dst := filepath.Join(dir, "out-"+layout)
					check(t, "convert", src, dstRef(layout, dst))
					if _, err := os.Lstat(dst); err == nil {
						t.Errorf("%s exists after a failed conversion", dst)
					}
					assert.Empty(t, tmpLeft(t, dir), "left behind")
				})
			}
			t.Run("verify", func(t *testing.T) { check(t, "verify", src) })
			if inspectSees(c) {
				t.Run("inspect", func(t *testing.T) { check(t, "inspect", src) })
			}
			if sha(t, src) != before {
				t.Error("the input changed")
			}
		})
	}
}

func TestMissingSource(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "nope.tar")
	code, _, stderr := run(t, "convert", src, "oci:"+filepath.Join(dir, "out"))
	if code != 1 || !strings.HasPrefix(stderr, "retar: ") || !strings.Contains(stderr, src) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// inspectJSON runs retar inspect and decodes what it prints.
func inspectJSON(t *testing.T, ref string) map[string]any {
	t.Helper()
	out := mustRun(t, "inspect", ref)
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("inspect %s: not JSON: %v\n%s", ref, err, out)
	}
	return v
}

func TestConvertEachLayout(t *testing.T) {
	dir, src := sourceArchive(t)
	before := sha(t, src)
	in := inspectJSON(t, src)
	if in["Name"] != "docker.io/"+imageName && in["Name"] != imageName {
		t.Errorf("source Name %v, want %s", in["Name"], imageName)
	}
	for _, layout := range destinations {
		t.Run(layout, func(t *testing.T) {
			dst := filepath.Join(dir, "out-"+layout)
			code, stdout, stderr := run(t, "convert", src, dstRef(layout, dst))
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout: %q", stdout)
			}
			if !strings.Contains(stderr, "wrote") {
				t.Errorf("stderr does not say what was written: %q", stderr)
			}
			out := mustRun(t, "verify", dstRef(layout, dst))
			if !strings.Contains(out, "ok") {
				t.Errorf("verify: %q", out)
			}
			v := inspectJSON(t, dstRef(layout, dst))
			if d, _ := v["Digest"].(string); digest.Digest(d).Validate() != nil {
				t.Errorf("Digest %v", v["Digest"])
			}
			if l, _ := v["Layers"].([]any); len(l) != 2 {
				t.Errorf("Layers %v, want 2", v["Layers"])
			}
			if _, ok := v["Name"]; !ok {
				t.Error("no Name")
			}
			if layout != "dir" && v["Name"] != in["Name"] {
				t.Errorf("Name %v, want %v", v["Name"], in["Name"])
			}
			if layout != "docker-archive" && v["Digest"] == in["Digest"] {
				// an OCI output gets an OCI manifest, so a new digest; dir keeps what it gets
				if layout != "dir" {
					t.Errorf("%s kept the docker manifest digest %v", layout, v["Digest"])
				}
			}
			assert.Empty(t, tmpLeft(t, dir), "left behind")
		})
	}
	if sha(t, src) != before {
		t.Error("the source changed")
	}
	code, out, _ := run(t, "manifest-digest", filepath.Join(dir, "out-dir", "manifest.json"))
	if code != 0 || strings.TrimSpace(out) != "sha256:"+sha(t, filepath.Join(dir, "out-dir", "manifest.json")) {
		t.Errorf("manifest-digest: %d %q", code, out)
	}
}

// treeOf reads a directory layout as path → content ("->target" for links).
func treeOf(t *testing.T, root string) map[string]string {
	t.Helper()
	tree := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			tree[rel] = "->" + l
			return err
		case d.IsDir():
			tree[rel+"/"] = ""
		default:
			b, err := os.ReadFile(p)
			tree[rel] = string(b)
			return err
		}
		return nil
	})
	require.NoError(t, err)
	return tree
}

func sameOutput(t *testing.T, layout, a, b string) {
	t.Helper()
	if layout == "docker-archive" || layout == "oci-archive" {
		assert.Equal(t, sha(t, a), sha(t, b), "%s: %s and %s differ", layout, a, b)
		return
	}
	assert.Equal(t, treeOf(t, a), treeOf(t, b), "%s: %s and %s differ", layout, a, b)
}

func TestReproducible(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "")
	dir, src := sourceArchive(t)
	for _, layout := range destinations {
		t.Run(layout, func(t *testing.T) {
			a, b := filepath.Join(dir, layout+"-a"), filepath.Join(dir, layout+"-b")
			mustRun(t, "convert", "-q", src, dstRef(layout, a))
			mustRun(t, "convert", "-q", src, dstRef(layout, b))
			sameOutput(t, layout, a, b)
			// Converting an output again to its own layout changes nothing.
			c := filepath.Join(dir, layout+"-c")
			mustRun(t, "convert", "-q", dstRef(layout, a), dstRef(layout, c))
			sameOutput(t, layout, a, c)
		})
	}
}

func TestSourceDateEpoch(t *testing.T) {
	dir, src := sourceArchive(t)
	mtimes := func(t *testing.T, epoch string) (map[int64]int, string) {
		t.Setenv("SOURCE_DATE_EPOCH", epoch)
		out := filepath.Join(dir, "out-"+epoch+".tar")
		mustRun(t, "convert", "-q", src, "oci-archive:"+out)
		f, err := os.Open(out)
		require.NoError(t, err)
		defer f.Close()
		seen := map[int64]int{}
		tr := tar.NewReader(f)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
			seen[h.ModTime.Unix()]++
		}
		return seen, out
	}
	zero, a := mtimes(t, "")
	if len(zero) != 1 || zero[0] == 0 {
		t.Errorf("without SOURCE_DATE_EPOCH, mtimes %v, want all 0", zero)
	}
	set, b := mtimes(t, "1700000000")
	if len(set) != 1 || set[1700000000] == 0 {
		t.Errorf("with SOURCE_DATE_EPOCH=1700000000, mtimes %v", set)
	}
	if sha(t, a) == sha(t, b) {
		t.Error("SOURCE_DATE_EPOCH does not change the output")
	}
}

func TestConvertOntoItself(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "")
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref.tar")
	dockerArchive(t, ref)
	for _, c := range []struct{ from, to string }{
		{"docker-archive", "docker-archive"},
		{"docker-archive", "oci-archive"},
		{"oci-archive", "oci-archive"},
		{"oci-archive", "docker-archive"},
		{"oci", "oci"},
		{"dir", "dir"},
	} {
		t.Run(c.from+" to "+c.to, func(t *testing.T) {
			// p holds c.from's layout; converting it onto itself as c.to
			// must give what converting a copy elsewhere gives.
			p := filepath.Join(dir, c.from+"-"+c.to)
			mustRun(t, "convert", "-q", ref, dstRef(c.from, p))
			want := filepath.Join(dir, c.from+"-"+c.to+"-want")
			mustRun(t, "convert", "-q", dstRef(c.from, p), dstRef(c.to, want))
			code, _, stderr := run(t, "convert", "-q", dstRef(c.from, p), dstRef(c.to, p))
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			mustRun(t, "verify", dstRef(c.to, p))
			sameOutput(t, c.to, want, p)
			assert.Empty(t, tmpLeft(t, dir), "left behind")
		})
	}
}

// Failures while writing, after a good plan: nothing at the destination,
// nothing beside it, and what was there is left as it was.
func TestWriteFailuresLeaveNothing(t *testing.T) {
	dir, src := sourceArchive(t)

	t.Run("archive onto a directory", func(t *testing.T) {
		dst := filepath.Join(dir, "a-dir")
		os.Mkdir(dst, 0o755)
		os.WriteFile(filepath.Join(dst, "keep"), []byte("keep"), 0o644)
		code, _, stderr := run(t, "convert", src, "oci-archive:"+dst)
		if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "retar: ") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
		if b, err := os.ReadFile(filepath.Join(dst, "keep")); err != nil || string(b) != "keep" {
			t.Errorf("the directory changed: %q %v", b, err)
		}
		assert.Empty(t, tmpLeft(t, dir), "left behind")
	})
	t.Run("into a missing directory", func(t *testing.T) {
		for _, layout := range destinations {
			dst := filepath.Join(dir, "no", "such", "dir", "out")
			code, _, stderr := run(t, "convert", src, dstRef(layout, dst))
			if code != 1 || strings.Count(stderr, "\n") != 1 {
				t.Errorf("%s: exit %d, stderr %q", layout, code, stderr)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "no")); err == nil {
			t.Error("directories were created for a failed conversion")
		}
	})
	t.Run("layout onto a file", func(t *testing.T) {
		dst := filepath.Join(dir, "a-file")
		os.WriteFile(dst, []byte("precious"), 0o644)
		for _, layout := range []string{"oci", "dir"} {
			code, _, stderr := run(t, "convert", src, dstRef(layout, dst))
			if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, dst) {
				t.Errorf("%s: exit %d, stderr %q", layout, code, stderr)
			}
		}
		if b, _ := os.ReadFile(dst); string(b) != "precious" {
			t.Errorf("the file changed: %q", b)
		}
	})
}

func TestRefuseNonLayoutDirectory(t *testing.T) {
	dir, src := sourceArchive(t)
	for _, layout := range []string{"oci", "dir"} {
		t.Run(layout, func(t *testing.T) {
			dst := filepath.Join(dir, "home-"+layout)
			os.MkdirAll(filepath.Join(dst, "sub"), 0o755)
			os.WriteFile(filepath.Join(dst, "thesis.txt"), []byte("years of work"), 0o644)
			os.WriteFile(filepath.Join(dst, "sub", "notes"), []byte("notes"), 0o644)
			before := treeOf(t, dst)
			code, _, stderr := run(t, "convert", src, dstRef(layout, dst))
			if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "retar: ") || !strings.Contains(stderr, dst) {
				t.Errorf("exit %d, stderr %q", code, stderr)
			}
			assert.Equal(t, before, treeOf(t, dst), "the directory changed")
			assert.Empty(t, tmpLeft(t, dir), "left behind")
		})
	}
	t.Run("an empty directory is taken", func(t *testing.T) {
		dst := filepath.Join(dir, "empty")
		os.Mkdir(dst, 0o755)
		mustRun(t, "convert", "-q", src, "oci:"+dst)
		mustRun(t, "verify", "oci:"+dst)
	})
	t.Run("a layout is replaced", func(t *testing.T) {
		dst := filepath.Join(dir, "layout")
		mustRun(t, "convert", "-q", src, "oci:"+dst)
		mustRun(t, "convert", "-q", src, "oci:"+dst+":example.com/other:2")
		if v := inspectJSON(t, "oci:"+dst); v["Name"] != "example.com/other:2" {
			t.Errorf("Name %v after replacing the layout", v["Name"])
		}
	})
}

// A real docker save archive converts to every layout and each result verifies.
func TestRealFixture(t *testing.T) {
	src := filepath.Join("..", "golden", "testdata", "thirdparty", "wagoodman__dive", ".data", "test-docker-image.tar")
	if _, err := os.Stat(src); err != nil {
		t.Fatalf("the fixture is in the repository: %v", err)
	}
	dir := t.TempDir()
	for _, layout := range destinations {
		dst := filepath.Join(dir, layout)
		mustRun(t, "convert", "-q", src, dstRef(layout, dst))
		mustRun(t, "verify", dstRef(layout, dst))
	}
}

// An oci-archive whose index.json lists a manifest the archive does not hold:
// every command says so in one line, exit 1; none panics.
func TestAbsentManifest(t *testing.T) {
	dir := t.TempDir()
	valid, src := filepath.Join(dir, "valid.tar"), filepath.Join(dir, "absent.tar")
	dockerArchive(t, valid)
	mustRun(t, "convert", "-q", valid, "oci-archive:"+valid+".oci")
	ms := imagetest.ReadTarFile(t, valid+".oci")
	var idx struct {
		Manifests []struct{ Digest digest.Digest }
	}
	json.Unmarshal(ms.Get(t, "index.json"), &idx)
	if len(idx.Manifests) != 1 {
		t.Fatalf("index.json: %+v", idx)
	}
	ms.Drop(t, "blobs/sha256/"+idx.Manifests[0].Digest.Encoded()).WriteFile(t, src)
	for _, args := range [][]string{
		{"inspect", src},
		{"verify", src},
		{"convert", src, "docker-archive:" + filepath.Join(dir, "out.tar")},
		{"convert", src, "oci-archive:" + filepath.Join(dir, "out.oci.tar")},
		{"convert", src, "oci:" + filepath.Join(dir, "out-oci")},
	} {
		t.Run(args[0]+" "+strings.Split(args[len(args)-1], ":")[0], func(t *testing.T) {
			var code int
			var stderr string
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("retar %v panics: %v", args, r)
					}
				}()
				code, _, stderr = run(t, args...)
			}()
			if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, src) || !strings.Contains(stderr, idx.Manifests[0].Digest.String()) {
				t.Errorf("exit %d, stderr %q; want 1 and one line naming %s and the manifest", code, stderr, src)
			}
		})
	}
}

// A config named for a digest it does not have: docker loads such archives
// (the content counts), so convert goes on with a notice; verify fails.
func TestConfigNameClaimsWrongDigest(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "claims.tar")
	img := testImage(t)
	ms := img.DockerArchive(t)
	wrong := digest.FromString("something else").Encoded() + ".json"
	var m []map[string]any
	json.Unmarshal(ms.Get(t, "manifest.json"), &m)
	m[0]["Config"] = wrong
	ms.Rename(t, img.DockerConfigPath(), wrong).Set(t, "manifest.json", imagetest.JSON(t, m)).WriteFile(t, src)
	t.Logf("renamed %s to %s", img.DockerConfigPath(), wrong)
	code, _, stderr := run(t, "verify", src)
	if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "retar: ") || !strings.Contains(stderr, src) || !strings.Contains(stderr, wrong) {
		t.Errorf("verify: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = run(t, "convert", src, "oci-archive:"+filepath.Join(dir, "out.tar"))
	if code != 0 || !strings.Contains(stderr, "retar: notice: ") || !strings.Contains(stderr, wrong) {
		t.Errorf("convert: exit %d, stderr %q; want 0 and a notice naming %s", code, stderr, wrong)
	}
}
