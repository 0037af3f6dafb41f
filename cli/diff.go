package cli

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/spf13/cobra"

	"github.com/retar-dev/retar/convert"
	"github.com/retar-dev/retar/imagediff"
)

const diffHelp = `Say what changed from A to B, two sources in any layouts: which images,
names and platforms differ; their manifests and configs field by field (env,
cmd, entrypoint, labels, user, workdir, ports, history, created, platform),
old → new; their layers by diff_id, and by blob, so that a re-compression is
told from a change of content. The same image in two layouts is "same content,
different packaging", naming what differs (manifest format, media types,
compression, names). The report ends with the bytes a delta from A to B
would carry: the blobs B needs that A does not hold.

Images are matched by name, then by config, then (one left on each side) to
each other; platforms by os/arch/variant. A:NAME or A:@N compares one image.
  --json    the report as JSON ("schemaVersion": 1) for scripts
  --files   also the files that differ between the filesystems the layers
            make (whiteouts and opaque directories applied): added, removed,
            modified in type, mode, owner, size, content or link target.
            Each layer of the images whose layers differ is read once; memory
            grows with the number of files, not their size.

Exit status, as diff's: 0 the same, 1 different, 2 trouble.
`

func (e *env) diffCommand() *cobra.Command {
	var asJSON, files bool
	cmd := &cobra.Command{
		Use:   "diff [--json] [--files] A B",
		Short: "Say what changed between two images or archives",
		Long:  diffHelp,
		Example: `  retar diff image.tar dir:./image
  retar diff --files a.tar b.tar
  retar diff --json multi.tar:@0 multi.tar:@1`,
		Args:              arguments(2, "two sources, A and B"),
		ValidArgsFunction: completeRefs,
		RunE: func(cmd *cobra.Command, args []string) error {
			err := e.diff(cmd.Context(), args[0], args[1], asJSON, files)
			if err != nil && !errors.Is(err, errDifferent) && !errors.Is(err, convert.ErrUsage) {
				return statusError{err, exitUsage} // diff's trouble is 2
			}
			return err
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	fs.BoolVar(&files, "files", false, "also compare the files of images whose layers differ")
	limitFlags(cmd, &e.opts)
	return cmd
}

// errDifferent is diff's finding that A and B differ: exit 1, no message.
var errDifferent = statusError{nil, exitFail}

func (e *env) diff(ctx context.Context, argA, argB string, asJSON, files bool) error {
	refA, err := parseRef(argA)
	if err != nil {
		return err
	}
	refB, err := parseRef(argB)
	if err != nil {
		return err
	}
	if refA.Path == "-" && refB.Path == "-" {
		return usagef("diff: A and B cannot both be standard input")
	}
	a, _, closeA, err := e.openOne(ctx, argA)
	if err != nil {
		return err
	}
	defer closeA()
	b, _, closeB, err := e.openOne(ctx, argB)
	if err != nil {
		return err
	}
	defer closeB()
	r, err := imagediff.Compare(ctx,
		imagediff.Source{Archive: a, Name: inputName(refA), Pick: refA.Pick},
		imagediff.Source{Archive: b, Name: inputName(refB), Pick: refB.Pick},
		imagediff.Options{Files: files, Limits: e.opts.Hashing.Limits})
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(r)
	} else {
		err = r.WriteText(e.stdout)
	}
	if err != nil {
		return err
	}
	if !r.Equal {
		return errDifferent
	}
	return nil
}
