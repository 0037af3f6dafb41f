//go:build unix

package cli_test

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retar-dev/retar/cli"
	"github.com/retar-dev/retar/internal/imagetest"
)

// runIn calls retar in-process with stdin.
func runIn(t *testing.T, stdin io.Reader, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cli.Main(args, stdin, &out, &errb)
	return code, out.String(), errb.String()
}

func TestDestinationDirectoryPolicy(t *testing.T) {
	dir, src := sourceArchive(t)
	for _, c := range []struct {
		layout  string
		files   map[string]string
		foreign string // the entry the refusal names
	}{
		{"dir", map[string]string{"manifest.json": `{"name":"my extension"}`, "background.js": "code"}, "background.js"},
		{"dir", map[string]string{"manifest.json": `{}`, "version": "x", "sub/deep": "x"}, "sub"},
		{"oci", map[string]string{"index.json": `{"my":"project"}`, "README.md": "notes"}, "README.md"},
		{"oci", map[string]string{"index.json": "{}", "oci-layout": "{}", "blobs/sha256/notahexname": "x"}, "blobs/sha256/notahexname"},
		{"oci", map[string]string{"index.json": "{}", "blobs/sha256/" + strings.Repeat("a", 64) + "/inside": "x"}, "blobs/sha256/" + strings.Repeat("a", 64)},
		{"oci", map[string]string{"index.json": "{}", ".DS_Store": "x"}, ".DS_Store"},
	} {
		t.Run(c.layout+" with "+c.foreign, func(t *testing.T) {
			dst := filepath.Join(dir, c.layout+"-"+strings.ReplaceAll(c.foreign, "/", "_"))
			for name, body := range c.files {
				os.MkdirAll(filepath.Dir(filepath.Join(dst, name)), 0o755)
				os.WriteFile(filepath.Join(dst, name), []byte(body), 0o644)
			}
			before := treeOf(t, dst)
			code, _, stderr := run(t, "convert", src, dstRef(c.layout, dst))
			oneLineFailure(t, code, stderr, 1, filepath.Join(dst, c.foreign), "--force", "not "+map[string]string{"oci": "an oci", "dir": "a dir"}[c.layout]+" layout")
			assert.Equal(t, before, treeOf(t, dst), "the directory changed")
			// --force replaces it, as it says.
			mustRun(t, "convert", "-q", "--force", src, dstRef(c.layout, dst))
			mustRun(t, "verify", dstRef(c.layout, dst))
			assert.Empty(t, tmpLeft(t, dir), "left behind")
		})
	}
	t.Run("a layout of the other kind is foreign", func(t *testing.T) {
		dst := filepath.Join(dir, "was-oci")
		mustRun(t, "convert", "-q", src, "oci:"+dst)
		code, _, stderr := run(t, "convert", src, "dir:"+dst)
		oneLineFailure(t, code, stderr, 1, "not a dir layout")
	})
	t.Run("a layout's own directory mode is kept", func(t *testing.T) {
		dst := filepath.Join(dir, "kept-mode")
		mustRun(t, "convert", "-q", src, "oci:"+dst)
		os.Chmod(dst, 0o700)
		mustRun(t, "convert", "-q", src, "oci:"+dst+":example.com/x:2")
		if fi, err := os.Stat(dst); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("mode %v, %v; want 0700 kept", fi.Mode(), err)
		}
	})
}

func TestDestinationFileModeKept(t *testing.T) {
	dir, src := sourceArchive(t)
	dst := filepath.Join(dir, "out.tar")
	os.WriteFile(dst, []byte("old"), 0o600)
	os.Chmod(dst, 0o600)
	mustRun(t, "convert", "-q", src, "oci-archive:"+dst)
	if fi, err := os.Stat(dst); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v; want 0600 kept", fi.Mode(), err)
	}
	mustRun(t, "verify", dst)
	fresh := filepath.Join(dir, "fresh.tar")
	mustRun(t, "convert", "-q", src, "oci-archive:"+fresh)
	if fi, err := os.Stat(fresh); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("a new archive: mode %v, %v; want 0644", fi.Mode(), err)
	}
}

