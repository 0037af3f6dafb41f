package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/retar-dev/retar/cli"
	"github.com/retar-dev/retar/internal/imagetest"
)

// A source rewritten in place while retar converts it (4 KiB every 4 MiB,
// over and over, starting at a different moment each round) never gives
// exit 0 with an output that does not verify, to a file or to standard
// output; a failure leaves no file, and a stream cut short that no tar
// reader takes for a whole archive.
func TestSourceRewrittenWhileConverted(t *testing.T) {
	_, src := sizedSource(t, 6<<20)
	pristine, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var okRounds, failedRounds int
	dir := filepath.Dir(src)
	for round := range 12 {
		for _, toStdout := range []bool{false, true} {
			if err := os.WriteFile(src, pristine, 0o644); err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(dir, fmt.Sprintf("out-%d-%v.tar", round, toStdout))
			target := "oci-archive:" + dst
			if toStdout {
				target = "oci-archive:-"
			}
			stop := rewriteInPlace(t, src, time.Duration(round)*3*time.Millisecond)
			var stdout, stderr bytes.Buffer
			code := cli.Main([]string{"convert", "-q", src, target}, strings.NewReader(""), &stdout, &stderr)
			stop()
			if toStdout {
				if err := os.WriteFile(dst, stdout.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if code == 0 {
				okRounds++
				if c, _, errs := run(t, "verify", dst); c != 0 {
					t.Fatalf("round %d (stdout %v): exit 0, yet the output does not verify: %s", round, toStdout, errs)
				}
				continue
			}
			failedRounds++
			if strings.Count(stderr.String(), "\n") != 1 || !strings.Contains(stderr.String(), src) {
				t.Errorf("round %d (stdout %v): want one line naming the source, got %q", round, toStdout, stderr.String())
			}
			if !toStdout {
				if _, err := os.Stat(dst); err == nil {
					t.Errorf("round %d: failed, yet %s was written", round, dst)
				}
			} else if imagetest.WholeTar(stdout.Bytes()) {
				t.Errorf("round %d: failed (%s), yet standard output reads as a whole archive", round, strings.TrimSpace(stderr.String()))
			}
		}
	}
	t.Logf("%d conversions passed (the change missed what was read), %d refused", okRounds, failedRounds)
	if failedRounds == 0 {
		t.Error("no round saw the source change: the test tests nothing")
	}
}

// sizedSource writes a docker-archive of four layers of layerSize bytes
// each, a third random and the rest text (so they compress like a layer),
// as src.tar in a new temporary directory.
func sizedSource(t *testing.T, layerSize int) (dir, src string) {
	t.Helper()
	dir = t.TempDir()
	src = filepath.Join(dir, "src.tar")
	var layers [][]byte
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 4 {
		body := make([]byte, layerSize)
		for j := range body {
			if j%3 == 0 {
				body[j] = byte(rng.Uint32())
			} else {
				body[j] = "retar test layer\n"[j%17]
			}
		}
		layers = append(layers, imagetest.Members{{Name: fmt.Sprintf("data%d", i), Body: body}}.Tar(t))
	}
	imagetest.New(t, imagetest.LayerTars(layers...), imagetest.Names("example.com/sized:1")).DockerArchive(t).WriteFile(t, src)
	return dir, src
}

// rewriteInPlace flips 4 KiB every 4 MiB of p, over and over, from after a
// delay until stopped.
func rewriteInPlace(t *testing.T, p string, after time.Duration) (stop func()) {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer f.Close()
		select {
		case <-time.After(after):
		case <-ctx.Done():
			return
		}
		buf := make([]byte, 4096)
		for ctx.Err() == nil {
			for off := int64(1 << 20); off+4096 < fi.Size() && ctx.Err() == nil; off += 4 << 20 {
				if _, err := f.ReadAt(buf, off); err != nil {
					return
				}
				for i := range buf {
					buf[i] ^= 0xff
				}
				f.WriteAt(buf, off) //nolint:errcheck // best effort: the test only needs changes
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
}
