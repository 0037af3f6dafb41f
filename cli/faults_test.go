//go:build unix

package cli_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retar-dev/retar/cli"
)

// A reader that closes the pipe early gets retar to stop with one line that
// says what the reader got, and exit 1: no signal ends it without a word.
func TestReaderClosesThePipeEarly(t *testing.T) {
	_, src := sizedSource(t, 600<<10)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		buf := make([]byte, 64<<10)
		r.Read(buf) //nolint:errcheck // read a little, then go away
		r.Close()
	}()
	var stderr strings.Builder
	code := cli.Main([]string{"convert", "-q", src, "oci-archive:-"}, strings.NewReader(""), w, &stderr)
	w.Close()
	if code != 1 || strings.Count(stderr.String(), "\n") != 1 || !strings.Contains(stderr.String(), "its reader closed it") {
		t.Errorf("exit %d, stderr %q; want exit 1 and one line saying the reader closed it", code, stderr.String())
	}
}

// A full device: TMPDIR while a compressed source or standard input is
// spooled, or the destination's, for an archive (also written onto its own
// source) and a layout directory: one line that says so, exit 1, the older
// output intact and nothing left behind.
func TestFullDevices(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: mounts a small tmpfs to fill")
	}
	dir, src := sizedSource(t, 600<<10)
	small := filepath.Join(dir, "small")
	if err := os.Mkdir(small, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", small).CombinedOutput(); err != nil {
		// A container without the right to mount is a reason not to
		// test; any other failure of the mount is a failure.
		if !bytes.Contains(bytes.ToLower(out), []byte("permission denied")) && !bytes.Contains(bytes.ToLower(out), []byte("not permitted")) {
			t.Fatalf("mount a tmpfs: %v %s", err, out)
		}
		t.Skipf("needs a tmpfs mount, which this machine refuses: %v %s", err, out)
	}
	defer exec.Command("umount", small).Run() //nolint:errcheck
	onItself := filepath.Join(small, "self.tar")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 3<<20 {
		t.Fatalf("the source is %d bytes: it must fit the 4 MiB device once, not twice", len(data))
	}
	if err := os.WriteFile(onItself, data, 0o644); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(small, "old.tar")
	if err := os.WriteFile(old, []byte("older output"), 0o644); err != nil {
		t.Fatal(err)
	}
	// TMPDIR full while a compressed source, or standard input, is spooled.
	tmpdir := filepath.Join(dir, "tmpdir")
	if err := os.Mkdir(tmpdir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", tmpdir).CombinedOutput(); err != nil {
		t.Fatalf("mount a second tmpfs: %v %s", err, out)
	}
	defer exec.Command("umount", tmpdir).Run() //nolint:errcheck
	gz := filepath.Join(dir, "src.tar.gz")
	if out, err := exec.Command("sh", "-c", "gzip -1 -c "+src+" > "+gz).CombinedOutput(); err != nil {
		t.Fatalf("gzip: %v %s", err, out)
	}
	before := os.TempDir()
	t.Setenv("TMPDIR", tmpdir)
	code, _, stderr := run(t, "convert", "-q", gz, "oci-archive:"+filepath.Join(dir, "from-gz.tar"))
	oneLineFailure(t, code, stderr, 1, "TMPDIR", "is full", "set TMPDIR")
	code, _, stderr = runIn(t, bytes.NewReader(data), "convert", "-q", "-", "oci-archive:"+filepath.Join(dir, "from-stdin.tar"))
	oneLineFailure(t, code, stderr, 1, "standard input", "is full")
	if left, _ := os.ReadDir(tmpdir); len(left) > 0 {
		t.Errorf("TMPDIR holds %s after the failure", left[0].Name())
	}
	t.Setenv("TMPDIR", before)

	for _, c := range []struct{ src, dst, keep string }{
		{src, "oci-archive:" + old, old},
		{onItself, "docker-archive:" + onItself, onItself},
		{src, "oci:" + filepath.Join(small, "layout"), ""},
	} {
		before := ""
		if c.keep != "" {
			b, _ := os.ReadFile(c.keep)
			before = string(b)
		}
		code, _, stderr := run(t, "convert", "-q", c.src, c.dst)
		oneLineFailure(t, code, stderr, 1, "no space left")
		if c.keep != "" {
			if b, _ := os.ReadFile(c.keep); string(b) != before {
				t.Errorf("%s: the older output changed", c.dst)
			}
		}
		entries, _ := os.ReadDir(small)
		for _, e := range entries {
			if n := e.Name(); n != "old.tar" && n != "self.tar" {
				t.Errorf("%s: %s left behind", c.dst, n)
			}
		}
	}
}

// SIGKILL in the middle of a conversion leaves the older output as it was
// and no file under its name; the temporary output it leaves beside it is
// retar's by its name, and the next conversion to that destination removes
// it (and only it) and succeeds.
func TestKilledMidwayThenRerun(t *testing.T) {
	bin := retarBinary(t)
	dir, src := sizedSource(t, 16<<20)
	dst := filepath.Join(dir, "out.tar")
	if err := os.WriteFile(dst, []byte("older output"), 0o644); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(dir, ".retar-notes.tmp") // not retar's for out.tar
	if err := os.WriteFile(foreign, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	killed := false
	for _, after := range []time.Duration{20, 60, 120, 250} {
		cmd := exec.Command(bin, "convert", "-q", src, "oci-archive:"+dst)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(after * time.Millisecond)
		cmd.Process.Kill() //nolint:errcheck // it may have finished
		if err := cmd.Wait(); err != nil {
			killed = true
			// the older output, or (killed after the rename) the whole new one
			if b, _ := os.ReadFile(dst); string(b) != "older output" {
				if code, _, errs := run(t, "verify", dst); code != 0 {
					t.Fatalf("killed after %v: the older output is gone and what is there does not verify: %s", after*time.Millisecond, errs)
				}
			}
		}
		if err := os.WriteFile(dst, []byte("older output"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !killed {
		t.Fatal("every conversion finished before it was killed: the test tests nothing")
	}
	// a stale layout directory swap, as a killed directory write leaves
	stale := filepath.Join(dir, ".out.tar.retar-123.tmp.old")
	if err := os.MkdirAll(filepath.Join(stale, "blobs"), 0o755); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "convert", "-q", src, "oci-archive:"+dst)
	mustRun(t, "verify", dst)
	left := tmpLeft(t, dir)
	if len(left) != 1 || left[0] != ".retar-notes.tmp" {
		t.Errorf("after the rerun, beside the destination: %v; want only the file that is not retar's", left)
	}
}