func TestDestinationSymlinkIsReplacedNotFollowed(t *testing.T) {
	dir, src := sourceArchive(t)
	target := filepath.Join(dir, "target.tar")
	os.WriteFile(target, []byte("the link's target"), 0o644)
	link := filepath.Join(dir, "link.tar")
	os.Symlink(target, link)
	mustRun(t, "convert", "-q", src, "oci-archive:"+link)
	if b, _ := os.ReadFile(target); string(b) != "the link's target" {
		t.Errorf("the target changed: %q", b)
	}
	if fi, err := os.Lstat(link); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("the link is not replaced by the archive: %v %v", fi.Mode(), err)
	}
}

func TestDestinationDevicesAndFIFOs(t *testing.T) {
	dir, src := sourceArchive(t)
	want := filepath.Join(dir, "want.tar")
	mustRun(t, "convert", "-q", src, "oci-archive:"+want)

	t.Run("a character device is written through, not replaced", func(t *testing.T) {
		fi, err := os.Stat("/dev/null")
		if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
			t.Skip("no /dev/null here")
		}
		mustRun(t, "convert", "-q", src, "oci-archive:/dev/null")
		if fi, err := os.Stat("/dev/null"); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
			t.Fatalf("/dev/null is no longer a character device: %v %v", fi.Mode(), err)
		}
		for _, l := range []string{"oci", "dir"} {
			code, _, stderr := run(t, "convert", src, l+":/dev/null")
			oneLineFailure(t, code, stderr, 1, "/dev/null")
		}
	})
	t.Run("a FIFO with a reader gets the archive", func(t *testing.T) {
		fifo := filepath.Join(dir, "fifo")
		if err := syscall.Mkfifo(fifo, 0o644); err != nil {
			t.Skip(err)
		}
		got, written := readFIFO(t, fifo) // the reader is there first, as a pipe's is
		mustRun(t, "convert", "-q", src, "oci-archive:"+fifo)
		written()
		b := <-got
		if w, _ := os.ReadFile(want); !bytes.Equal(b, w) {
			t.Errorf("through the FIFO: %d bytes, through a file %d", len(b), len(w))
		}
		if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			t.Errorf("the FIFO was replaced: %v %v", fi.Mode(), err)
		}
	})
	t.Run("a FIFO without a reader fails at once", func(t *testing.T) {
		fifo := filepath.Join(dir, "lonely-fifo")
		if err := syscall.Mkfifo(fifo, 0o644); err != nil {
			t.Skip(err)
		}
		done := make(chan struct{})
		go func() {
			code, _, stderr := run(t, "convert", src, "oci-archive:"+fifo)
			oneLineFailure(t, code, stderr, 1, fifo, "no reader")
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("hangs on a FIFO with no reader")
		}
	})
	t.Run("a socket is refused", func(t *testing.T) {
		sock := filepath.Join(dir, "sock")
		fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
		if err != nil {
			t.Skip(err)
		}
		defer syscall.Close(fd)
		if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: sock}); err != nil {
			t.Skip(err)
		}
		code, _, stderr := run(t, "convert", src, "oci-archive:"+sock)
		oneLineFailure(t, code, stderr, 1, sock, "socket")
		if fi, err := os.Lstat(sock); err != nil || fi.Mode()&os.ModeSocket == 0 {
			t.Errorf("the socket was replaced")
		}
	})
	t.Run("standard output", func(t *testing.T) {
		code, out, stderr := runIn(t, nil, "convert", "-q", src, "oci-archive:-")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if w, _ := os.ReadFile(want); out != string(w) {
			t.Errorf("to stdout: %d bytes, to a file %d", len(out), len(w))
		}
		for _, l := range []string{"oci", "dir"} {
			code, _, stderr := run(t, "convert", src, l+":-")
			oneLineFailure(t, code, stderr, 2, "standard output")
		}
	})
}

