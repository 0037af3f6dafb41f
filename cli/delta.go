package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/retar-dev/retar/convert"
)

// deltaArgs are convert's --since and --base: what the far side holds, for
// a delta; what fills a delta in, to apply it.
type deltaArgs struct {
	since, base []string
	bases       *convert.Holdings // the bases' blobs, once read
	closers     []func()          // the bases stay open while the output is written
}

func deltaFlags(cmd *cobra.Command, d *deltaArgs) {
	fs := cmd.Flags()
	fs.StringArrayVar(&d.since, "since", nil, "HAVE: write a delta that leaves out the layers HAVE holds (a list from retar digests or ctr content ls -q, or an archive or layout); oci-archive and oci: only")
	fs.StringArrayVar(&d.base, "base", nil, "HAVE: fill in the blobs a delta (or any sparse layout) lacks from HAVE, an archive or layout; repeatable")
	cmd.RegisterFlagCompletionFunc("since", completeRefs) //nolint:errcheck
	cmd.RegisterFlagCompletionFunc("base", completeRefs)  //nolint:errcheck
}

// active says whether the conversion makes or applies a delta; neither
// is done in one pass.
func (d *deltaArgs) active() bool { return len(d.since)+len(d.base) > 0 }

// check refuses what does not go together, before anything is read.
func (d *deltaArgs) check(opts *convert.Options) error {
	if len(d.since) > 0 && len(d.base) > 0 {
		return usagef("--since makes a delta and --base applies one: give one of them")
	}
	if len(d.since) > 0 {
		opts.Since = convert.NewHoldings() // read once DST is judged
	}
	return nil
}

// read reads every HAVE, once the destination is judged: --since into
// opts.Since, --base into d.bases.
func (e *env) readDelta(ctx context.Context, d *deltaArgs, opts *convert.Options) error {
	for _, have := range d.since {
		if err := e.readHave(ctx, have, opts.Since, d, false); err != nil {
			return err
		}
	}
	if len(d.base) > 0 {
		d.bases = convert.NewHoldings()
	}
	for _, have := range d.base {
		if err := e.readHave(ctx, have, d.bases, d, true); err != nil {
			return err
		}
	}
	return nil
}

func (d *deltaArgs) close() {
	for _, c := range d.closers {
		c()
	}
}

// readHave adds what one HAVE holds to h: a digest list, or an archive or
// layout's blobs (kept open when their bytes are wanted).
func (e *env) readHave(ctx context.Context, have string, h *convert.Holdings, d *deltaArgs, bytesWanted bool) error {
	if list, err := isDigestList(have); err != nil {
		return err
	} else if list && bytesWanted {
		return usagef("--base %s: a list of digests; --base takes the archive or layout that holds the blobs", have)
	} else if list {
		return readDigestList(have, h)
	}
	a, _, closeSrc, err := e.openOne(ctx, have)
	if err != nil {
		return err
	}
	if bytesWanted {
		d.closers = append(d.closers, closeSrc)
	} else {
		defer closeSrc()
	}
	return a.Holdings(ctx, h)
}

// isDigestList tells a file of digests (convert.IsDigestList) from an
// archive or layout.
func isDigestList(p string) (bool, error) {
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return false, nil // a layout directory, or a reference openOne explains
	}
	f, err := os.Open(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	return convert.IsDigestList(head[:n]), nil
}

// readDigestList reads the list of digests at p into h.
func readDigestList(p string, h *convert.Holdings) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	err = convert.ReadDigestList(f, h)
	if le := (*convert.DigestListError)(nil); errors.As(err, &le) {
		return fmt.Errorf("%s%w", le.Prefix(p), err)
	} else if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	return nil
}

// checkBases fails when a delta source left out a blob no base holds.
func (d *deltaArgs) checkBases(sources []convert.Source) error {
	if d.bases == nil {
		return nil
	}
	for _, s := range sources {
		if err := s.Archive.CheckBase(d.base); err != nil {
			return err
		}
	}
	return nil
}

// deltaVerified splits what verify found absent into the blobs a delta
// left out by design (listed in its DeltaFile) and the rest, and drops the
// sparse-layout notices of the former for one notice saying what they are.
func deltaVerified(a *convert.Archive, absent []string) (byDesign, other []string, err error) {
	rec, err := a.Delta()
	if err != nil || rec == nil {
		return nil, absent, err
	}
	listed := map[string]bool{}
	for _, b := range rec.Absent {
		listed[b.Digest.String()] = true
	}
	seen := map[string]bool{}
	for _, ab := range absent {
		if d, _, _ := strings.Cut(ab, " "); listed[d] {
			if !seen[ab] { // a layer two images share is left out once
				byDesign = append(byDesign, ab)
			}
			seen[ab] = true
		} else {
			other = append(other, ab)
		}
	}
	a.Warnings = slices.DeleteFunc(a.Warnings, func(w string) bool {
		f := strings.Fields(w)
		return len(f) > 1 && listed[f[1]] && strings.Contains(w, "(a sparse layout)")
	})
	a.Warnings = append(a.Warnings, fmt.Sprintf("a delta: %d blobs (%d bytes) left out by design, listed in %s; retar convert --base BASE %s DST fills them in", len(rec.Absent), rec.AbsentBytes(), convert.DeltaFile, a.Source))
	return byDesign, other, nil
}

// deltaHelp is convert's help on deltas.
const deltaHelp = `Deltas, for air gaps: --since HAVE writes every index, manifest, config
and name, and only the layers HAVE lacks; the others are listed in
retar-delta.json inside the output, so retar verify reports them as absent
by design. HAVE is what retar digests prints (or its --json), a ctr content
ls -q list, or an archive or layout (its digests are read). A layer HAVE
knows only by diff_id is left out when it is a plain tar (its digest is its
diff_id); a compressed one is carried. A delta is an oci-archive or an oci:
layout (a bare DST: the hybrid), never a docker-archive or dir:, which need
every layer. --base HAVE (archives or layouts, repeatable) fills in what a
delta left out, verifying every blob, and writes what the conversion without
--since writes, byte for byte; a left-out blob no base holds is an error.
`

// explainDelta says, of a blob missing from a delta converted without its
// base, that the delta left it out and --base gives it.
func explainDelta(err error, sources []convert.Source) error {
	var me *convert.MissingError
	if !errors.As(err, &me) {
		return err
	}
	for _, s := range sources {
		if rec, _ := s.Archive.Delta(); rec != nil && s.Archive.Source == me.Source {
			return fmt.Errorf("%w: a delta left it out (%s); give the archive or layout that holds it with --base", err, convert.DeltaFile)
		}
	}
	return err
}
