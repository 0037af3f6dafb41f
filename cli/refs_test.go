package cli

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retar-dev/retar/convert"
)

// Windows paths, parsed as on Windows whatever system runs the test: a
// drive letter is no transport, and backslashes are part of the path.
func TestParseRefWindowsForms(t *testing.T) {
	for _, c := range []struct {
		in   string
		want imageRef
	}{
		{`C:\images\x.tar`, imageRef{Path: `C:\images\x.tar`}},
		{`c:/images/x.tar`, imageRef{Path: `c:/images/x.tar`}},
		{`docker-archive:C:\images\x.tar`, imageRef{Layout: convert.DockerArchive, Path: `C:\images\x.tar`}},
		{`docker-archive:C:\images\x.tar:@1`, imageRef{Layout: convert.DockerArchive, Path: `C:\images\x.tar`, Pick: "@1"}},
		{`oci-archive:D:/out/x.tar:quay.io/x/y:1`, imageRef{Layout: convert.OCIArchive, Path: `D:/out/x.tar`, Pick: "quay.io/x/y:1"}},
		{`oci:C:\layouts\app:app:1`, imageRef{Layout: convert.OCI, Path: `C:\layouts\app`, Pick: "app:1"}},
		{`oci:C:\layouts\app`, imageRef{Layout: convert.OCI, Path: `C:\layouts\app`}},
		{`oci:.\layout:latest`, imageRef{Layout: convert.OCI, Path: `.\layout`, Pick: "latest"}},
		{`oci:\\server\share\layout:v1`, imageRef{Layout: convert.OCI, Path: `\\server\share\layout`, Pick: "v1"}},
		{`dir:C:\images\app`, imageRef{Layout: convert.Dir, Path: `C:\images\app`}},
		{`dir:C:\a:b`, imageRef{Layout: convert.Dir, Path: `C:\a:b`}},
		// A letter and a colon without a separator is not a drive: C:x is
		// relative to a drive's current directory, which retar does not read.
		{`oci:C:layout`, imageRef{Layout: convert.OCI, Path: `C`, Pick: "layout"}},
	} {
		got, err := parseRefFor(c.in, true)
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, got, c.in)
		again, err := parseRefFor(got.String(), true)
		require.NoError(t, err)
		assert.Equal(t, got, again, "String of %q parses back", c.in)
	}
	// Elsewhere skopeo's reading holds: the first colon after the path ends it.
	got, err := parseRefFor(`oci:C:\layouts\app:app:1`, false)
	require.NoError(t, err)
	assert.Equal(t, imageRef{Layout: convert.OCI, Path: "C", Pick: `\layouts\app:app:1`}, got)
}

func TestUnknownTransportWindows(t *testing.T) {
	for _, c := range []struct {
		in      string
		windows bool
		want    string
	}{
		{`C:\out.tar`, true, ""},
		{`c:/out.tar`, true, ""},
		{`C:\out.tar`, false, "C"},
		{`bogus:x.tar`, true, "bogus"},
		{`bogus:x.tar`, false, "bogus"},
		{`./a:b.tar`, false, ""},
		{`out.tar`, true, ""},
		{`sub\dir:x`, true, ""},
	} {
		assert.Equal(t, c.want, unknownTransport(c.in, c.windows), "%q windows=%v", c.in, c.windows)
	}
}

func TestIsDrive(t *testing.T) {
	for in, want := range map[string]bool{`C:\`: true, `z:/x`: true, `C:`: false, `CC:\`: false, `1:\`: false, `C:x`: false, `:\x`: false} {
		assert.Equal(t, want, isDrive(in), in)
	}
}

func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"x.tar", "docker-archive:x.tar", "docker-archive:x.tar:@1", "oci-archive:a.tar:quay.io/curl/curl:latest",
		"oci:dir:tag", "dir:/a:b", "dir:", "oci:", "bogus:x", "", ":", "docker-archive::x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseRef(s)
		if err != nil {
			return
		}
		if r.Path == "" {
			t.Errorf("parseRef(%q) = %+v: no path", s, r)
		}
		again, err := parseRef(r.String())
		if err != nil || again != r {
			t.Errorf("parseRef(%q) = %+v, whose String %q parses to %+v, %v", s, r, r.String(), again, err)
		}
	})
}

// A bare path takes :@N and :NAME; a file whose own name holds the colon is
// the path, as is a string whose path part names nothing.
func TestBareRefPicks(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, f := range []string{"multi.tar", "odd:name.tar"} {
		require.NoError(t, os.WriteFile(f, nil, 0o644))
	}
	require.NoError(t, os.Mkdir("layout", 0o755))
	for in, want := range map[string]imageRef{
		"multi.tar:@1":          {Path: "multi.tar", Pick: "@1"},
		"multi.tar:app:1":       {Path: "multi.tar", Pick: "app:1"},
		"layout:quay.io/x/y:1":  {Path: "layout", Pick: "quay.io/x/y:1"},
		"odd:name.tar":          {Path: "odd:name.tar"},
		"odd:name.tar:@0":       {Path: "odd:name.tar", Pick: "@0"},
		"missing.tar:@1":        {Path: "missing.tar:@1"},
		"multi.tar:":            {Path: "multi.tar:"},
		"./multi.tar:example:1": {Path: "./multi.tar", Pick: "example:1"},
	} {
		got, err := parseRefFor(in, false)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
		assert.Equal(t, in, got.String(), in)
	}
}

// A bare DST is its path whole, whether a file of its part before a colon
// exists or not: what it writes must not depend on what is there.
func TestBareDestinationTakesNoPick(t *testing.T) {
	t.Chdir(t.TempDir())
	require.NoError(t, os.WriteFile("out.tar", nil, 0o644))
	require.NoError(t, os.WriteFile("multi.tar", nil, 0o644))
	srcs, dst, err := convertRefs([]string{"multi.tar:@1", "out.tar:app:1"})
	require.NoError(t, err)
	assert.Equal(t, []imageRef{{Path: "multi.tar", Pick: "@1"}}, srcs)
	assert.Equal(t, imageRef{Layout: convert.DefaultDestination, Path: "out.tar:app:1"}, dst)
}