func TestDestinationInsideSourceIsRefused(t *testing.T) {
	dir, src := sourceArchive(t)
	layout := filepath.Join(dir, "layout")
	mustRun(t, "convert", "-q", src, "oci:"+layout)
	before := treeOf(t, layout)
	for _, dst := range []string{"oci-archive:" + filepath.Join(layout, "out.tar"), "dir:" + filepath.Join(layout, "blobs", "x")} {
		code, _, stderr := run(t, "convert", "oci:"+layout, dst)
		oneLineFailure(t, code, stderr, 1, "inside the source")
	}
	if after := treeOf(t, layout); len(after) != len(before) {
		t.Errorf("the source changed: %d entries, was %d", len(after), len(before))
	}
}

// Concurrent writers of one destination: one wins whole, the others fail
// with one line, and nothing is left behind.
func TestConcurrentWritersOfOneDestination(t *testing.T) {
	dir, src := sourceArchive(t)
	for _, layout := range []string{"oci", "oci-archive"} {
		t.Run(layout, func(t *testing.T) {
			dst := filepath.Join(dir, "shared-"+layout)
			var wg sync.WaitGroup
			codes := make([]int, 8)
			errs := make([]string, 8)
			for i := range codes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var out, errb bytes.Buffer
					codes[i] = cli.Main([]string{"convert", "-q", src, dstRef(layout, dst)}, nil, &out, &errb)
					errs[i] = errb.String()
				}()
			}
			wg.Wait()
			ok := 0
			for i, c := range codes {
				switch {
				case c == 0:
					ok++
				case !strings.Contains(errs[i], "another retar is writing it") || strings.Count(errs[i], "\n") != 1:
					t.Errorf("writer %d: exit %d: %q", i, c, errs[i])
				}
			}
			if ok == 0 {
				t.Error("no writer won")
			}
			mustRun(t, "verify", dstRef(layout, dst))
			assert.Empty(t, tmpLeft(t, dir), "left behind")
		})
	}
}

func TestSourcesThatAreNotFiles(t *testing.T) {
	dir, src := sourceArchive(t)
	data, _ := os.ReadFile(src)
	t.Run("a character device is refused", func(t *testing.T) {
		for _, dev := range []string{"/dev/zero", "/dev/null"} {
			if _, err := os.Stat(dev); err != nil {
				continue
			}
			code, _, stderr := run(t, "inspect", dev)
			oneLineFailure(t, code, stderr, 1, dev, "character device")
			code, _, stderr = run(t, "manifest-digest", dev)
			oneLineFailure(t, code, stderr, 1, dev, "character device")
		}
	})
	t.Run("standard input, plain and compressed", func(t *testing.T) {
		for _, in := range [][]byte{data, imagetest.Gzip.Compress(t, data)} {
			code, out, stderr := runIn(t, bytes.NewReader(in), "convert", "-q", "-", "oci-archive:-")
			if code != 0 || len(out) == 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			code, _, stderr = runIn(t, strings.NewReader(out), "verify", "-")
			if code != 0 {
				t.Errorf("verify -: exit %d: %s", code, stderr)
			}
		}
		code, _, stderr := runIn(t, strings.NewReader(""), "inspect", "-")
		oneLineFailure(t, code, stderr, 1, "empty")
		code, _, stderr = runIn(t, strings.NewReader(strings.Repeat("y\n", 100000)), "inspect", "-")
		oneLineFailure(t, code, stderr, 1, "standard input is not an image archive: it is not a tar file. retar reads what docker save")
		assert.NotContains(t, stderr, "archive/tar")
	})
	t.Run("a FIFO is read as a stream", func(t *testing.T) {
		fifo := filepath.Join(dir, "in-fifo")
		if err := syscall.Mkfifo(fifo, 0o644); err != nil {
			t.Skip(err)
		}
		go func() {
			f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err == nil {
				f.Write(data)
				f.Close()
			}
		}()
		time.Sleep(100 * time.Millisecond)
		mustRun(t, "verify", fifo)
	})
	t.Run("a FIFO with no writer fails at once", func(t *testing.T) {
		fifo := filepath.Join(dir, "empty-fifo")
		if err := syscall.Mkfifo(fifo, 0o644); err != nil {
			t.Skip(err)
		}
		done := make(chan struct{})
		go func() {
			code, _, stderr := run(t, "inspect", fifo)
			oneLineFailure(t, code, stderr, 1, "empty")
			code, _, stderr = run(t, "manifest-digest", fifo)
			oneLineFailure(t, code, stderr, 1, "empty")
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("hangs on a FIFO with no writer")
		}
	})
}

