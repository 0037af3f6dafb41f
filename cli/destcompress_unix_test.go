//go:build unix

package cli_test

import (
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A FIFO named .zst is written through, compressed, as a file of that name
// would be.
func TestCompressedDestinationFIFO(t *testing.T) {
	dir, src := sourceArchive(t)
	plain := filepath.Join(dir, "plain.tar")
	mustRun(t, "convert", "-q", src, plain)
	want, err := os.ReadFile(plain)
	require.NoError(t, err)
	fifo := filepath.Join(dir, "out.tar.zst")
	mkfifo(t, fifo)
	got, written := readFIFO(t, fifo)
	mustRun(t, "convert", "-q", src, fifo)
	written()
	assert.Equal(t, want, decompressed(t, "zstd", <-got))
}

// readFIFO is a reader on the FIFO at p before anything writes it (a FIFO
// with no reader makes retar fail at once): opened without waiting for a
// writer, it reads until the writer is done (written called) and the FIFO
// is drained, then sends what it read.
func readFIFO(t *testing.T, p string) (got <-chan []byte, written func()) {
	t.Helper()
	fd, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_NONBLOCK, 0)
	require.NoError(t, err)
	out := make(chan []byte, 1)
	var done atomic.Bool
	go func() {
		defer syscall.Close(fd)
		var b []byte
		buf := make([]byte, 64<<10)
		for {
			n, err := syscall.Read(fd, buf)
			switch {
			case n > 0:
				b = append(b, buf[:n]...)
			case err == syscall.EAGAIN || n == 0 && !done.Load():
				time.Sleep(time.Millisecond) // nothing yet, or no writer yet
			default:
				out <- b // the writer is done and the FIFO drained, or it failed
				return
			}
		}
	}()
	return out, func() { done.Store(true) }
}

// mkfifo makes a FIFO at path. Only a file system without FIFOs is a
// reason not to test; any other failure is one.
func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENOSYS) {
			t.Skipf("this file system makes no FIFOs: %v", err)
		}
		t.Fatalf("mkfifo %s: %v", path, err)
	}
}
