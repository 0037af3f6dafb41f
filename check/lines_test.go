package check_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retar-dev/retar/check"
	"github.com/retar-dev/retar/convert"
)

// every is every loader's id, in check's order.
func every(t *testing.T) []string {
	t.Helper()
	ids, err := check.IDsOf(nil)
	require.NoError(t, err)
	return ids
}

// TestWho: loaders named together collapse by family, each family where
// its first loader stands.
func TestWho(t *testing.T) {
	for _, c := range []struct {
		ids  []string
		want string
	}{
		{[]string{"ctr-1.6", "ctr-2.0", "ctr-2.1", "ctr-2.3", "ctr-2.4"}, "containerd 1.6–2.4"},
		{[]string{"ctr-1.6", "ctr-2.3", "ctr-2.4"}, "containerd 1.6/1.7 and 2.3–2.4"},
		{[]string{"ctr-2.1"}, "containerd 2.1/2.2"},
		{[]string{"docker-containerd", "ctr-1.6", "ctr-2.0", "ctr-2.1", "ctr-2.3", "ctr-2.4", "k3s"}, "docker 25–28 with the containerd store, containerd 1.6–2.4 and k3s"},
		{[]string{"k3s", "docker-containerd"}, "k3s and docker 25–28 with the containerd store"},
		{[]string{"docker-24", "docker-25", "docker-29-classic", "docker-containerd", "docker-29-containerd"}, "docker"},
		{[]string{"docker-24", "docker-25", "docker-29-classic", "docker-29-containerd", "kind"}, "docker (but 25–28 with the containerd store) and kind"},
		{[]string{"docker-24", "docker-25", "docker-29-classic"}, "docker's classic store"},
		{[]string{"docker-24", "podman", "skopeo"}, "docker ≤ 24, podman and skopeo"},
		{nil, ""},
	} {
		assert.Equal(t, c.want, check.Who(c.ids), "%q", c.ids)
	}
}

// TestFailingOneLinePerFact: the loaders a missing name stops are named in
// one line, whatever their number, with the fix once.
func TestFailingOneLinePerFact(t *testing.T) {
	r := check.Archive(openPath(t, realInput("skopeo-docker-archive-unnamed.tar")), amd64)
	lines := r.Failing(every(t), nil)
	require.Len(t, lines, 1, "%q", lines)
	l := lines[0]
	assert.Equal(t, check.FactNoName, l.Fact)
	assert.ElementsMatch(t, []string{"docker-containerd", "ctr-1.6", "ctr-2.0", "ctr-2.1", "ctr-2.3", "ctr-2.4", "k3s"}, l.IDs)
	assert.Equal(t, "no name: docker 25–28 with the containerd store, containerd 1.6–2.4 and k3s will register nothing; give one with retar convert -t NAME", l.Text)
	// after a conversion: the options to convert with again
	lines = r.Failing(every(t), &check.Conversion{Options: convert.Options{To: convert.DockerArchive}})
	assert.True(t, strings.HasSuffix(lines[0].Text, "; give one with -t NAME"), lines[0].Text)
	// the loaders asked for only
	assert.Empty(t, r.Failing([]string{"docker-24", "podman"}, nil))
}

// TestFailingWho: zstd layers stop docker before 23.0, which is not all
// that docker ≤ 24 stands for: the line says which.
func TestFailingWho(t *testing.T) {
	r := check.Archive(openPath(t, thirdParty("wagoodman__dive/.data/test-oci-zstd-image.tar")), amd64)
	lines := r.Failing(every(t), nil)
	i := slices.IndexFunc(lines, func(l check.Line) bool { return l.Fact == check.FactZstdLayers })
	require.GreaterOrEqual(t, i, 0, "%q", lines)
	assert.Contains(t, lines[i].Text, "docker before 23 cannot read them")
	assert.NotContains(t, lines[i].Text, "≤ 24")
}

// chosen is convert's options as the command line would set them.
func chosen(t *testing.T, to convert.Layout, set ...string) convert.Options {
	t.Helper()
	o := convert.Options{To: to}
	for i := 0; i < len(set); i += 2 {
		require.NoError(t, o.Set(set[i], set[i+1]))
	}
	return o
}

