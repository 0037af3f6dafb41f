package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/retar-dev/retar/convert"
)

const digestsHelp = `Print every blob digest the sources hold, then each layer's diff_id, sorted,
one a line: what the far side of an air gap has, for retar convert --since.
  sha256:<hex>           a blob the sources hold (manifest, config, layer, referrer)
  diff_id sha256:<hex>   a layer's uncompressed digest, as its config lists it
Blobs a sparse layout lacks are not listed; a docker-archive's layers are
listed by the digests the archive claims (their file names, or the config's
diff_ids for plain tars), checked by retar verify. --json prints
{"schemaVersion": 1, "blobs": [{"digest", "size", "mediaType", "diffID"}],
"diffIDs": [...]}; retar convert --since reads both, and ctr content ls -q.`

const digestsExample = `  retar digests image.tar
  retar digests oci:./layout app.tar
  retar digests --json image.tar`

func (e *env) digestsCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:               "digests [--json] SRC [SRC...]",
		Short:             "Print every blob digest and layer diff_id the sources hold",
		Long:              digestsHelp,
		Example:           digestsExample,
		ValidArgsFunction: completeRefs,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("digests takes SRC [SRC...] (retar digests --help)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.digests(cmd.Context(), args, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON: schemaVersion, blobs (digest, size, mediaType, diffID), diffIDs")
	limitFlags(cmd, &e.opts)
	return cmd
}

func (e *env) digests(ctx context.Context, args []string, asJSON bool) error {
	h := convert.NewHoldings()
	for _, arg := range args {
		a, _, closeSrc, err := e.openOne(ctx, arg)
		if err != nil {
			return err
		}
		err = a.Holdings(ctx, h)
		closeSrc()
		if err != nil {
			return err
		}
		e.notices(a.Warnings)
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(h.Doc())
	}
	for _, b := range h.Blobs() {
		if _, err := fmt.Fprintln(e.stdout, b.Digest); err != nil {
			return err
		}
	}
	for _, d := range h.DiffIDs() {
		if _, err := fmt.Fprintln(e.stdout, "diff_id", d); err != nil {
			return err
		}
	}
	return nil
}
