//go:build unix

package cli_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retar-dev/retar/internal/imagetest"
)

// retarPipe runs the retar binary with data on standard input through a
// pipe and TMPDIR set; it gives the exit status, standard output and error.
func retarPipe(t *testing.T, data []byte, tmpdir string, args ...string) (code int, stdout []byte, stderr string) {
	t.Helper()
	cmd := exec.Command(retarBinary(t), args...)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmpdir)
	cmd.Stdin = bytes.NewReader(data) // exec gives it through a pipe
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.Bytes(), errb.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, out.Bytes(), errb.String()
}

// unusableTMPDIR is a TMPDIR nothing can be written in, whoever runs the
// test (root included): a regular file. A job that spools fails on it.
func unusableTMPDIR(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "not-a-directory")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func testdataFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "golden", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The pipe into kind's import, from each shape docker and podman save: no
// byte in TMPDIR (which cannot be written), no notice about one pass, and
// an archive with the entries of the file's conversion.
func TestOnePassStdinToStdout(t *testing.T) {
	for _, in := range []string{
		"real-docker29/d29c-save-single.tar",                       // docker 29, containerd store
		"real-docker29/d29d-save-multiplatform.tar",                // docker 29, several platforms
		"real-docker29/d29d-save-absent.tar",                       // ... some absent
		"real/podman-save-docker-archive.tar",                      // podman save, <hex>.tar layers
		"real/skopeo-oci-archive-named.tar",                        // skopeo copy oci-archive:
		"real/ctr-export-from-docker-archive.tar",                  // ctr export
		"thirdparty/wagoodman__dive/.data/test-oci-gzip-image.tar", // BuildKit
	} {
		t.Run(filepath.Base(in), func(t *testing.T) {
			data := testdataFile(t, in)
			code, out, stderr := retarPipe(t, data, unusableTMPDIR(t), "convert", "--for", "kind", "-t", "example.com/one:1", "-", "-")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if strings.Contains(stderr, "one pass") || strings.Contains(stderr, "TMPDIR") {
				t.Errorf("a notice about TMPDIR: %s", stderr)
			}
			dir := t.TempDir()
			src := filepath.Join(dir, "in.tar")
			if err := os.WriteFile(src, data, 0o644); err != nil {
				t.Fatal(err)
			}
			fromFile := filepath.Join(dir, "from-file.tar")
			mustRun(t, "convert", "-q", "--for", "kind", "-t", "example.com/one:1", src, fromFile)
			want, _ := os.ReadFile(fromFile)
			g, w := imagetest.ReadTar(t, out), imagetest.ReadTar(t, want)
			if len(g) != len(w) {
				t.Fatalf("%d entries, the file's conversion %d", len(g), len(w))
			}
			for _, m := range w {
				if !bytes.Equal(g.Get(t, m.Name), m.Body) {
					t.Errorf("%s differs from the file's conversion", m.Name)
				}
			}
			if _, whole := imagetest.TarNames(out); !whole {
				t.Error("no end-of-archive marker")
			}
		})
	}
}

