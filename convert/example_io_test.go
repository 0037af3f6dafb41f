package convert_test

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/retar-dev/retar/convert"
)

// The whole of a Go program that converts an archive on disk: open it,
// set options by name, convert, write the plan to a file. Nothing is
// written before every digest is checked. (The source is an *os.File, so
// an archive of any size is read in place, never loaded into memory.)
func Example() {
	src, err := os.Open("../examples/skopeo-unnamed.tar")
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	fi, _ := src.Stat()
	a, err := convert.Open(convert.Input{Name: src.Name(), Archive: src, Size: fi.Size()})
	if err != nil {
		log.Fatal(err)
	}
	var opts convert.Options
	opts.Set("to", "oci-archive")
	opts.Set("name", "quay.io/retar/example:1")
	plan, err := a.Convert(context.Background(), opts)
	if err != nil {
		log.Fatal(err)
	}
	out, err := os.Create(filepath.Join(os.TempDir(), "retar-example.tar"))
	if err != nil {
		log.Fatal(err)
	}
	defer os.Remove(out.Name())
	if err := plan.WriteTar(convert.WriterSink{Writer: out}); err != nil {
		log.Fatal(err)
	}
	if err := out.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(plan.Images[0].Names)
	// Output:
	// [quay.io/retar/example:1]
}

// A plan goes to any io.Writer: here through gzip, while hashing what is
// written, as a server streaming a converted archive to a client would.
func ExamplePlan_WriteTar_writer() {
	a, done := openFile(exampleArchive)
	defer done()
	var opts convert.Options
	if err := opts.Set("to", "docker-archive"); err != nil {
		log.Fatal(err)
	}
	opts.Set("tag", "example.com/app:1")
	plan, err := a.Convert(context.Background(), opts)
	if err != nil {
		log.Fatal(err)
	}
	h := sha256.New()
	zw := gzip.NewWriter(io.Discard)
	n := &counter{}
	if err := plan.WriteTar(convert.WriterSink{Writer: io.MultiWriter(h, zw, n)}); err != nil {
		log.Fatal(err)
	}
	zw.Close()
	fmt.Println(n.bytes == plan.TarSize(), plan.Images[0].Names)
	// Output:
	// true [example.com/app:1]
}

// counter counts what is written.
type counter struct{ bytes int64 }

func (c *counter) Write(p []byte) (int, error) { c.bytes += int64(len(p)); return len(p), nil }

// A layout directory on disk is opened through fs.FS (os.DirFS, or an
// os.Root's FS to keep symlinks inside it); verify checks every digest,
// size and diff_id of what it holds.
func ExampleArchive_Verify() {
	a, done := openFile(exampleArchive)
	defer done()
	var opts convert.Options
	opts.Set("to", "oci")
	plan, err := a.Convert(context.Background(), opts)
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "retar-example-layout-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for i := range plan.Entries {
		e := &plan.Entries[i]
		p := filepath.Join(dir, filepath.FromSlash(e.Name))
		if e.Type == tar.TypeDir {
			os.MkdirAll(p, 0o755)
			continue
		}
		os.MkdirAll(filepath.Dir(p), 0o755)
		f, err := os.Create(p)
		if err != nil {
			log.Fatal(err)
		}
		if err := plan.WriteContent(e, convert.WriterSink{Writer: f}); err != nil {
			log.Fatal(err)
		}
		f.Close()
	}
	layout, err := convert.Open(convert.Input{Name: dir, Dir: os.DirFS(dir)})
	if err != nil {
		log.Fatal(err)
	}
	r, err := layout.Verify(context.Background(), convert.Hashing{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(layout.Layout, r.Blobs, "blobs verified")
	// Output:
	// oci 4 blobs verified
}
