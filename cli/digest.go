package cli

import (
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/opencontainers/go-digest"
	"github.com/spf13/cobra"

	"github.com/retar-dev/retar/convert"
)

func (e *env) manifestDigestCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "manifest-digest FILE",
		Short:   "Print the digest of a manifest file",
		Long:    "Print the sha256 digest of a manifest file's bytes (- reads standard input).",
		Example: "  retar manifest-digest ./image/manifest.json",
		Args:    arguments(1, "one FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.manifestDigest(args[0])
		},
	}
}

func (e *env) manifestDigest(name string) error {
	var r io.Reader = e.stdin
	if name != "-" {
		fi, err := os.Stat(name)
		if err != nil {
			return err
		}
		var f *os.File
		switch {
		case fi.Mode().IsRegular():
			f, err = os.Open(name)
		case fi.Mode()&fs.ModeNamedPipe != 0:
			f, err = openFIFO(name)
		default:
			return fmt.Errorf("%s: is %s, not a manifest file", name, modeName(fi.Mode()))
		}
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, convert.MaxManifestSize+1))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > convert.MaxManifestSize {
		return fmt.Errorf("%s: over the %d MiB limit for manifests", name, convert.MaxManifestSize>>20)
	}
	if len(data) == 0 {
		return fmt.Errorf("%s: empty: not a manifest", name)
	}
	fmt.Fprintln(e.stdout, digest.FromBytes(data))
	return nil
}
