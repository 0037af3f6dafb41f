//go:build unix

package cli_test

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retar-dev/retar/internal/imagetest"
)

// The commands that look at an archive read a stream once as it arrives,
// through a TMPDIR nothing can be written in, and say what they say of the
// same archive in a file: verify (every digest and diff_id), inspect,
// digests and check.
func TestLookingAtAStream(t *testing.T) {
	for _, in := range []string{
		"real-docker29/d29c-save-single.tar",                       // docker 29, containerd store
		"real-docker29/d29d-save-multiplatform.tar",                // several platforms
		"real-docker29/d29d-save-absent.tar",                       // ... some absent
		"real/docker-save-single.tar",                              // docker 20.10: <id>/layer.tar
		"real/docker-save-two-images.tar",                          // two images, shared layers
		"real/podman-save-docker-archive.tar",                      // podman save, <hex>.tar layers
		"real/podman-save-oci-archive.tar",                         // podman save --format oci-archive
		"real/skopeo-oci-archive-named.tar",                        // skopeo copy oci-archive:
		"real/ctr-export-two-images.tar",                           // ctr export
		"thirdparty/wagoodman__dive/.data/test-oci-gzip-image.tar", // BuildKit, gzip layers
	} {
		t.Run(filepath.Base(in), func(t *testing.T) {
			data := testdataFile(t, in)
			dir := t.TempDir()
			file := filepath.Join(dir, "image.tar")
			if err := os.WriteFile(file, data, 0o644); err != nil {
				t.Fatal(err)
			}
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			zw.Write(data) //nolint:errcheck // into memory
			zw.Close()
			for _, args := range [][]string{{"verify"}, {"verify", "--json"}, {"inspect"}, {"digests"}, {"check"}, {"check", "--json"}} {
				// As the file in the working directory would be named.
				want := strings.ReplaceAll(mustRun(t, append(args, file)...), dir+string(filepath.Separator), "")
				for _, stream := range []struct {
					name string
					data []byte
				}{{"plain", data}, {"gzip", gz.Bytes()}} {
					code, out, stderr := retarPipe(t, stream.data, unusableTMPDIR(t), append(args, "-")...)
					if code != 0 {
						t.Fatalf("%s of a %s stream: exit %d: %s", args, stream.name, code, stderr)
					}
					if args[0] == "check" && stream.name == "gzip" {
						continue // a compressed archive: other verdicts, as of a compressed file
					}
					got := string(out)
					for _, name := range []string{"standard input", "-: ok", `"source": "-"`} {
						got = strings.ReplaceAll(got, name, strings.Replace(strings.Replace(name, "standard input", "image.tar", 1), "-", "image.tar", 1))
					}
					if args[0] == "check" {
						const note = "(a stream: the commands below name it saved as image.tar)\n"
						if len(args) == 1 && !strings.Contains(got, note) {
							t.Errorf("check of a stream does not say what its commands name it:\n%s", got)
						}
						got = strings.Replace(got, note, "", 1)
					}
					if got != want {
						t.Errorf("%s of a %s stream says\n%s\nand of the file\n%s", args, stream.name, got, want)
					}
				}
			}
		})
	}
}

// A broken archive on standard input fails verify as in a file: one line,
// exit 1, naming standard input and what is wrong, with nothing written to
// TMPDIR.
func TestVerifyBrokenStream(t *testing.T) {
	for _, c := range badSources(t) {
		t.Run(c.name, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "bad.tar")
			c.write(t, src)
			data, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			code, out, stderr := retarPipe(t, data, unusableTMPDIR(t), "verify", "-")
			if code != 1 || len(out) != 0 {
				t.Errorf("exit %d, stdout %q; want 1 and nothing", code, out)
			}
			oneLineFailure(t, code, stderr, 1, "standard input", c.want)
		})
	}
}

// A compressed layer checked as it passes in a stream fails as it does in a
// file, in the same words: a diff_id its bytes do not have, or bytes that
// do not decompress.
func TestVerifyStreamLayerContent(t *testing.T) {
	img := testImage(t)
	lie := img
	lie.Blobs = [][]byte{imagetest.Gzip.Compress(t, img.Layers[0]), imagetest.Gzip.Compress(t, imagetest.Flip(img.Layers[1]))}
	junk := img
	gz := imagetest.Gzip.Compress(t, img.Layers[1])
	junk.Blobs = [][]byte{imagetest.Gzip.Compress(t, img.Layers[0]), append(gz[:20:20], bytes.Repeat([]byte{0xff}, 200)...)}
	for _, c := range []struct {
		name string
		img  imagetest.Image
		want string
	}{{"a diff_id its bytes lack", lie, "diff_id"}, {"a gzip layer that does not decompress", junk, "does not decompress"}} {
		for _, layout := range []string{"docker-archive", "oci-archive"} {
			t.Run(c.name+"/"+layout, func(t *testing.T) {
				file := filepath.Join(t.TempDir(), "image.tar")
				if layout == "docker-archive" {
					c.img.DockerArchive(t).WriteFile(t, file)
				} else {
					c.img.OCIArchive(t).WriteFile(t, file)
				}
				code, _, want := run(t, "verify", file)
				oneLineFailure(t, code, want, 1, c.want)
				data, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				code, _, got := retarPipe(t, data, unusableTMPDIR(t), "verify", "-")
				oneLineFailure(t, code, got, 1, c.want)
				if got = strings.ReplaceAll(got, "standard input", file); got != want {
					t.Errorf("of a stream: %q; of the file: %q", got, want)
				}
			})
		}
	}
}

// The commands check and explain show for a stream's archive name it as
// saved (image.tar), never "standard input", which no shell has.
func TestStreamCommandsNameAFile(t *testing.T) {
	data := testdataFile(t, "real/docker-save-single.tar")
	for _, args := range [][]string{{"check", "-v", "-"}, {"explain", "unrecognized image format", "-"}, {"explain", "no such file or directory", "-"}} {
		code, out, stderr := retarPipe(t, data, unusableTMPDIR(t), args...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", args, code, stderr)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, "$ ") || strings.Contains(line, "retar verify") {
				if strings.Contains(line, "standard input") || !strings.Contains(line, "image.tar") {
					t.Errorf("%s: a command that does not name image.tar: %q", args, line)
				}
			}
		}
	}
}
