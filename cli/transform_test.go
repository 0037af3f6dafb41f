package cli_test

// The transformation flags end to end through cli.Main: --format, --compress,
// --compress-level, --platform, --all-platforms, and compressed inputs.

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retar-dev/retar/internal/imagetest"
)

// multiPlatform is an OCI layout of a two-platform image (linux/amd64 and
// linux/arm64) from the third-party fixtures.
var multiPlatform = filepath.Join("..", "golden", "testdata", "thirdparty", "anchore__stereoscope", "pkg", "image", "oci", "testdata", "multiplatform_oci_dir")

func needFixture(t *testing.T, p string) {
	t.Helper()
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("third-party fixture %s not found (golden/testdata/thirdparty)", p)
	}
}

// isolateTmp points TMPDIR at an empty directory and returns it.
func isolateTmp(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	t.Setenv("TMPDIR", d)
	return d
}

// retarTemps lists what retar left in TMPDIR (spills, decompressed inputs).
func retarTemps(t *testing.T, tmp string) []string {
	t.Helper()
	ents, err := os.ReadDir(tmp)
	require.NoError(t, err)
	var left []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "retar-") {
			left = append(left, e.Name())
		}
	}
	return left
}

// layersOf returns the MIME types of the layers inspect reports.
func layersOf(t *testing.T, ref string, extra ...string) (types []string, in map[string]any) {
	t.Helper()
	out := mustRun(t, append(append([]string{"inspect"}, extra...), ref)...)
	if err := json.Unmarshal([]byte(out), &in); err != nil {
		t.Fatalf("inspect %s: %v\n%s", ref, err, out)
	}
	ld, _ := in["LayersData"].([]any)
	for _, l := range ld {
		m, _ := l.(map[string]any)
		s, _ := m["MIMEType"].(string)
		types = append(types, s)
	}
	return types, in
}

func rawManifestOf(t *testing.T, ref string) map[string]any {
	t.Helper()
	var m map[string]any
	out := mustRun(t, "inspect", "--raw", ref)
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("inspect --raw %s: %v", ref, err)
	}
	return m
}

