//go:build unix

package cli_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Layers re-encoded into a layout directory are made beside it, not in
// TMPDIR, and take their names in it by a link: the job needs no TMPDIR,
// every blob is a file of its own (one link) once done, and nothing is
// left beside the layout, whether the job succeeds or fails.
func TestReencodedLayersBesideALayout(t *testing.T) {
	dir, src := sourceArchive(t)
	t.Setenv("TMPDIR", unusableTMPDIR(t))
	for _, layout := range []string{"oci", "dir"} {
		for _, compress := range []string{"zstd", "gzip", "none"} {
			t.Run(layout+"/"+compress, func(t *testing.T) {
				dst := filepath.Join(dir, layout+"-"+compress)
				mustRun(t, "convert", "-q", "--compress", compress, src, dstRef(layout, dst))
				mustRun(t, "verify", dstRef(layout, dst))
				assert.Empty(t, tmpLeft(t, dir), "left beside the layout")
				err := filepath.Walk(dst, func(p string, fi os.FileInfo, err error) error {
					if err != nil || !fi.Mode().IsRegular() {
						return err
					}
					if n := fi.Sys().(*syscall.Stat_t).Nlink; n != 1 {
						t.Errorf("%s has %d links", p, n)
					}
					if fi.Mode().Perm() != 0o644 {
						t.Errorf("%s: mode %v, want 0644 as every blob", p, fi.Mode().Perm())
					}
					return nil
				})
				assert.NoError(t, err)
			})
		}
	}
}
