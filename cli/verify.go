package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/retar-dev/retar/convert"
)

func (e *env) verifyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify SRC",
		Short: "Check every digest, size and reference",
		Long: `Check every blob against its digest and size, every layer against its diff_id
(compressed layers are decompressed for it) and every reference.`,
		Example: `  retar verify image.tar
  retar verify dir:./image`,
		Args:              arguments(1, "one SRC"),
		ValidArgsFunction: completeRefs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.verify(cmd.Context(), args[0])
		},
	}
	limitFlags(cmd, &e.opts)
	return cmd
}

func (e *env) verify(ctx context.Context, arg string) error {
	a, src, closeSrc, err := e.openOne(ctx, arg)
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