// TestAfterFitsTheConversion: a fact the conversion's own options made says
// so, and its fix is the other way; advice the options already followed
// is not given.
func TestAfterFitsTheConversion(t *testing.T) {
	zstd := check.Archive(openPath(t, thirdParty("wagoodman__dive/.data/test-oci-zstd-image.tar")), amd64)
	line := func(r *check.Report, f check.Fact, o convert.Options) string {
		for _, l := range r.Failing(every(t), &check.Conversion{Options: o}) {
			if l.Fact == f {
				return l.Text
			}
		}
		return ""
	}
	got := line(zstd, check.FactZstdLayers, chosen(t, convert.DockerArchive, "compress", "zstd"))
	assert.Contains(t, got, "zstd layers, as --compress zstd asked")
	assert.Contains(t, got, "--compress gzip")
	got = line(zstd, check.FactZstdLayers, chosen(t, convert.OCIArchive, "compress", "keep"))
	assert.Contains(t, got, "as --compress keep asked")
	got = line(zstd, check.FactZstdLayers, chosen(t, convert.OCIArchive))
	assert.NotContains(t, got, "asked")
	assert.Contains(t, got, "--compress gzip re-encodes them")

	oci := check.Archive(openPath(t, realInput("skopeo-oci-archive-named.tar")), amd64)
	got = line(oci, check.FactNoManifestJSON, chosen(t, convert.OCIArchive, "oci-strict", "true"))
	assert.Contains(t, got, "as --oci-strict asked")
	assert.NotContains(t, got, "convert it to an oci-archive")
	got = line(oci, check.FactNoManifestJSON, chosen(t, convert.OCIArchive))
	assert.NotContains(t, got, "oci-archive", "the output is an oci-archive already: %s", got)
}

// TestAfterDropsWhatWasDone is the rule for every fix check gives: right
// after a conversion that did what the fix says (its layout, its
// options), the fix is not given again, but for a name (-t adds one; a
// bare tag given still wants a full one) and a file name.
func TestAfterDropsWhatWasDone(t *testing.T) {
	for advice, fix := range check.Advice() {
		t.Run(advice, func(t *testing.T) {
			to := fix.To
			if to == "" {
				to = convert.DefaultDestination
			}
			o := convert.Options{To: to}
			for _, opt := range fix.Options {
				v := strings.ReplaceAll(opt.Value, check.Placeholder, "example.com/app:1")
				require.NoError(t, o.Set(opt.Name, v))
			}
			p := check.Problem{Fact: check.FactMislabelled, Text: "x", Fix: &fix}
			got := p.After(check.Conversion{Options: o})
			if advice == "name" || advice == "full-name" || advice == "rename" {
				assert.Equal(t, fix.Again, got)
				return
			}
			assert.Empty(t, got, "the conversion did %s already", fix.Line("in.tar", "out.tar"))
			// to another layout, the fix still holds
			if fix.To != "" {
				other := convert.DockerArchive
				if fix.To == other {
					other = convert.OCIArchive
				}
				assert.Equal(t, fix.Again, p.After(check.Conversion{Options: convert.Options{To: other}}))
			}
		})
	}
}

// TestBlocks: check's blocks of the nameless docker-archive: those that
// will not load it, in one block for one reason; those that load it
// without a name, each saying its own; skopeo.
func TestBlocks(t *testing.T) {
	r := check.Archive(openPath(t, realInput("skopeo-docker-archive-unnamed.tar")), amd64)
	bs := r.Blocks(every(t), false)
	require.Len(t, bs, 3)
	assert.False(t, bs[0].Loads)
	assert.Len(t, bs[0].IDs, 7)
	assert.Len(t, bs[0].Problems, 1, "the same reason, said once: %q", bs[0].Problems)
	assert.True(t, bs[1].Loads)
	assert.Empty(t, bs[1].Names)
	for _, p := range bs[1].Problems {
		assert.Regexp(t, `^[^:]+: `, p, "each says whose it is")
	}
	assert.True(t, bs[2].Reads)
	assert.Equal(t, "skopeo", bs[2].Who)
	// verbose: a block per loader, with what it stands on
	vs := r.Blocks(every(t), true)
	assert.Len(t, vs, len(every(t)))
	for _, b := range vs {
		assert.NotEmpty(t, b.Basis, b.Who)
	}
	assert.Equal(t, "loads in 8 of 15 loaders: docker (but 25–28 with the containerd store), kind, nerdctl, podman and skopeo", r.Summary(every(t), false))
	assert.Equal(t, "loads in 4 of the 5 asked for: docker (but 25–28 with the containerd store)", r.Summary(mustIDs(t, "docker"), true))
	m := r.Remedies(every(t))
	require.NotEmpty(t, m)
	assert.Equal(t, "name", m[0].Fix.Advice)
	assert.True(t, m[0].Fails)
	assert.Len(t, m[0].IDs, 7)
}

func mustIDs(t *testing.T, names ...string) []string {
	t.Helper()
	ids, err := check.IDsOf(names)
	require.NoError(t, err)
	return ids
}
