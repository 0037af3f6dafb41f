// Command selfimage writes retar's own container image as an oci-archive
// (internal/selfimage), for make dist and interop/selfimage.sh:
//
//	selfimage -o retar-image.tar -version V -revision COMMIT -name retar:V \
//	    linux/amd64=dist/retar-linux-amd64 linux/arm64=dist/retar-linux-arm64
//
// The image's time is SOURCE_DATE_EPOCH (0 when unset). The archive is
// written beside -o and renamed into place: a failure leaves nothing.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/retar-dev/retar/internal/selfimage"
)

type names []string

func (n *names) String() string     { return strings.Join(*n, ",") }
func (n *names) Set(s string) error { *n = append(*n, s); return nil }

func main() {
	var o selfimage.Options
	out := flag.String("o", "retar-image.tar", "the oci-archive to write")
	flag.StringVar(&o.Version, "version", "devel", "org.opencontainers.image.version")
	flag.StringVar(&o.Revision, "revision", "", "org.opencontainers.image.revision (the commit)")
	flag.StringVar(&o.Source, "source", "https://github.com/retar-dev/retar", "org.opencontainers.image.source")
	flag.Var((*names)(&o.Names), "name", "the image's name (repeat for more)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: selfimage [flags] OS/ARCH=BINARY...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 || len(o.Names) == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(&o, *out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "selfimage:", err)
		os.Exit(1)
	}
}

func run(o *selfimage.Options, out string, args []string) error {
	epoch, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64)
	if os.Getenv("SOURCE_DATE_EPOCH") == "" {
		epoch, err = 0, nil
	}
	if err != nil || epoch < 0 {
		return fmt.Errorf("SOURCE_DATE_EPOCH=%q: want a whole number of seconds", os.Getenv("SOURCE_DATE_EPOCH"))
	}
	o.Created = time.Unix(epoch, 0).UTC()
	o.Binaries = map[string][]byte{}
	for _, a := range args {
		plat, path, ok := strings.Cut(a, "=")
		if !ok {
			return fmt.Errorf("%q: want OS/ARCH=BINARY", a)
		}
		if o.Binaries[plat], err = os.ReadFile(path); err != nil {
			return err
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".selfimage-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = selfimage.Write(context.Background(), tmp, *o)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", out, err)
	}
	return os.Rename(tmp.Name(), out)
}