// The notice that standard input went through TMPDIR comes exactly when
// some blob could not pass: a layer named without its digest (docker <=
// 24), an option that picks or re-encodes; never when all passed, or when
// DST is a file (nothing one pass could be).
func TestOnePassFallbackNotice(t *testing.T) {
	d29 := testdataFile(t, "real-docker29/d29c-save-single.tar")
	d20 := testdataFile(t, "real/docker-save-single.tar")
	file := filepath.Join(t.TempDir(), "out.tar")
	for _, c := range []struct {
		name string
		data []byte
		args []string
		want string // in the one notice; "" for none
	}{
		{"docker 29", d29, []string{"-", "-"}, ""},
		{"docker 29 into a docker-archive", d29, []string{"-", "docker-archive:-"}, "holds one platform of each image"},
		{"docker 20.10", d20, []string{"-", "-"}, "names no digest"},
		{"--platform", d29, []string{"--platform", "linux/amd64", "-", "-"}, "--platform"},
		{"--compress", d29, []string{"--compress", "zstd", "-", "-"}, "--compress"},
		{":@0", d29, []string{"docker-archive:-:@0", "-"}, "picking an image"},
		{"into a file", d20, []string{"-", file}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, stderr := retarPipe(t, c.data, t.TempDir(), append([]string{"convert"}, c.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			n := strings.Count(stderr, "one pass")
			switch {
			case c.want == "" && n > 0:
				t.Errorf("a notice about one pass: %s", stderr)
			case c.want != "" && (n != 1 || !strings.Contains(stderr, c.want)):
				t.Errorf("want one notice saying %q, got:\n%s", c.want, stderr)
			}
			if c.args[len(c.args)-1] == "-" {
				if _, whole := imagetest.TarNames(out); !whole {
					t.Error("the output is not a whole archive")
				}
			}
		})
	}
}

// A byte flipped in the middle of a layer as it streams: exit 1, one line
// naming the layer and what the reader got, and an output no loader takes
// (no index, no manifest.json, no end marker).
func TestOnePassCorruptStream(t *testing.T) {
	img := imagetest.New(t, imagetest.LayerTars(bigLayerTar(t, 3<<20)), imagetest.Names("example.com/one:1"))
	layer := imagetest.BlobPath(img.LayerBlob(t, 0))
	for _, c := range []struct {
		name  string
		entry string
		say   string
	}{
		{"layer", layer, "stops inside " + layer},
		{"config", imagetest.BlobPath(img.Config), "before the JSON that names its blobs"},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := img.Hybrid(t).Edit(t, c.entry, func(b []byte) []byte {
				b = bytes.Clone(b)
				b[len(b)/2] ^= 1
				return b
			}).Tar(t)
			code, out, stderr := retarPipe(t, data, unusableTMPDIR(t), "convert", "-q", "-", "-")
			oneLineFailure(t, code, stderr, 1, "standard input", c.say)
			list, whole := imagetest.TarNames(out)
			if whole || len(out) == 0 {
				t.Errorf("the output is a whole archive, or nothing (%d bytes)", len(out))
			}
			for _, n := range list {
				if n == "index.json" || n == "manifest.json" {
					t.Errorf("the output holds %s", n)
				}
			}
		})
	}
}

// A manifest.json over its limit at the head of the stream: one line naming
// it and the limit, nothing written.
func TestOnePassOverLargeJSON(t *testing.T) {
	img := imagetest.New(t, imagetest.Names("example.com/one:1"))
	big := append(append([]byte("["), bytes.Repeat([]byte(" "), 16<<20)...), ']')
	data := append(imagetest.Members{{Name: "manifest.json", Body: big}}, img.Hybrid(t).Drop(t, "manifest.json")...).Tar(t)
	code, out, stderr := retarPipe(t, data, unusableTMPDIR(t), "convert", "-q", "-", "-")
	oneLineFailure(t, code, stderr, 1, "standard input", "manifest.json", "16 MiB limit")
	if len(out) != 0 {
		t.Errorf("%d bytes written", len(out))
	}
}

func bigLayerTar(t *testing.T, n int) []byte {
	t.Helper()
	body := make([]byte, n)
	for i := range body {
		body[i] = byte(i*7 + i/251)
	}
	return imagetest.FileLayer(t, body)
}

// A FIFO as SRC is a stream like -: read in one pass into standard output.
func TestOnePassFromFIFO(t *testing.T) {
	// Larger than a pipe's buffer: the write returns once retar reads.
	img := imagetest.New(t, imagetest.LayerTars(bigLayerTar(t, 1<<20)), imagetest.Names("example.com/one:1"))
	data := img.Hybrid(t).Tar(t)
	fifo := filepath.Join(t.TempDir(), "in.fifo")
	mkfifo(t, fifo)
	// Held open for writing before retar opens it, so retar finds a writer,
	// and closed once all is written, so retar finds the end.
	w, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		w.Write(data) //nolint:errcheck // retar's exit says what it got
		w.Close()
	}()
	code, out, stderr := retarPipe(t, nil, unusableTMPDIR(t), "convert", fifo, "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(stderr, "one pass") {
		t.Errorf("a notice about one pass: %s", stderr)
	}
	if _, whole := imagetest.TarNames(out); !whole {
		t.Error("the output is not a whole archive")
	}
}