func TestSourceDateEpochValidatedFirst(t *testing.T) {
	dir, src := sourceArchive(t)
	for _, v := range []string{"-1", "abc", "1.5", "99999999999999"} {
		t.Setenv("SOURCE_DATE_EPOCH", v)
		code, _, stderr := run(t, "convert", src, filepath.Join(dir, "out.tar"))
		oneLineFailure(t, code, stderr, 2, "SOURCE_DATE_EPOCH")
		if _, err := os.Stat(filepath.Join(dir, "out.tar")); err == nil {
			t.Errorf("SOURCE_DATE_EPOCH=%s: an output was written", v)
		}
	}
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// retarBinary builds the command once, for the tests that need a process of
// their own (signals, a real standard input).
func retarBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "retar-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "retar")
		out, err := exec.Command("go", "build", "-o", binPath, "./retar").CombinedOutput()
		if err != nil {
			binErr = err
			binPath = string(out)
		}
	})
	if binErr != nil {
		t.Fatalf("go build: %v %s", binErr, binPath)
	}
	return binPath
}

func TestDevStdinIsAStream(t *testing.T) {
	_, src := sourceArchive(t)
	data, _ := os.ReadFile(src)
	cmd := exec.Command(retarBinary(t), "inspect", "/dev/stdin")
	cmd.Stdin = bytes.NewReader(data) // a pipe, not the file
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "example.com/retar/cli:1") {
		t.Errorf("inspect /dev/stdin from a pipe: %v\n%s", err, out)
	}
}

// A signal stops the work promptly, removes every temporary file, and
// leaves nothing at the destination; a stream that stalls does not hold it.
func TestSignalsStopAndClean(t *testing.T) {
	bin := retarBinary(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			tmpdir := filepath.Join(dir, "tmp")
			os.Mkdir(tmpdir, 0o755)
			src := filepath.Join(dir, "src.tar")
			dockerArchive(t, src)
			data, _ := os.ReadFile(src)
			// The input arrives slowly through a pipe, and then stalls.
			cmd := exec.Command(bin, "convert", "-", filepath.Join(dir, "out.tar"))
			cmd.Env = append(os.Environ(), "TMPDIR="+tmpdir)
			pw, err := cmd.StdinPipe()
			require.NoError(t, err)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Start())
			pw.Write(data[:len(data)/2])
			// The signal goes once the input is being read into TMPDIR
			// (on a busy machine that can take a while to start).
			spooling := false
			for deadline := time.Now().Add(20 * time.Second); !spooling && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				ents, _ := os.ReadDir(tmpdir)
				spooling = len(ents) > 0
			}
			if !spooling {
				t.Error("no temporary file while the input is read (the test no longer tests cleanup)")
			}
			start := time.Now()
			cmd.Process.Signal(sig)
			err = cmd.Wait()
			pw.Close()
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("stopped %v after the signal", took)
			}
			if err == nil {
				t.Error("exit 0 after a signal")
			}
			if !strings.Contains(stderr.String(), "stopped by") && !strings.Contains(stderr.String(), "interrupt") && !strings.Contains(stderr.String(), "terminated") {
				t.Errorf("stderr: %q", stderr.String())
			}
			if ents, _ := os.ReadDir(tmpdir); len(ents) > 0 {
				t.Errorf("left in TMPDIR: %v", ents)
			}
			if _, err := os.Stat(filepath.Join(dir, "out.tar")); err == nil {
				t.Error("an output was written")
			}
			assert.Empty(t, tmpLeft(t, dir), "left beside the destination")
		})
	}
}

