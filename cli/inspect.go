package cli

import (
	"context"
	"runtime"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"

	"github.com/retar-dev/retar/convert"
)

const inspectHelp = `Print what an image is, as skopeo inspect does: names, digest, platform,
layers, env and labels; plus every image the source holds and its warnings,
as JSON with skopeo's keys (Name, Digest, RepoTags, Layers, ...), described
by docs/schema/inspect.schema.json.
  --raw     the manifest as stored (for a docker-archive, the one retar derives)
  --config  the image config as stored

` + formatHelp

func (e *env) inspectCommand() *cobra.Command {
	var raw, config bool
	var format formatOutput
	cmd := &cobra.Command{
		Use:   "inspect [--raw | --config | --format TEMPLATE] SRC",
		Short: "Print what an image is, as skopeo inspect does",
		Long:  inspectHelp,
		Example: `  retar inspect image.tar
  retar inspect --config oci:./layout:app:1
  retar inspect --platform linux/arm64 oci-archive:multiarch.tar
  retar inspect --format '{{.Digest}}' image.tar
  retar inspect --format '{{join .RepoTags ", "}}: {{len .Layers}} layers' image.tar
  retar inspect --format '{{range .Images}}{{.Digest}} {{json .Names}}{{println}}{{end}}' multi.tar`,
		Args:              arguments(1, "one SRC"),
		ValidArgsFunction: completeRefs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := format.parse(cmd); err != nil {
				return err
			}
			return e.inspect(cmd.Context(), args[0], raw, config, &format)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&raw, "raw", false, "print the stored manifest")
	fs.BoolVar(&config, "config", false, "print the image config")
	formatFlag(cmd, &format)
	fs.Var(optionValue(&e.opts, "platform", "stringArray"), "platform", "os/arch[/variant] to describe from a multi-platform image")
	cmd.RegisterFlagCompletionFunc("platform", completePlatforms) //nolint:errcheck
	limitFlags(cmd, &e.opts)
	return cmd
}

func (e *env) inspect(ctx context.Context, arg string, raw, config bool, format *formatOutput) error {
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
	return format.write(e.stdout, in, "    ")
}
