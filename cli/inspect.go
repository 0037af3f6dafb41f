package cli

import (
	"context"
	"encoding/json"
	"runtime"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"

	"github.com/retar-dev/retar/convert"
)

const inspectHelp = `Print what an image is, as skopeo inspect does: names, digest, platform,
layers, env and labels; plus every image the source holds and its warnings.
  --raw     the manifest as stored (for a docker-archive, the one retar derives)
  --config  the image config as stored
`

func (e *env) inspectCommand() *cobra.Command {
	var raw, config bool
	cmd := &cobra.Command{
		Use:   "inspect [--raw | --config] SRC",
		Short: "Print what an image is, as skopeo inspect does",
		Long:  inspectHelp,
		Example: `  retar inspect image.tar
  retar inspect --config oci:./layout:app:1
  retar inspect --platform linux/arm64 oci-archive:multiarch.tar`,
		Args:              arguments(1, "one SRC"),
		ValidArgsFunction: completeRefs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.inspect(cmd.Context(), args[0], raw, config)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&raw, "raw", false, "print the stored manifest")
	fs.BoolVar(&config, "config", false, "print the image config")
	fs.Var(optionValue(&e.opts, "platform", "stringArray"), "platform", "os/arch[/variant] to describe from a multi-platform image")
	cmd.RegisterFlagCompletionFunc("platform", completePlatforms) //nolint:errcheck
	limitFlags(cmd, &e.opts)
	return cmd
}

func (e *env) inspect(ctx context.Context, arg string, raw, config bool) error {
	a, src, closeSrc, err := e.openOne(ctx, arg)
	if err != nil {
		return err
	}
	defer closeSrc()
	in, err := a.Inspect(ctx, convert.InspectOptions{Pick: src.Pick, Platforms: e.opts.Platforms,
		Host: ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH}, Hashing: convert.Hashing{Limits: e.opts.Hashing.Limits}})
	if err != nil {
		return err
	}
	switch {
	case raw:
		_, err = e.stdout.Write(in.RawManifest)
		return err
	case config:
		_, err = e.stdout.Write(in.RawConfig)
		return err
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "    ")
	return enc.Encode(in)
}
