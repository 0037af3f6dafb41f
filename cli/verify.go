package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/retar-dev/retar/convert"
)

func (e *env) verifyCommand() *cobra.Command {
	var asJSON bool
	var format formatOutput
	cmd := &cobra.Command{
		Use:   "verify [--json | --format TEMPLATE] SRC",
		Short: "Check every digest, size and reference",
		Long: `Check every blob against its digest and size, every layer against its diff_id
(compressed layers are decompressed for it) and every reference. --json
prints what was verified (docs/schema/verify.schema.json describes it); a
source that fails prints nothing on stdout, with --json too.

` + formatHelp,
		Example: `  retar verify image.tar
  retar verify dir:./image
  retar verify --json image.tar
  retar verify --format '{{.blobs}} blobs, {{.bytes}} bytes' image.tar`,
		Args:              arguments(1, "one SRC"),
		ValidArgsFunction: completeRefs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := format.parse(cmd); err != nil {
				return err
			}
			if asJSON && !format.set() {
				format.text = "json"
			}
			return e.verify(cmd.Context(), args[0], &format)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print what was verified as JSON")
	formatFlag(cmd, &format)
	limitFlags(cmd, &e.opts)
	return cmd
}

// verified is what verify --json prints.
type verified struct {
	SchemaVersion int                    `json:"schemaVersion"` // convert.JSONSchemaVersion
	Source        string                 `json:"source"`
	Layout        convert.Layout         `json:"layout"`
	Images        []convert.PlannedImage `json:"images"`
	Absent        []string               `json:"absent"` // manifests an index lists that the source lacks
	Blobs         int                    `json:"blobs"`  // blobs hashed
	Bytes         int64                  `json:"bytes"`  // bytes hashed
	Warnings      []string               `json:"warnings"`
}

func (e *env) verify(ctx context.Context, arg string, format *formatOutput) error {
	a, src, closeSrc, err := e.openToLook(ctx, arg, true)
	if err != nil {
		return err
	}
	defer closeSrc()
	prog := e.meter("verifying")
	r, err := a.Verify(ctx, convert.Hashing{Progress: prog.update, Limits: e.opts.Hashing.Limits})
	prog.finish(err)
	if err != nil {
		return err // the notices would repeat it
	}
	byDesign, absent, err := deltaVerified(a, r.Absent)
	if err != nil {
		return err
	}
	e.notices(a.Warnings)
	if format.set() {
		return format.write(e.stdout, verified{SchemaVersion: convert.JSONSchemaVersion, Source: src.Path, Layout: a.Layout,
			Images: append([]convert.PlannedImage{}, r.Images...), Absent: append([]string{}, r.Absent...),
			Blobs: r.Blobs, Bytes: r.Bytes, Warnings: append([]string{}, a.Warnings...)}, "  ")
	}
	for i, img := range r.Images {
		names := "no name"
		if len(img.Names) > 0 {
			names = strings.Join(img.Names, ", ")
		}
		fmt.Fprintf(e.stdout, "@%d %s %s (%s)\n", i, img.Digest, img.MediaType, names)
	}
	for _, ab := range byDesign {
		fmt.Fprintf(e.stdout, "absent by design (a delta): %s\n", ab)
	}
	for _, ab := range absent {
		fmt.Fprintf(e.stdout, "absent: %s\n", ab)
	}
	fmt.Fprintf(e.stdout, "%s: ok: %d blobs, %d bytes verified\n", src.Path, r.Blobs, r.Bytes)
	return nil
}