// TestTransformFlagsEachLayout runs each transformation flag to each
// destination layout and checks the output verifies and shows the change.
func TestTransformFlagsEachLayout(t *testing.T) {
	tmp := isolateTmp(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src.tar")
	dockerArchive(t, src) // uncompressed layers
	gzSrc := filepath.Join(dir, "gz")
	mustRun(t, "convert", "-q", "--compress", "gzip", src, "oci:"+gzSrc)

	type check func(t *testing.T, ref, layout, stderr string)
	layerTypes := func(want string) check {
		return func(t *testing.T, ref, layout, _ string) {
			types, _ := layersOf(t, ref)
			if len(types) != 2 {
				t.Fatalf("%d layers, want 2", len(types))
			}
			for _, mt := range types {
				if !strings.HasSuffix(mt, want) && !(want == "tar" && strings.HasSuffix(mt, ".tar")) {
					t.Errorf("layer media type %s, want one ending in %s", mt, want)
				}
			}
		}
	}
	manifestType := func(want string) check {
		return func(t *testing.T, ref, layout, stderr string) {
			if layout == "docker-archive" {
				if !strings.Contains(stderr, "notice: --format has no effect") {
					t.Errorf("no --format notice for a docker-archive: %q", stderr)
				}
				return
			}
			if mt := rawManifestOf(t, ref)["mediaType"]; mt != want {
				t.Errorf("manifest mediaType %v, want %s", mt, want)
			}
		}
	}
	arch := func(want string) check {
		return func(t *testing.T, ref, layout, _ string) {
			_, in := layersOf(t, ref, "--platform", "linux/"+want)
			if in["Architecture"] != want {
				t.Errorf("Architecture %v, want %s", in["Architecture"], want)
			}
		}
	}
	cases := []struct {
		name  string
		src   string
		flags []string
		check check
	}{
		{"compress-gzip", src, []string{"--compress", "gzip"}, layerTypes("gzip")},
		{"compress-zstd", src, []string{"--compress", "zstd"}, layerTypes("+zstd")},
		{"compress-gzip-level", src, []string{"--compress", "gzip", "--compress-level", "9"}, layerTypes("gzip")},
		{"compress-zstd-level", src, []string{"--compress=zstd", "--compress-level=3"}, layerTypes("+zstd")},
		{"compress-none", "oci:" + gzSrc, []string{"--compress", "none"}, layerTypes("tar")},
		{"compress-keep", "oci:" + gzSrc, []string{"--compress", "keep"}, layerTypes("gzip")},
		{"format-oci", src, []string{"--format", "oci"}, manifestType("application/vnd.oci.image.manifest.v1+json")},
		{"format-v2s2", "oci:" + gzSrc, []string{"--format", "v2s2"}, manifestType("application/vnd.docker.distribution.manifest.v2+json")},
		{"platform-amd64", src, []string{"--platform", "linux/amd64"}, arch("amd64")},
		{"platform-arm64", "oci:" + multiPlatform, []string{"--platform", "linux/arm64"}, arch("arm64")},
		{"platform-both", "oci:" + multiPlatform, []string{"--platform", "linux/arm64", "--platform", "linux/amd64"}, arch("arm64")},
		{"all-platforms", "oci:" + multiPlatform, []string{"--all-platforms"}, func(t *testing.T, ref, layout, _ string) {
			_, in := layersOf(t, ref)
			imgs, _ := in["Images"].([]any)
			if len(imgs) != 1 {
				t.Fatalf("Images %v", in["Images"])
			}
			pl, _ := imgs[0].(map[string]any)["Platforms"].([]any)
			if len(pl) != 2 {
				t.Errorf("platforms %v, want linux/amd64 and linux/arm64", pl)
			}
		}},
		{"everything", "oci:" + multiPlatform, []string{"--platform", "linux/arm64", "--format", "v2s2", "--compress", "zstd", "--compress-level", "1", "-t", "example.com/x:1"}, arch("arm64")},
	}
	needFixture(t, multiPlatform)
	for _, c := range cases {
		for _, layout := range destinations {
			t.Run(c.name+"/"+layout, func(t *testing.T) {
				dst := filepath.Join(dir, c.name+"-"+layout)
				args := append(append([]string{"convert"}, c.flags...), c.src, dstRef(layout, dst))
				code, stdout, stderr := run(t, args...)
				if code != 0 {
					t.Fatalf("retar %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
				}
				if stdout != "" {
					t.Errorf("stdout %q", stdout)
				}
				ref := dstRef(layout, dst)
				if out := mustRun(t, "verify", ref); !strings.Contains(out, "ok") {
					t.Errorf("verify: %q", out)
				}
				c.check(t, ref, layout, stderr)
				assert.Empty(t, retarTemps(t, tmp), "left in TMPDIR")
				assert.Empty(t, tmpLeft(t, dir), "left beside the output")
			})
		}
	}
}

// TestAllPlatformsShapes: --all-platforms writes a docker-archive as a docker
// 25+ hybrid (index.json, blobs, manifest.json) and a dir: as skopeo copy
// --all does (the index as manifest.json, <hex>.manifest.json per platform).
func TestAllPlatformsShapes(t *testing.T) {
	needFixture(t, multiPlatform)
	dir := t.TempDir()
	da := filepath.Join(dir, "all.tar")
	mustRun(t, "convert", "-q", "--all-platforms", "oci:"+multiPlatform, "docker-archive:"+da)
	names := imagetest.ReadTarFile(t, da).Names()
	for _, want := range []string{"index.json", "manifest.json", "oci-layout"} {
		if !slices.Contains(names, want) {
			t.Errorf("docker-archive --all-platforms: no %s in %v", want, names)
		}
	}
	d := filepath.Join(dir, "all-dir")
	mustRun(t, "convert", "-q", "--all-platforms", "oci:"+multiPlatform, "dir:"+d)
	ms, _ := filepath.Glob(filepath.Join(d, "*.manifest.json"))
	if len(ms) != 2 {
		t.Errorf("dir --all-platforms: %d <hex>.manifest.json files, want 2", len(ms))
	}
	if mt := rawManifestOf(t, "dir:"+d)["mediaType"]; mt != "application/vnd.oci.image.index.v1+json" {
		t.Errorf("dir manifest.json mediaType %v, want the index", mt)
	}
	// Without --all-platforms, a dir: takes the host's platform, with a notice.
	d2 := filepath.Join(dir, "one-dir")
	code, _, stderr := run(t, "convert", "oci:"+multiPlatform, "dir:"+d2)
	if code != 0 || !strings.Contains(stderr, "notice:") || !strings.Contains(stderr, "--platform") {
		t.Errorf("exit %d, stderr %q: want a notice saying which platform was taken", code, stderr)
	}
}

// TestTransformUsageErrors: invalid values exit 2 with one line and write
// nothing.
func TestTransformUsageErrors(t *testing.T) {
	tmp := isolateTmp(t)
	dir, src := sourceArchive(t)
	for _, c := range []struct {
		flags []string
		says  string
	}{
		{[]string{"--format", "x"}, `"x"`},
		{[]string{"--format", "OCI"}, `"OCI"`},
		{[]string{"--compress", "lz4"}, `"lz4"`},
		{[]string{"--compress-level", "fast"}, "compress-level"},
		{[]string{"--compress", "gzip", "--compress-level", "10"}, "10"},
		{[]string{"--platform", "linux"}, `"linux"`},
		{[]string{"--platform", "linux/arm64"}, "linux/amd64"}, // the image is linux/amd64 only
		{[]string{"--all-platforms", "--platform", "linux/amd64"}, "--all-platforms"},
	} {
		for _, layout := range destinations {
			t.Run(strings.Join(c.flags, " ")+"/"+layout, func(t *testing.T) {
				out := filepath.Join(dir, "out-"+layout)
				args := append(append([]string{"convert"}, c.flags...), src, dstRef(layout, out))
				code, stdout, stderr := run(t, args...)
				defer os.RemoveAll(out)
				if code != 2 {
					t.Errorf("exit %d, want 2; stderr %q", code, stderr)
				}
				if stdout != "" {
					t.Errorf("stdout %q", stdout)
				}
				// flag's own parse errors print the usage; retar's checks print one line.
				if !strings.HasPrefix(stderr, "retar: ") && !strings.Contains(stderr, "invalid value") {
					t.Errorf("stderr %q, want one line starting retar:", stderr)
				} else if strings.HasPrefix(stderr, "retar: ") && strings.Count(stderr, "\n") != 1 {
					t.Errorf("stderr is %d lines: %q", strings.Count(stderr, "\n"), stderr)
				}
				if !strings.Contains(stderr, c.says) {
					t.Errorf("stderr %q does not mention %s", stderr, c.says)
				}
				if _, err := os.Lstat(out); err == nil {
					t.Errorf("%s was created", out)
				}
				assert.Empty(t, retarTemps(t, tmp), "left in TMPDIR")
				assert.Empty(t, tmpLeft(t, dir), "left beside the output")
			})
		}
	}
}

// TestCompressLevelOutOfRangeRejected: --compress-level outside the documented ranges
// (gzip 1-9, zstd 1-22), or with no --compress to apply to, is a usage error
// rather than silently something else.
func TestCompressLevelOutOfRangeRejected(t *testing.T) {
	dir, src := sourceArchive(t)
	for _, flags := range [][]string{
		{"--compress", "zstd", "--compress-level", "23"},
		{"--compress", "zstd", "--compress-level", "-1"},
		{"--compress", "gzip", "--compress-level", "-2"},
		{"--compress-level", "5"},
	} {
		t.Run(strings.Join(flags, " "), func(t *testing.T) {
			out := filepath.Join(dir, "out.tar")
			defer os.Remove(out)
			code, _, stderr := run(t, append(append([]string{"convert"}, flags...), src, "oci-archive:"+out)...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", code, stderr)
			}
		})
	}
}

// compressFile writes the file in, compressed with c, to out.
func compressFile(t *testing.T, c imagetest.Compression, in, out string) {
	t.Helper()
	b, err := os.ReadFile(in)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(out, c.Compress(t, b), 0o644))
}

// TestCompressedInputs: gzip and zstd compressed docker-archives convert
// (also re-encoding their layers) and verify; TMPDIR is left clean.
func TestCompressedInputs(t *testing.T) {
	tmp := isolateTmp(t)
	dir, src := sourceArchive(t)
	gz, zs := src+".gz", src+".zst"
	compressFile(t, imagetest.Gzip, src, gz)
	compressFile(t, imagetest.Zstd, src, zs)
	plainID := func(layout string) string {
		p := filepath.Join(dir, "plain-"+layout)
		mustRun(t, "convert", "-q", src, dstRef(layout, p))
		_, in := layersOf(t, dstRef(layout, p))
		return in["Digest"].(string)
	}
	for _, in := range []string{gz, "docker-archive:" + zs} {
		if out := mustRun(t, "verify", in); !strings.Contains(out, "ok") {
			t.Errorf("verify %s: %q", in, out)
		}
		for _, layout := range destinations {
			for _, flags := range [][]string{nil, {"--compress", "zstd"}} {
				name := filepath.Base(in) + "/" + layout + "/" + strings.Join(flags, "=")
				t.Run(name, func(t *testing.T) {
					dst := filepath.Join(dir, strings.ReplaceAll(name, "/", "_"))
					args := append(append([]string{"convert", "-q"}, flags...), in, dstRef(layout, dst))
					mustRun(t, args...)
					mustRun(t, "verify", dstRef(layout, dst))
					if flags == nil && layout != "docker-archive" {
						_, got := layersOf(t, dstRef(layout, dst))
						if want := plainID(layout); got["Digest"] != want {
							t.Errorf("digest %v, want %s as from the uncompressed archive", got["Digest"], want)
						}
					}
					assert.Empty(t, retarTemps(t, tmp), "left in TMPDIR after success")
				})
			}
		}
	}
}

// TestTmpCleanOnFailure: failed conversions of compressed inputs, and
// failures in re-encoding, leave nothing in TMPDIR and nothing at DST.
func TestTmpCleanOnFailure(t *testing.T) {
	tmp := isolateTmp(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src.tar")
	img := testImage(t)
	img.DockerArchive(t).WriteFile(t, src)
	// gzip layers, the second not matching its diff_id: found while
	// re-encoding, once the first layer is spilled
	bad := filepath.Join(dir, "bad.tar")
	badImg := img
	badImg.Blobs = [][]byte{imagetest.Gzip.Compress(t, img.Layers[0]), imagetest.Gzip.Compress(t, imagetest.Flip(img.Layers[1]))}
	badImg.DockerArchive(t).WriteFile(t, bad)
	gzBad := bad + ".gz"
	compressFile(t, imagetest.Gzip, bad, gzBad)
	// a truncated gzip archive: found while decompressing the input
	gz := src + ".gz"
	compressFile(t, imagetest.Gzip, src, gz)
	b, _ := os.ReadFile(gz)
	trunc := filepath.Join(dir, "trunc.tar.gz")
	os.WriteFile(trunc, b[:len(b)/2], 0o644)
	// not an archive once decompressed
	junk := filepath.Join(dir, "junk.zst")
	os.WriteFile(filepath.Join(dir, "junk"), bytes.Repeat([]byte("junk "), 1000), 0o644)
	compressFile(t, imagetest.Zstd, filepath.Join(dir, "junk"), junk)

	for _, c := range []struct {
		name string
		args []string
	}{
		{"diff_id-zstd", []string{"--compress", "zstd", bad}},
		{"diff_id-gzip-input-zstd", []string{"--compress", "zstd", gzBad}},
		{"diff_id-gzip-input-none", []string{"--compress", "none", gzBad}},
		{"truncated-input", []string{trunc}},
		{"truncated-input-zstd", []string{"--compress", "zstd", trunc}},
		{"junk-input", []string{junk}},
	} {
		for _, layout := range destinations {
			t.Run(c.name+"/"+layout, func(t *testing.T) {
				dst := filepath.Join(dir, "out-"+layout)
				code, _, stderr := run(t, append(append([]string{"convert"}, c.args...), dstRef(layout, dst))...)
				t.Logf("%s", stderr)
				if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "retar: ") {
					t.Errorf("exit %d, stderr %q; want 1 and one line", code, stderr)
				}
				if _, err := os.Lstat(dst); err == nil {
					t.Errorf("%s was written", dst)
				}
				assert.Empty(t, retarTemps(t, tmp), "left in TMPDIR after failure")
				assert.Empty(t, tmpLeft(t, dir), "left beside the output")
			})
		}
	}
}
