//go:build unix

package cli_test

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

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
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip(err)
	}
	got := make(chan []byte)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- b
	}()
	mustRun(t, "convert", "-q", src, fifo)
	assert.Equal(t, want, decompressed(t, "zstd", <-got))
}
