package cli_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A DST named .gz, .tgz or .zst is the same archive compressed, the same
// bytes every time, and read back by verify and inspect.
func TestCompressedDestination(t *testing.T) {
	dir, src := sourceArchive(t)
	for _, c := range []struct{ layout, name, kind string }{
		{"", "out.tar.gz", "gzip"},
		{"", "out.tgz", "gzip"},
		{"", "out.tar.zst", "zstd"},
		{"docker-archive", "d.tar.gz", "gzip"},
		{"oci-archive", "o.tar.zst", "zstd"},
	} {
		t.Run(c.layout+" "+c.name, func(t *testing.T) {
			ref := func(p string) string {
				if c.layout == "" {
					return p
				}
				return c.layout + ":" + p
			}
			plain := filepath.Join(dir, "plain-"+c.name+".tar")
			mustRun(t, "convert", "-q", src, ref(plain))
			want, err := os.ReadFile(plain)
			require.NoError(t, err)

			out := filepath.Join(dir, c.name)
			mustRun(t, "convert", "-q", src, ref(out))
			first, err := os.ReadFile(out)
			require.NoError(t, err)
			assert.Equal(t, want, decompressed(t, c.kind, first), "decompresses to the uncompressed conversion")
			if c.kind == "gzip" {
				assert.Equal(t, byte(0), first[3], "no name or other fields in the gzip header")
				assert.Equal(t, []byte{0, 0, 0, 0}, first[4:8], "no time in the gzip header")
			}
			mustRun(t, "convert", "-q", src, ref(out)) // replaces it
			again, err := os.ReadFile(out)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(first, again), "reproducible")

			mustRun(t, "verify", "-q", out)
			assert.Contains(t, mustRun(t, "inspect", out), imageName)
			assert.Empty(t, tmpLeft(t, dir), "left behind")
		})
	}
	t.Run("xz is refused", func(t *testing.T) {
		out := filepath.Join(dir, "out.tar.xz")
		code, _, stderr := run(t, "convert", "-q", src, out)
		oneLineFailure(t, code, stderr, 2, "xz", "| xz >")
		_, err := os.Lstat(out)
		assert.True(t, os.IsNotExist(err))
	})
	t.Run("standard output stays uncompressed", func(t *testing.T) {
		out := mustRun(t, "convert", "-q", src, "oci-archive:-")
		assert.Equal(t, "ustar", out[257:262], "a plain tar")
	})
}

func decompressed(t *testing.T, kind string, b []byte) []byte {
	t.Helper()
	var r io.Reader
	switch kind {
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		require.NoError(t, err)
		r = zr
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(b))
		require.NoError(t, err)
		defer zr.Close()
		r = zr
	}
	out, err := io.ReadAll(r)
	require.NoError(t, err)
	return out
}
