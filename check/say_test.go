package check_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/retar-dev/retar/check"
)

// commandLineWords are what the page never shows (site/e2e/lib.mjs has
// the same): retar's flags. The page names images picked as @N itself.
var commandLineWords = regexp.MustCompile(`(^|\s|\()(-t|--(tag|platform|for|compress|format|all-platforms|attestations|keep-absent|oci-strict|force|max-expansion|max-expanded))\b`)

// TestPageWords: every problem check finds in the fixtures has its page
// words, with no flag, and ends with its fix's page words.
func TestPageWords(t *testing.T) {
	var paths []string
	for _, d := range []string{"real", "real-docker29", "supply"} {
		dir := filepath.Join("..", "golden", "testdata", d)
		es, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if !strings.HasSuffix(e.Name(), ".md") {
				paths = append(paths, filepath.Join(dir, e.Name()))
			}
		}
	}
	paths = append(paths, thirdParty("google__go-containerregistry/pkg/v1/tarball/testdata/no_manifest.tar"),
		thirdParty("wagoodman__dive/.data/test-oci-zstd-image.tar"), thirdParty("google__go-containerregistry/pkg/v1/tarball/testdata/sparse_foreign.tar"))
	n := 0
	for _, p := range paths {
		for _, v := range check.Archive(openPath(t, p), amd64).Consumers {
			for _, f := range v.Facts {
				n++
				assert.NotEmpty(t, f.Page, "%s: %s: %q", p, v.Consumer, f.Text)
				assert.NotRegexp(t, commandLineWords, f.Page, "%s: %s", p, v.Consumer)
				if f.Fix != nil {
					assert.True(t, strings.HasSuffix(f.Page, "; "+f.Fix.Page), "%s: %s: %q lacks its fix's page words %q", p, v.Consumer, f.Page, f.Fix.Page)
				}
			}
		}
	}
	assert.Greater(t, n, 100, "problems found in the fixtures")
	for advice, f := range check.Advice() {
		assert.NotRegexp(t, commandLineWords, f.Page, advice)
		for _, s := range []string{f.Title, f.Text, f.Again, f.Page} {
			assert.NotEmpty(t, s, advice)
			assert.NotContains(t, s, "%!", "%s: a verb without its argument, or an argument without its verb", advice)
		}
	}
}

// TestErrorWords: an input that is no image archive, or one cut short,
// is said in the same words on the command line and the page.
func TestErrorWords(t *testing.T) {
	w := check.NotAnImageArchive("passwd", "it is not a tar file", "")
	assert.Equal(t, w.CLI+".", w.Page)
	assert.True(t, strings.HasPrefix(w.CLI, "passwd is not an image archive: it is not a tar file. retar reads what docker save, podman save"), w.CLI)
	d := check.NotAnImageArchive("z.tar.gz", "it is gzip-compressed, but what it holds is not a tar file", "it starts with an empty block")
	assert.Contains(t, d.CLI, "not a tar file (it starts with an empty block). retar reads")
	assert.NotContains(t, d.Page, "empty block", "the page shows the detail apart")
	c := check.CutShort("x.tar")
	next := strings.TrimPrefix(c.CLI, "it was cut short: ")
	assert.NotEqual(t, c.CLI, next)
	assert.Contains(t, strings.ToLower(c.Page), next)
	assert.True(t, strings.HasPrefix(c.Page, "x.tar is cut short: "), c.Page)
}
