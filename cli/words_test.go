package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Errors a skopeo or docker user meets say what is wrong in their terms,
// and what to do, in one line with the usual exit status.
func TestErrorsInUsersTerms(t *testing.T) {
	dir, src := sourceArchive(t)
	passwd := filepath.Join(dir, "passwd")
	os.WriteFile(passwd, []byte(strings.Repeat("root:x:0:0:root:/root:/bin/bash\n", 40)), 0o644)
	whole, _ := os.ReadFile(src)
	cut := filepath.Join(dir, "cut.tar")
	os.WriteFile(cut, whole[:len(whole)/2+100], 0o644)
	out := filepath.Join(dir, "out.tar")

	for _, c := range []struct {
		args  []string
		code  int
		names []string
	}{
		{[]string{"inspect", passwd}, 1, []string{"passwd is not an image archive: it is not a tar file", "docker save, podman save, skopeo copy, ctr export and buildx"}},
		{[]string{"convert", passwd, out}, 1, []string{"passwd is not an image archive"}},
		{[]string{"verify", cut}, 1, []string{"cut.tar", "it was cut short: the download or copy was probably incomplete: get it again, or check the disk it came from"}},
		{[]string{"convert", cut, out}, 1, []string{"cut.tar", "truncated", "it was cut short: the download or copy"}},
		{[]string{"inspect", "docker-daemon:foo:1"}, 1, []string{"reads image files, not daemons or registries", "docker save foo:1 -o foo.tar", "podman save"}},
		{[]string{"convert", "docker://quay.io/curl/curl:latest", out}, 1, []string{"not daemons or registries", "skopeo copy docker://quay.io/curl/curl:latest docker-archive:curl.tar"}},
		{[]string{"inspect", "containers-storage:app:1"}, 1, []string{"podman save app:1 -o app.tar"}},
		{[]string{"inspect", "registry:quay.io/x:1"}, 1, []string{"skopeo copy docker://quay.io/x:1"}},
		{[]string{"inspect", "oci-layout:./x"}, 1, []string{"oci:./x"}},
		{[]string{"convert", src, "docker-daemon:foo:1"}, 2, []string{"not into daemons", "docker load -i foo.tar"}},
		{[]string{"copy", src, out}, 2, []string{`unknown command "copy"`, "did you mean convert?", "retar convert is skopeo copy's verb"}},
		{[]string{"save", src}, 2, []string{`unknown command "save": retar convert rewrites what docker save wrote`}},
		{[]string{"convert", "--platfrom", "linux/amd64", src, out}, 2, []string{"--platfrom", "did you mean --platform?"}},
		{[]string{"convert", "--tags", "a:1", src, out}, 2, []string{"did you mean --tag?"}},
		{[]string{"convert", "--compression", "gzip", src, out}, 2, []string{"did you mean --compress?"}},
		{[]string{"inspect", "--rwa", src}, 2, []string{"did you mean --raw?"}},
		{[]string{"convert", src}, 2, []string{"got 1 argument "}},
		{[]string{"convert", src, "oci-archive:" + dir}, 1, []string{"an oci-archive is a file"}},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, _, stderr := run(t, c.args...)
			oneLineFailure(t, code, stderr, c.code, c.names...)
			for _, internal := range []string{"archive/tar", "stat ", " a oci", "1 arguments"} {
				assert.NotContains(t, stderr, internal)
			}
		})
	}
	// A flag far from every known one gets no guess.
	code, _, stderr := run(t, "convert", "--frobnicate", src, out)
	oneLineFailure(t, code, stderr, 2, "unknown flag: --frobnicate")
	assert.NotContains(t, stderr, "did you mean")
	_, err := os.Lstat(out)
	assert.True(t, os.IsNotExist(err), "nothing written")
}