// Even --force does not replace the root, the home directory, or the
// directory a user stands in.
func TestForceSparesPreciousDirectories(t *testing.T) {
	dir, src := sourceArchive(t)
	home := filepath.Join(dir, "home")
	os.Mkdir(home, 0o755)
	os.WriteFile(filepath.Join(home, "thesis"), []byte("x"), 0o644)
	t.Setenv("HOME", home)
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	work := filepath.Join(dir, "work")
	os.MkdirAll(filepath.Join(work, "sub"), 0o755)
	os.Chdir(filepath.Join(work, "sub"))
	for _, dst := range []string{"/", home, work, "."} {
		code, _, stderr := run(t, "convert", "--force", src, "oci:"+dst)
		oneLineFailure(t, code, stderr, 1, "will not replace")
	}
	if _, err := os.Stat(filepath.Join(home, "thesis")); err != nil {
		t.Error("the home directory changed")
	}
}

// A compressed archive is held to --max-expanded whichever decoder reads it
// (Go's gzip, the xz command, none for a pipe), and what does not start as
// a tar once decompressed is refused at once; each in the line the page
// says for the same file, and nothing is left in TMPDIR.
func TestCompressedInputLimits(t *testing.T) {
	tmp := isolateTmp(t)
	dir := t.TempDir()
	var bomb bytes.Buffer // a tar of 64 MiB of zeros
	tw := tar.NewWriter(&bomb)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: "zeros", Mode: 0o644, Size: 64 << 20, Typeflag: tar.TypeReg}))
	tw.Write(make([]byte, 64<<20))
	tw.Close()
	files := map[string][]byte{
		"bomb.tar.gz":  imagetest.Gzip.Compress(t, bomb.Bytes()),
		"zeros.tar.gz": bytes.Repeat(imagetest.Gzip.Compress(t, make([]byte, 16<<20)), 256), // 4 GiB
	}
	for name, data := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	type refusal struct {
		args  []string
		stdin []byte
		want  string
	}
	cases := []refusal{
		{[]string{"--max-expanded", "8M", filepath.Join(dir, "bomb.tar.gz")}, nil, "bomb.tar.gz: gzip stream expands past 8.0 MiB, the limit on expanded size (--max-expanded)"},
		{[]string{"--max-expanded", "8M", "-"}, files["bomb.tar.gz"], "standard input: gzip stream expands past 8.0 MiB, the limit on expanded size (--max-expanded)"},
		{[]string{"--max-expanded", "8M", "-"}, bomb.Bytes(), "standard input: stream expands past 8.0 MiB, the limit on expanded size (--max-expanded)"},
		{[]string{filepath.Join(dir, "zeros.tar.gz")}, nil, "zeros.tar.gz is not an image archive: it is gzip-compressed, but what it holds is not a tar file (it starts with an empty block)"},
		{[]string{"-"}, files["zeros.tar.gz"], "standard input is not an image archive: it is gzip-compressed, but what it holds is not a tar file (it starts with an empty block)"},
	}
	if _, err := exec.LookPath("xz"); err == nil {
		xz := exec.Command("xz", "-1", "-T1", "-c")
		xz.Stdin = bytes.NewReader(bomb.Bytes())
		out, err := xz.Output()
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "bomb.tar.xz"), out, 0o644))
		cases = append(cases, refusal{[]string{"--max-expanded", "8M", filepath.Join(dir, "bomb.tar.xz")}, nil, "bomb.tar.xz: xz stream expands past 8.0 MiB, the limit on expanded size (--max-expanded)"})
	}
	for _, c := range cases {
		start := time.Now()
		code, _, stderr := runIn(t, bytes.NewReader(c.stdin), append([]string{"inspect"}, c.args...)...)
		oneLineFailure(t, code, stderr, 1, c.want)
		if took := time.Since(start); took > 20*time.Second {
			t.Errorf("%v: refused after %v", c.args, took)
		}
		assert.Empty(t, retarTemps(t, tmp), "left in TMPDIR")
	}
}
