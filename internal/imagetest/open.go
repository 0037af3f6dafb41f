package imagetest

import (
	"bytes"
	"os"
	"testing"

	"github.com/retar-dev/retar/convert"
)

// PathInput is the archive file or layout directory at p as the CLI gives
// it to the core, named name: a directory through os.OpenRoot (its links
// stay inside it), a file through its io.ReaderAt. What it opens is closed
// when the test ends; a p that cannot be opened fails the test. For an
// archive the test expects the core to refuse: convert.Open(PathInput(...)).
func PathInput(t testing.TB, name, p string) convert.Input {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	in := convert.Input{Name: name}
	if fi.IsDir() {
		root, err := os.OpenRoot(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { root.Close() })
		in.Dir = root.FS()
		return in
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	in.Archive, in.Size = f, fi.Size()
	return in
}

// OpenPath opens the archive file or layout directory at p, named p, as
// PathInput does; the test fails if the core refuses it.
func OpenPath(t testing.TB, p string) *convert.Archive {
	t.Helper()
	return mustOpen(t, PathInput(t, p, p))
}

// OpenBytes opens the archive data, named name; the test fails if the core
// refuses it.
func OpenBytes(t testing.TB, name string, data []byte) *convert.Archive {
	t.Helper()
	return mustOpen(t, convert.Input{Name: name, Archive: bytes.NewReader(data), Size: int64(len(data))})
}

func mustOpen(t testing.TB, in convert.Input) *convert.Archive {
	t.Helper()
	a, err := convert.Open(in)
	if err != nil {
		t.Fatalf("imagetest: open %s: %v", in.Name, err)
	}
	return a
}
