package convert_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log"
	"os"
	"testing/fstest"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/retar-dev/retar/check"
	"github.com/retar-dev/retar/convert"
)

// The example archive is the one `make demo` converts: skopeo wrote it as a
// docker-archive with no name, so `ctr images import` registers nothing.
const exampleArchive = "../examples/skopeo-unnamed.tar"

// openFile opens an archive on disk as a source.
func openFile(p string) (*convert.Archive, func()) {
	f, err := os.Open(p)
	if err != nil {
		log.Fatal(err)
	}
	fi, err := f.Stat()
	if err != nil {
		log.Fatal(err)
	}
	a, err := convert.Open(convert.Input{Name: p, Archive: f, Size: fi.Size()})
	if err != nil {
		log.Fatal(err)
	}
	return a, func() { f.Close() }
}

// Open reads any layout into the model: its images, their names, their
// manifests (derived, for a docker-archive, which stores none).
func ExampleOpen() {
	a, done := openFile(exampleArchive)
	defer done()
	fmt.Println(a.Layout, len(a.Images), "image(s)")
	for _, img := range a.Images {
		root, err := img.Root(context.Background())
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(root.Desc.MediaType, len(root.Manifest.Layers), "layers, names:", img.Names)
	}
	// Output:
	// docker-archive 1 image(s)
	// application/vnd.docker.distribution.manifest.v2+json 2 layers, names: []
}

// Convert with a name, then write the plan: here to memory, as an
// oci-archive that docker, containerd and podman all load under that name.
func ExampleArchive_Convert() {
	a, done := openFile(exampleArchive)
	defer done()
	var opts convert.Options
	for _, o := range [][2]string{{"to", "oci-archive"}, {"name", "quay.io/retar/example:1"}} {
		if err := opts.Set(o[0], o[1]); err != nil {
			log.Fatal(err)
		}
	}
	plan, err := a.Convert(context.Background(), opts)
	if err != nil {
		log.Fatal(err)
	}
	var out bytes.Buffer
	if err := plan.WriteTar(convert.WriterSink{Writer: &out}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(plan.Images[0].Names, plan.Images[0].Digest, out.Len() == int(plan.TarSize()))
	// Output:
	// [quay.io/retar/example:1] sha256:80d87039a9a994e9086b07d70a5019c327f0ce0b987411356b24829759a909c0 true
}

// A directory layout is read through fs.FS: os.DirFS, os.Root's FS, or (in
// a browser) the files of a dropped folder.
func ExampleOpen_directory() {
	a, done := openFile(exampleArchive)
	defer done()
	var opts convert.Options
	_ = opts.Set("to", "dir")
	plan, err := a.Convert(context.Background(), opts)
	if err != nil {
		log.Fatal(err)
	}
	dir := fstest.MapFS{}
	for _, e := range plan.Entries {
		var b bytes.Buffer
		if err := plan.WriteContent(&e, convert.WriterSink{Writer: &b}); err != nil {
			log.Fatal(err)
		}
		dir[e.Name] = &fstest.MapFile{Data: b.Bytes(), Mode: fs.FileMode(e.Mode())}
	}
	d, err := convert.Open(convert.Input{Name: "./image", Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.Layout, len(dir), "files")
	// Output:
	// dir 5 files
}

// check says, without hashing anything, what each loader makes of a source.
func Example_check() {
	a, done := openFile(exampleArchive)
	defer done()
	r := check.Archive(a, ocispec.Platform{OS: "linux", Architecture: "amd64"})
	for _, v := range r.Consumers {
		if v.Consumer == "ctr-1.6" || v.Consumer == "docker-24" {
			fmt.Println(v.Consumer, "loads:", v.Loads)
		}
	}
	// Output:
	// docker-24 loads: true
	// ctr-1.6 loads: false
}
