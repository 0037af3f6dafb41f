package cli_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retar-dev/retar/check"
	"github.com/retar-dev/retar/internal/imagetest"
)

// verdicts is what retar check --json says of src, by loader.
func verdicts(t *testing.T, src string) map[string]check.Verdict {
	t.Helper()
	code, stdout, stderr := run(t, "check", "--json", src)
	require.Equal(t, 0, code, stderr)
	var r check.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &r))
	out := map[string]check.Verdict{}
	for _, v := range r.Consumers {
		out[v.Consumer] = v
	}
	return out
}

// adviceFixtures are archives with each fact check gives a fix for.
func adviceFixtures(t *testing.T, dir string) []string {
	thirdParty := func(p string) string { return filepath.Join("..", "golden", "testdata", "thirdparty", p) }
	supply := func(p string) string { return filepath.Join("..", "golden", "testdata", "supply", p) }
	// a bare tag for a name
	tagOnly := filepath.Join(dir, "tagonly.tar")
	imagetest.ReadTarFile(t, realInput("skopeo-oci-archive-named.tar")).Edit(t, "index.json", func(b []byte) []byte {
		return bytes.ReplaceAll(b, []byte(`"docker.io/library/retar-test:1"`), []byte(`"1.0"`))
	}).WriteFile(t, tagOnly)
	// a gzip-compressed archive
	gz := filepath.Join(dir, "single.tar.gz")
	plain, err := os.ReadFile(realInput("docker-save-single.tar"))
	require.NoError(t, err)
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(plain) //nolint:errcheck // a bytes.Buffer
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(gz, b.Bytes(), 0o644))
	// a name k3s does not pick up
	oddName := filepath.Join(dir, "image.oci")
	require.NoError(t, os.WriteFile(oddName, plain, 0o644))
	// several images in an OCI layout without manifest.json
	several := filepath.Join(dir, "umoci-layout.tar")
	imagetest.ReadDir(t, realInput("umoci-layout")).WriteFile(t, several)
	return []string{
		realInput("skopeo-docker-archive-unnamed.tar"), tagOnly, realInput("skopeo-oci-archive-named.tar"),
		thirdParty("aquasecurity__trivy/pkg/fanal/test/testdata/test_image_tag.oci"), realInput("skopeo-dir-v2s2"),
		thirdParty("google__go-containerregistry/pkg/v1/tarball/testdata/no_manifest.tar"), gz,
		thirdParty("wagoodman__dive/.data/test-oci-zstd-image.tar"), oddName,
		filepath.Join("..", "golden", "testdata", "real-docker29", "d29d-save-absent.tar"),
		supply("signed.tar"), supply("zstd-chunked-sentinel.tar"), supply("mislabelled.tar"), supply("v2s2-oci-zstd.tar"),
		realInput("docker-save-two-images.tar"), several,
	}
}

// TestEveryAdviceWorks runs each fix check gives, as the command it
// suggests, on archives with the fact it is for, and checks the verdict it
// was given with: the loader then loads the archive where the fact was why
// it did not, and says nothing more of the fact. Every fix check knows of
// is run at least once.
func TestEveryAdviceWorks(t *testing.T) {
	dir := t.TempDir()
	ran := map[string]bool{}
	for i, src := range adviceFixtures(t, dir) {
		before := verdicts(t, src)
		ids := make([]string, 0, len(before))
		for id := range before {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		after := map[string]map[string]check.Verdict{} // by the command run
		for _, id := range ids {
			v := before[id]
			for _, p := range v.Facts {
				if p.Fix == nil {
					continue
				}
				out := filepath.Join(dir, "fixed", strings.ReplaceAll(filepath.Base(src), ".", "-"), p.Fix.Advice+".tar")
				args := p.Fix.Command(src, out)
				line := strings.Join(args, " ")
				if _, ok := after[line]; !ok {
					after[line] = runFix(t, args, dir, out)
				}
				ran[p.Fix.Advice] = true
				got, ok := after[line][id]
				require.True(t, ok, "%s: no verdict of %s after %s", src, id, line)
				if slices.ContainsFunc(got.Facts, func(q check.Problem) bool { return q.Fact == p.Fact }) {
					t.Errorf("fixture %d, %s: %s says %q; after %s it still says %q", i, src, id, p.String(), line, got.Problems)
				}
				if p.Fails && onlyFailure(v, p) && !got.Loads {
					t.Errorf("fixture %d, %s: %s will not load it (%q); after %s it still will not: %q", i, src, id, p.Text, line, got.Problems)
				}
			}
		}
	}
	for advice := range check.Advice() {
		if !ran[advice] {
			t.Errorf("advice %q was never given for the fixtures, so never run", advice)
		}
	}
}

// onlyFailure: p is the one reason v gives for not loading.
func onlyFailure(v check.Verdict, p check.Problem) bool {
	for _, q := range v.Facts {
		if q.Fails && q.Fact != p.Fact {
			return false
		}
	}
	return true
}

// runFix runs a fix's command (args, NAME standing for a name of ours, @N
// for the first image)
// and judges what it made: a conversion's output, or the archive copied
// under the name given (into dir).
func runFix(t *testing.T, args []string, dir, out string) map[string]check.Verdict {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(out), 0o755))
	switch args[0] {
	case "retar":
		for i, a := range args {
			a = strings.ReplaceAll(a, check.Placeholder, "example.com/fixed:1")
			args[i] = strings.ReplaceAll(a, ":"+check.PickPlaceholder, ":@0")
		}
		code, _, stderr := run(t, append(args[1:], "-q")...)
		require.Equal(t, 0, code, "%s: %s", strings.Join(args, " "), stderr)
		return verdicts(t, out)
	case "cp":
		b, err := os.ReadFile(args[1])
		require.NoError(t, err)
		to := filepath.Join(dir, "renamed", args[2])
		require.NoError(t, os.MkdirAll(filepath.Dir(to), 0o755))
		require.NoError(t, os.WriteFile(to, b, 0o644))
		return verdicts(t, to)
	}
	t.Fatalf("a fix runs retar or cp, not %q", args)
	return nil
}
